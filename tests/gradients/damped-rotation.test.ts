/**
 * data/problems/linear_damped_rotation.json has a closed-form gradient. At rtol 1e-8,
 * atol 1e-12, ACA's relative gradient error stays within 10x the forward solution's relative
 * error for every T listed. (The table of ACA's and the adjoint's errors by T is printed by
 * `npm run bench -- 02`.)
 */
import { describe, expect, it } from 'vitest';
import { dampedRotationField } from '../../src/fields/classic.ts';
import { AdjointDriftError } from '../../src/errors.ts';
import { gradient } from '../../src/gradients/gradient.ts';
import type { Loss } from '../../src/losses/loss.ts';
import { loadProblem } from '../helpers/problems.ts';

const P = loadProblem<{ params: { k: number; w: number }; y0: number[]; T_values: number[] }>('linear_damped_rotation');
const { k, w } = P.params;
const field = dampedRotationField();
const firstComponent: Loss = (y, _t, g) => {
  g.fill(0);
  g[0] = 1;
  return y[0];
};

/** Closed form (the problem file's description), for y0 = (1, 0). */
function exact(T: number) {
  const decay = Math.exp(-k * T);
  const L = decay * Math.cos(w * T);
  return {
    L,
    dk: -T * L,
    dw: decay * T * -Math.sin(w * T),
    dy0: [decay * Math.cos(w * T), -decay * Math.sin(w * T)],
    dT: -k * L - w * decay * Math.sin(w * T),
  };
}

describe('damped rotation: ACA against the closed-form gradient', () => {
  for (const T of P.T_values) {
    it(`T = ${T}`, () => {
      const ex = exact(T);
      const opts = { times: [T], t0: 0, params: [k, w], loss: firstComponent, rtol: 1e-8, atol: 1e-12 };
      const aca = gradient(field, P.y0, opts);
      const fwdErr = Math.abs(aca.loss - ex.L) / Math.abs(ex.L);
      const gradErr = (r: typeof aca) => Math.hypot(r.dp[0] - ex.dk, r.dp[1] - ex.dw) / Math.hypot(ex.dk, ex.dw);
      const acaErr = gradErr(aca);
      expect(acaErr).toBeLessThan(10 * Math.max(fwdErr, 1e-15));
      // dL/dy0 and the end-time derivatives have closed forms too.
      const dyErr = Math.hypot(aca.dy0[0] - ex.dy0[0], aca.dy0[1] - ex.dy0[1]) / Math.hypot(...ex.dy0);
      expect(dyErr).toBeLessThan(10 * Math.max(fwdErr, 1e-15));
      expect(Math.abs(aca.dt1 - ex.dT)).toBeLessThan(1e-6 * Math.abs(ex.dT) + 1e-11);
      // Autonomous: moving t0 forward is moving the end time back.
      expect(Math.abs(aca.dt0 + ex.dT)).toBeLessThan(1e-6 * Math.abs(ex.dT) + 1e-11);
    });
  }
  it('the continuous adjoint refuses when its reconstruction of y has left the forward solution (T = 40)', () => {
    const T = 40;
    const opts = { times: [T], t0: 0, params: [k, w], loss: firstComponent, rtol: 1e-8, atol: 1e-12 };
    // y(T) = e^-20 y0: the backward solve multiplies the reconstruction's error by e^20.
    expect(() => gradient(field, P.y0, { ...opts, gradient: { method: 'adjoint' } })).toThrow(AdjointDriftError);
    const report = gradient(field, P.y0, { ...opts, gradient: { method: 'adjoint', maxDrift: Infinity } });
    expect(report.diagnostics!.adjointDrift!.max).toBeGreaterThan(1e5);
    expect(report.diagnostics!.adjointDrift!.t).toBe(0);
  });

});
