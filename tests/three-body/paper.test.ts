/**
 * The main job's claim: from the seed paper's setup (data/problems/three_body_paper.json), ACA
 * recovers the three masses to within 1% relative error, and the fitted masses extrapolate.
 */
import { describe, expect, it } from 'vitest';
import { runPaperExperiment } from '../../src/three-body/paper-experiment.ts';
import { estimate } from '../../src/three-body/estimate.ts';
import { synthesize } from '../../src/three-body/observations.ts';
import { paperSetup } from '../../src/three-body/paper.ts';

describe('three-body mass estimation (seed paper setup)', () => {
  it('ACA recovers the masses to within 1% and extrapolates to [0, 2]', async () => {
    const run = await runPaperExperiment({ methods: ['aca'] });
    const aca = run.outcomes[0];
    const start = Array.from(run.initialMasses, (m, b) => Math.abs(m - run.setup.trueMasses[b]) / run.setup.trueMasses[b]);
    expect(Math.max(...start)).toBeGreaterThan(0.01); // the guess starts off by more than 1%
    for (const e of aca.relativeErrors) expect(e).toBeLessThan(0.01);
    expect(aca.fit.lossHistory.at(-1)!).toBeLessThan(aca.fit.lossHistory[0] * 1e-3);
    // Extrapolation: predicted positions on [0, 2] within 1e-3 of the truth.
    expect(aca.test.maxDistance).toBeLessThan(1e-3);
  });

  it("a window whose t0 is after its first observation is refused", async () => {
    const setup = paperSetup();
    const obs = synthesize(setup.system, setup.y0, setup.trueMasses, Float64Array.of(0.1, 0.2));
    await expect(estimate(setup.system, [{ observations: obs, y0: setup.y0, t0: 5 }], { epochs: 1, lr: 0.1, initialMasses: [1, 1, 1] })).rejects.toThrow(
      "invalid windows[0].t0: 5 (a time at or before the window's first observation (0.1))",
    );
  });

  it('fits masses and initial velocities together from noisy, partial observations in two windows', async () => {
    const setup = paperSetup();
    const times = Float64Array.from({ length: 100 }, (_, i) => (i + 1) / 100);
    const windows = [7, 8].map((seed) => {
      const obs = synthesize(setup.system, setup.y0, setup.trueMasses, times, { noise: 1e-4, seed });
      // Body 3's z coordinate unobserved at every other time.
      for (let k = 0; k < times.length; k += 2) obs.positions[k * 9 + 8] = NaN;
      const y0 = Float64Array.from(setup.y0);
      for (let i = 9; i < 18; i++) y0[i] += 0.002 * (i % 2 ? 1 : -1);
      return { observations: obs, y0 };
    });
    const fit = await estimate(setup.system, windows, {
      epochs: 2000,
      lr: 0.01,
      lrDecay: 0.999,
      initialMasses: [1, 1, 1],
      fit: { masses: true, velocities: true },
    });
    for (let b = 0; b < 3; b++) expect(Math.abs(fit.masses[b] - setup.trueMasses[b]) / setup.trueMasses[b]).toBeLessThan(0.01);
    for (let i = 9; i < 18; i++) expect(Math.abs(fit.y0s[0][i] - setup.y0[i])).toBeLessThan(1e-3);
    expect(fit.gradientEvaluations).toBe(2 * 2000);
  });
});
