/**
 * Adaptive solves against closed forms. The controller bounds the local error per step, not the
 * global error, so the global error is a problem-dependent multiple of the tolerance: on these
 * problems (no strong error growth) it stays within 30 tolerances, measured as
 * max_i |y_i - exact_i| / (atol + rtol |exact_i|) at ten output times (interpolated ones
 * included). And the error falls in proportion to the tolerance (Solving ODEs I, sec. II.4,
 * "tolerance proportionality"): strictly at every tightening, with a fitted slope of
 * log(error) against log(tol) near 1.
 */
import { describe, expect, it } from 'vitest';
import { solve } from '../../src/index.ts';
import {
  eulerRigidBody,
  expSin,
  gaussian,
  kepler,
  maxAbsDiff,
  rotation,
  scaledError,
  slope,
  type ClosedForm,
} from './closed-forms.ts';

/** Tolerances per method, within each pair's useful range (low orders are slow at tight ones). */
const TOLERANCES: Record<string, number[]> = {
  heun_euler: [1e-3, 1e-4, 1e-5, 1e-6],
  bosh3: [1e-4, 1e-5, 1e-6, 1e-7, 1e-8],
  dopri5: [1e-4, 1e-6, 1e-8, 1e-10],
  tsit5: [1e-4, 1e-6, 1e-8, 1e-10],
  dopri8: [1e-6, 1e-8, 1e-10, 1e-12],
};
const METHODS = Object.keys(TOLERANCES);

describe('global error within a small multiple of the tolerance', () => {
  const problems: [ClosedForm, number][] = [
    [expSin, 10],
    [gaussian, 5],
    [rotation, 10],
    [eulerRigidBody, 20],
  ];
  for (const [P, T] of problems) {
    for (const method of METHODS) {
      it(`${method} on ${P.name}, rtol = atol in [${TOLERANCES[method].at(-1)}, ${TOLERANCES[method][0]}]`, () => {
        const times = Array.from({ length: 11 }, (_, k) => (k * T) / 10);
        const d = P.field.dim;
        for (const tol of TOLERANCES[method]) {
          const sol = solve(P.field, P.y0, { times, method, params: P.params, rtol: tol, atol: tol });
          let worst = 0;
          for (let k = 1; k < times.length; k++) {
            const got = sol.y.subarray(k * d, (k + 1) * d);
            worst = Math.max(worst, scaledError(got, P.exact(times[k]), tol, tol));
          }
          expect(worst, `tol ${tol}`).toBeLessThan(30);
        }
      });
    }
  }
});

describe('the error falls as the tolerance falls', () => {
  const problems: [ClosedForm, number][] = [
    // One full orbit of the eccentric Kepler problem: the phase error grows along the orbit, so
    // the global error is 10-500 tolerances here, but it still follows the tolerance.
    [kepler(0.5), 2 * Math.PI],
    [eulerRigidBody, 20],
    [rotation, 10],
  ];
  for (const [P, T] of problems) {
    for (const method of METHODS) {
      it(`${method} on ${P.name}`, () => {
        const tols = TOLERANCES[method];
        const errors = tols.map((tol) => {
          const sol = solve(P.field, P.y0, { times: [T], t0: 0, method, params: P.params, rtol: tol, atol: tol });
          return maxAbsDiff(sol.y, P.exact(T));
        });
        for (let k = 1; k < errors.length; k++) expect(errors[k]).toBeLessThan(errors[k - 1]);
        const proportionality = slope(tols.map(Math.log), errors.map(Math.log));
        expect(proportionality).toBeGreaterThan(0.7);
        expect(proportionality).toBeLessThan(1.4);
      });
    }
  }
});
