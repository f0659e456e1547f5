/**
 * Mini-batches on the worker pool (src/parallel): the same bits on 1 and 2 workers (fixed shard
 * size), the same numbers as the inline evaluator to rounding, and a short training run that ends
 * with bitwise the same parameters on 1 and 2 workers.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { mlpField } from '../../src/fields/mlp.ts';
import { closePool } from '../../src/parallel/pool.ts';
import { createRng } from '../../src/util/random.ts';
import { evaluateInline, type SubsequenceBatch } from '../../src/timeseries/evaluate.ts';
import { candidateStarts, sampleSubsequences, subsequenceProblem } from '../../src/timeseries/minibatch.ts';
import { groupByTimes, poolEvaluator } from '../../src/timeseries/pool-evaluator.ts';
import { fullStateAt } from '../../src/timeseries/series.ts';
import { spiralSeries, type SpiralProblem } from '../../src/timeseries/spiral.ts';
import { trainTimeSeries } from '../../src/timeseries/train.ts';

afterAll(() => closePool({ force: true }));

const problem = JSON.parse(readFileSync(new URL('../../data/problems/spiral.json', import.meta.url), 'utf8')) as SpiralProblem;
const series = spiralSeries({ ...problem, points: 200 });
const field = mlpField({ sizes: [2, 50, 2], activation: 'tanh', inputTransform: 'cube', seed: 0 });
const params = field.initParams(0);

function batch(): SubsequenceBatch {
  const subs = sampleSubsequences(candidateStarts(series, 200, 10, 'data'), 20, 10, createRng(5));
  const y = new Float64Array(2);
  const problems = subs.map((s) => {
    fullStateAt(series, s.start, y);
    return subsequenceProblem(series, s, y, true);
  });
  return { field, params, problems, observed: series.observed, cellWeight: 1 / (20 * 9 * 2), gradient: { method: 'aca' }, solver: { rtol: 1e-7, atol: 1e-9 } };
}

const bits = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

describe('pool evaluator', () => {
  it('groups shifted subsequences of an even grid into one job', () => {
    expect(groupByTimes(batch().problems).length).toBe(1);
  });

  it('gives the same bits on 1 and 2 workers and the inline numbers to rounding', async () => {
    const b = batch();
    const inline = evaluateInline(b);
    const one = await poolEvaluator({ workers: 1, inline: false })(b);
    const two = await poolEvaluator({ workers: 2 })(b);
    expect(bits(Float64Array.of(two.loss, ...two.dp))).toBe(bits(Float64Array.of(one.loss, ...one.dp)));
    expect(Math.abs(two.loss - inline.loss)).toBeLessThan(1e-12 * inline.loss);
    let scale = 0;
    for (const g of inline.dp) scale = Math.max(scale, Math.abs(g));
    for (let j = 0; j < inline.dp.length; j++) expect(Math.abs(two.dp[j] - inline.dp[j])).toBeLessThan(1e-9 * scale);
  }, 60_000);

  it('trains to bitwise the same parameters on 1 and 2 workers', async () => {
    const run = (workers: number) =>
      trainTimeSeries({
        field,
        series,
        params,
        iterations: 10,
        lr: 1e-2,
        solver: { rtol: 1e-7, atol: 1e-9 },
        evaluateBatch: poolEvaluator({ workers, inline: false }),
      });
    const [one, two] = [await run(1), await run(2)];
    expect(bits(two.params)).toBe(bits(one.params));
    expect(one.history.every((h) => Number.isFinite(h.loss))).toBe(true);
  }, 60_000);
});
