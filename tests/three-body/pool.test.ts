/**
 * Observation windows fitted together on the worker pool give the inline result: the windows are
 * trajectories of one batch job, one shard each.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { closePool } from '../../src/parallel/pool.ts';
import { estimate } from '../../src/three-body/estimate.ts';
import { synthesize } from '../../src/three-body/observations.ts';
import { paperSetup } from '../../src/three-body/paper.ts';
import { poolEvaluator } from '../../src/three-body/pool-evaluator.ts';

afterAll(() => closePool());

describe('three-body windows on the pool', () => {
  it('matches the inline fit', async () => {
    const setup = paperSetup();
    const times = Float64Array.from({ length: 50 }, (_, i) => (i + 1) / 50);
    const windows = [1, 2, 3].map((seed) => {
      const observations = synthesize(setup.system, setup.y0, setup.trueMasses, times, { noise: 1e-4, seed });
      observations.positions[seed * 9 + 4] = NaN; // a missing cell
      return { observations, y0: setup.y0 };
    });
    const options = { epochs: 5, lr: 0.01, initialMasses: [1, 1, 1], fit: { masses: true, velocities: true } };
    const inline = await estimate(setup.system, windows, options);
    const pooled = await estimate(setup.system, windows, { ...options, evaluate: poolEvaluator(setup.system, windows, { workers: 2 }) });
    for (let e = 0; e < 5; e++) expect(Math.abs(pooled.lossHistory[e] - inline.lossHistory[e])).toBeLessThanOrEqual(1e-12 * inline.lossHistory[e]);
    for (let b = 0; b < 3; b++) expect(pooled.masses[b]).toBeCloseTo(inline.masses[b], 12);
    expect(pooled.masses[0]).not.toBe(1); // it moved
  });
});
