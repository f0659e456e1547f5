/**
 * The spiral claim on a shortened schedule (scripts/spiral.ts runs the full one): a neural
 * ODE dy/dt = nn(y^3), 2-50-2 tanh, trained from the truth's 1,000 points, reproduces the whole
 * trajectory on [0, 25] from y0 with mean squared error below 1e-2. The error is measured by a
 * solve independent of training (rtol 1e-10) against the truth (solved at rtol 1e-10).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mlpField } from '../../src/fields/mlp.ts';
import { solve } from '../../src/solvers/solve.ts';
import { seriesMse } from '../../src/timeseries/series.ts';
import { spiralSeries, type SpiralProblem } from '../../src/timeseries/spiral.ts';
import { trainInPhases } from '../../src/timeseries/train.ts';

const problem = JSON.parse(
  readFileSync(new URL('../../data/problems/spiral.json', import.meta.url), 'utf8'),
) as SpiralProblem;

describe('spiral neural ODE (shortened schedule)', () => {
  it('reproduces the whole trajectory on [0, 25] with MSE < 1e-2', async () => {
    const series = spiralSeries(problem);
    expect(series.times.length).toBe(1000);
    const field = mlpField({ sizes: [2, 50, 2], activation: 'tanh', inputTransform: 'cube', seed: 0 });
    const initial = field.initParams(0);
    const before = seriesMse(series, solve(field, problem.y0, { times: series.times, params: initial }).y);
    const result = await trainInPhases(
      { field, series, params: initial, seed: 0, schedule: { kind: 'cosine' } },
      [
        // ode_demo's batches: 20 subsequences of 10 points.
        { iterations: 1500, batchSize: 20, batchLength: 10, lr: 3e-2, validateEvery: 50 },
        // The whole series as one trajectory from y0.
        { iterations: 400, batchSize: 1, batchLength: 1000, lr: 1e-3, schedule: { kind: 'cosine', warmup: 50 }, validateEvery: 25 },
      ],
    );
    const fit = solve(field, problem.y0, { times: series.times, params: result.params, rtol: 1e-10, atol: 1e-12 });
    const mse = seriesMse(series, fit.y);
    expect(before).toBeGreaterThan(1);
    expect(mse).toBeLessThan(1e-2);
    // The selected parameters' validation error is the same quantity at training tolerances.
    expect(result.validationLoss).toBeLessThan(1e-2);
    expect(result.failedBatches).toBe(0);
  }, 240_000);
});
