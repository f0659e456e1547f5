/**
 * Irregularly sampled series with missing values: the batch loss is the mean squared error over
 * the observed cells only (checked against an independent computation, and its gradient against
 * finite differences), and training on such a series recovers the parameters of an equation
 * model, also when one state is never observed (starts from the model's prediction).
 */
import { describe, expect, it } from 'vitest';
import { expressionField } from '../../src/fields/expression/compile.ts';
import { solve } from '../../src/solvers/solve.ts';
import { createRng } from '../../src/util/random.ts';
import { evaluateInline } from '../../src/timeseries/evaluate.ts';
import { subsequenceProblem } from '../../src/timeseries/minibatch.ts';
import { createTimeSeries, type TimeSeries } from '../../src/timeseries/series.ts';
import { trainTimeSeries } from '../../src/timeseries/train.ts';

const LV = expressionField({
  states: ['x', 'y'],
  params: ['a', 'b', 'c', 'd'],
  equations: { x: 'a*x - b*x*y', y: '-c*y + d*x*y' },
});
const TRUE = [1.5, 1, 3, 1];

/** 120 random times on [0, 10], LV's solution there, and about a quarter of the cells missing. */
function irregularSeries(seed: number, observed: readonly string[] = ['x', 'y']): TimeSeries {
  const rng = createRng(seed);
  const times = Float64Array.from({ length: 120 }, () => rng.uniform(0, 10)).sort();
  times[0] = 0;
  const truth = solve(LV, [1, 1], { times, params: TRUE, rtol: 1e-10, atol: 1e-12 });
  const columns = observed.map((name) => LV.stateNames.indexOf(name));
  const values = Float64Array.from({ length: times.length * columns.length }, (_, q) => {
    const k = Math.floor(q / columns.length);
    const v = truth.y[k * 2 + columns[q % columns.length]];
    return k > 0 && rng.next() < 0.25 ? NaN : v;
  });
  return createTimeSeries({ times, values, observed }, LV);
}

describe('irregular series with missing values', () => {
  it('scores a batch by the observed cells only (independent computation and finite differences)', () => {
    const series = irregularSeries(1);
    const params = Float64Array.from([1.3, 0.9, 2.8, 1.1]);
    const starts = [0, 17, 40, 77];
    const length = 12;
    const problems = starts.map((start) => {
      const y0 = Float64Array.from([series.values[start * 2], series.values[start * 2 + 1]]);
      if (Number.isNaN(y0[0]) || Number.isNaN(y0[1])) y0.set([1, 1]);
      return subsequenceProblem(series, { start, length }, y0, true);
    });
    let cells = 0;
    for (const p of problems) for (const v of p.target) if (!Number.isNaN(v)) cells++;
    const solver = { rtol: 1e-11, atol: 1e-13 };
    // The reference: solve each subsequence, average the squared error over the non-NaN cells.
    const reference = (p: Float64Array) => {
      let total = 0;
      let n = 0;
      for (const problem of problems) {
        const sol = solve(LV, problem.y0, { ...solver, times: problem.times, params: p });
        problem.target.forEach((obs, q) => {
          if (Number.isNaN(obs)) return;
          total += (sol.y[q] - obs) ** 2;
          n++;
        });
      }
      return total / n;
    };
    // toleranceFactor 1: the loss is compared with solves at the same tolerance, to 12 digits
    // (ACA's default runs its forward pass at 0.05 x the tolerance).
    const batch = { field: LV, params, problems, observed: series.observed, cellWeight: 1 / cells, gradient: { method: 'aca' as const, toleranceFactor: 1 }, solver };
    const r = evaluateInline(batch);
    expect(cells).toBeLessThan(problems.length * (length - 1) * 2); // some cells are missing
    expect(r.loss).toBeCloseTo(reference(params), 12);
    for (let j = 0; j < 4; j++) {
      const h = 1e-6;
      const up = Float64Array.from(params);
      const down = Float64Array.from(params);
      up[j] += h;
      down[j] -= h;
      const fd = (reference(up) - reference(down)) / (2 * h);
      expect(Math.abs(r.dp[j] - fd)).toBeLessThan(1e-5 * Math.max(1, Math.abs(fd)));
    }
  });

  it('recovers Lotka-Volterra parameters from an irregular series with gaps', async () => {
    const series = irregularSeries(2);
    const result = await trainTimeSeries({
      field: LV,
      series,
      params: [1.2, 0.8, 2.6, 1.2],
      iterations: 600,
      batchSize: 10,
      batchLength: 10,
      lr: 2e-2,
      schedule: { kind: 'cosine' },
      validateEvery: 50,
    });
    expect(result.startFrom).toBe('data');
    result.params.forEach((v, j) => expect(Math.abs(v - TRUE[j])).toBeLessThan(0.02 * TRUE[j]));
  }, 120_000);

  it('trains when one state is never observed, starting subsequences from the prediction', async () => {
    const series = irregularSeries(3, ['x']);
    const result = await trainTimeSeries({
      field: LV,
      series,
      y0: [1, 1],
      params: [1.5, 0.8, 3, 1.2],
      trainable: [1, 3],
      iterations: 600,
      batchSize: 10,
      batchLength: 20,
      lr: 2e-2,
      schedule: { kind: 'cosine' },
      validateEvery: 50,
    });
    expect(result.startFrom).toBe('prediction');
    expect(Math.abs(result.params[1] - TRUE[1])).toBeLessThan(0.005);
    expect(Math.abs(result.params[3] - TRUE[3])).toBeLessThan(0.005);
    expect(result.params[0]).toBe(1.5);
    expect(result.params[2]).toBe(3);
  }, 120_000);
});
