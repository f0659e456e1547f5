/**
 * Forward sensitivities (src/gradients/sensitivities.ts) against two independent references:
 * central finite differences of the same discrete map (a fixed-step method, so the steps do not
 * move with the perturbation), and ACA's reverse-mode gradient of an adaptive solve (both are
 * exact derivatives of the map with the accepted steps fixed, so J^T g = dL/dtheta to round-off).
 */
import { describe, expect, it } from 'vitest';
import { lotkaVolterraField } from '../../src/fields/classic.ts';
import { nbodyField } from '../../src/fields/nbody.ts';
import { gradient } from '../../src/gradients/gradient.ts';
import { forwardSensitivities, type SensitivitySeed } from '../../src/gradients/sensitivities.ts';
import { squaredError } from '../../src/losses/loss.ts';
import { solve } from '../../src/solvers/solve.ts';
import { figureEight } from '../helpers/problems.ts';

const lvSeeds: SensitivitySeed[] = [
  { target: 'initial', index: 0 },
  { target: 'initial', index: 1 },
  { target: 'params', index: 0 },
  { target: 'params', index: 1 },
  { target: 'params', index: 2 },
  { target: 'params', index: 3 },
];

describe('forward sensitivities', () => {
  it('equal central differences of a fixed-step RK4 map (every output, every seed)', () => {
    const field = lotkaVolterraField();
    const y0 = [1, 1];
    const p = [1.5, 1, 3, 1];
    // Output times off the step grid: the dense (Hermite) outputs are differentiated too.
    const times = [0, 0.33, 1.05, 2.5, 4.0, 6.27];
    const options = { times, method: 'rk4', dt: 0.05, params: p };
    const { jacobian, outputs } = forwardSensitivities(field, y0, options, lvSeeds);
    const plain = solve(field, y0, options);
    expect(Array.from(outputs)).toEqual(Array.from(plain.y));
    const n = lvSeeds.length;
    const eps = 1e-6;
    let worst = 0;
    lvSeeds.forEach((seed, c) => {
      const shifted = (delta: number) => {
        const y = [...y0];
        const q = [...p];
        (seed.target === 'initial' ? y : q)[seed.index] += delta;
        return solve(field, y, { ...options, params: q }).y;
      };
      const up = shifted(eps);
      const down = shifted(-eps);
      for (let r = 0; r < up.length; r++) {
        const fd = (up[r] - down[r]) / (2 * eps);
        worst = Math.max(worst, Math.abs(fd - jacobian[r * n + c]) / Math.max(1, Math.abs(fd)));
      }
    });
    expect(worst).toBeLessThan(1e-8);
    // The rows at t0 are the seeds themselves.
    expect(Array.from(jacobian.subarray(0, 2 * n))).toEqual([1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
  });

  it("give J^T g equal to ACA's gradient of an adaptive dopri5 solve (Lotka-Volterra)", () => {
    const field = lotkaVolterraField();
    const y0 = [1, 1];
    const params = [1.5, 1, 3, 1];
    const times = Array.from({ length: 40 }, (_, k) => 0.1 + 0.25 * k);
    const target = times.flatMap((t) => [1 + 0.5 * Math.sin(t), 1 + 0.3 * Math.cos(t)]);
    const loss = squaredError(2, { target });
    const options = { times, params, rtol: 1e-6, atol: 1e-9 };
    const aca = gradient(field, y0, { ...options, loss, gradient: { method: 'aca', toleranceFactor: 1 } });
    const sens = forwardSensitivities(field, y0, options, lvSeeds);
    expect(Array.from(sens.outputs)).toEqual(Array.from(aca.outputs));
    const g = new Float64Array(sens.outputs.length);
    loss(sens.outputs, Float64Array.from(times), g);
    const n = lvSeeds.length;
    const jtg = new Float64Array(n);
    for (let r = 0; r < g.length; r++) for (let c = 0; c < n; c++) jtg[c] += sens.jacobian[r * n + c] * g[r];
    const reference = [...aca.dy0, ...aca.dp];
    reference.forEach((v, c) => expect(Math.abs(jtg[c] - v)).toBeLessThan(1e-10 * Math.max(1, Math.abs(v))));
  });

  it("give J^T g equal to ACA's gradient for the three-body field (masses and states)", () => {
    const { y0, masses, field } = figureEight();
    const times = [0.5, 1.0, 1.7, 2.2];
    const seeds: SensitivitySeed[] = [
      ...Array.from({ length: 18 }, (_, i) => ({ target: 'initial' as const, index: i })),
      ...masses.map((_, i) => ({ target: 'params' as const, index: i })),
    ];
    const target = times.flatMap(() => Array.from({ length: 18 }, () => 0.1));
    const loss = squaredError(18, { target });
    const options = { times, params: masses, rtol: 1e-8, atol: 1e-10 };
    const aca = gradient(field, y0, { ...options, loss, gradient: { method: 'aca', toleranceFactor: 1 } });
    const sens = forwardSensitivities(field, y0, options, seeds);
    const g = new Float64Array(sens.outputs.length);
    loss(sens.outputs, Float64Array.from(times), g);
    const n = seeds.length;
    const reference = [...aca.dy0, ...aca.dp];
    for (let c = 0; c < n; c++) {
      let acc = 0;
      for (let r = 0; r < g.length; r++) acc += sens.jacobian[r * n + c] * g[r];
      expect(Math.abs(acc - reference[c])).toBeLessThan(1e-9 * Math.max(1, Math.abs(reference[c])));
    }
    expect(sens.stats.jacobianEvals + sens.stats.jvpEvals).toBeGreaterThan(0);
  });

  it('refuse a seed outside the state or the parameters', () => {
    const field = nbodyField({ bodies: 2 });
    expect(() => forwardSensitivities(field, new Float64Array(12), { times: [1], t0: 0, params: [1, 1] }, [{ target: 'params', index: 2 }])).toThrow(
      /seeds\[0\]/,
    );
  });
});
