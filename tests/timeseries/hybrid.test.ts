/**
 * A hybrid Lotka-Volterra fit: the interaction term b*x*y of x' is replaced by a small network,
 *   x' = a*x - nn(x, y)[1],   y' = -c*y + d*x*y,
 * with a, c, d known (held fixed) and the network trained on synthetic data from the full model
 * (a = 1.5, b = 1, c = 3, d = 1, y0 = (1, 1), 100 points on [0, 10]). The learned term must match
 * b*x*y at the data's states (relative RMS < 5%), and the fitted model must reproduce the data.
 */
import { describe, expect, it } from 'vitest';
import { lotkaVolterraField } from '../../src/fields/classic.ts';
import { hybridField } from '../../src/fields/hybrid.ts';
import { buildField } from '../../src/fields/registry.ts';
import { solve } from '../../src/solvers/solve.ts';
import { createTimeSeries, seriesMse } from '../../src/timeseries/series.ts';
import { trainInPhases } from '../../src/timeseries/train.ts';

const TRUE = { a: 1.5, b: 1, c: 3, d: 1 };

describe('hybrid Lotka-Volterra with a learned interaction term', () => {
  it('learns b*x*y from synthetic data and reproduces the data', async () => {
    const times = Float64Array.from({ length: 100 }, (_, k) => (10 * k) / 99);
    const truth = solve(lotkaVolterraField(), [1, 1], {
      times,
      params: [TRUE.a, TRUE.b, TRUE.c, TRUE.d],
      rtol: 1e-10,
      atol: 1e-12,
    });
    const field = hybridField({
      model: { states: ['x', 'y'], params: ['a', 'c', 'd'], equations: { x: 'a*x - nn(x, y)[1]', y: '-c*y + d*x*y' } },
      network: { sizes: [2, 16, 1], activation: 'softplus', seed: 1 },
    });
    const series = createTimeSeries({ times, values: truth.y }, field);
    const initial = field.initParams([TRUE.a, TRUE.c, TRUE.d]);
    const networkOnly = Array.from({ length: field.nParams - 3 }, (_, j) => 3 + j);

    const result = await trainInPhases(
      { field, series, params: initial, trainable: networkOnly, clipNorm: 1, seed: 0, schedule: { kind: 'cosine' } },
      [
        { iterations: 1000, batchSize: 10, batchLength: 10, lr: 3e-2, validateEvery: 100 },
        { iterations: 500, batchSize: 1, batchLength: 100, lr: 3e-3, schedule: { kind: 'cosine', warmup: 50 }, validateEvery: 50 },
      ],
    );
    const p = result.params;
    expect(Array.from(p.subarray(0, 3))).toEqual([TRUE.a, TRUE.c, TRUE.d]);

    // The learned term at the data's states: a*x - f_x(x, y), read through the field itself.
    const out = new Float64Array(2);
    let err = 0;
    let ref = 0;
    for (let k = 0; k < times.length; k++) {
      const y = truth.y.subarray(2 * k, 2 * k + 2);
      field.f(times[k], y, p, out);
      const learned = TRUE.a * y[0] - out[0];
      const exact = TRUE.b * y[0] * y[1];
      err += (learned - exact) ** 2;
      ref += exact ** 2;
    }
    expect(Math.sqrt(err / ref)).toBeLessThan(0.05);

    // The fitted model reproduces the data from y0 (values of order 1 to 7).
    const fit = solve(field, [1, 1], { times, params: p, rtol: 1e-9, atol: 1e-11 });
    const mse = seriesMse(series, fit.y);
    let mean = 0;
    for (const v of truth.y) mean += v / truth.y.length;
    let variance = 0;
    for (const v of truth.y) variance += (v - mean) ** 2 / truth.y.length;
    expect(mse).toBeLessThan(1e-3);
    expect(mse / variance).toBeLessThan(1e-3);

    // The same model rebuilt from its spec (what a worker or a saved model does) gives the same f.
    const rebuilt = buildField(JSON.parse(JSON.stringify(field.spec)));
    const again = new Float64Array(2);
    rebuilt.f(0, Float64Array.from([2, 3]), p, again);
    field.f(0, Float64Array.from([2, 3]), p, out);
    expect(Array.from(again)).toEqual(Array.from(out));
  }, 240_000);
});
