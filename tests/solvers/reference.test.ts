/**
 * Published reference solutions.
 *
 * - The figure-eight choreography (Chenciner & Montgomery 2000; data/problems): periodic, so the
 *   state after one period equals the initial state, up to the 8 digits the data are given to.
 * - The Arenstorf orbit (Hairer, Norsett & Wanner, Solving ODEs I, sec. II.0, eq. (0.1)-(0.2)):
 *   the published initial value and period T = 17.0652165601579625588917206249 close the orbit.
 *   The orbit passes close to the moon, which amplifies local errors: the closure error is
 *   10^3 to 4 10^4 tolerances for every method here, so it is compared with that amplification;
 *   the tightest solves then pin the published data down to 1e-9.
 * - The Kepler problem with eccentricity 0.5, exact through Kepler's equation (Hairer, Lubich &
 *   Wanner, Geometric Numerical Integration, sec. I.2): periodic with period 2 pi.
 * - DETEST B5, Euler's rigid body (Hull et al. 1972), exact in Jacobi elliptic functions.
 */
import { describe, expect, it } from 'vitest';
import { nbodyField, solve } from '../../src/index.ts';
import { loadProblem, type FigureEight } from '../helpers/problems.ts';
import { ARENSTORF, arenstorfField, eulerRigidBody, kepler, maxAbsDiff, scaledError } from './closed-forms.ts';

describe('figure-eight orbit', () => {
  const P = loadProblem<FigureEight>('three_body_figure_eight');
  const field = nbodyField({ bodies: 3 });

  it('closes after one period to < 1e-6 with dopri5 at rtol = atol = 1e-10', () => {
    const sol = solve(field, P.y0, { times: [P.period], t0: 0, method: 'dopri5', params: P.masses, rtol: 1e-10, atol: 1e-10 });
    expect(maxAbsDiff(sol.y, P.y0)).toBeLessThan(1e-6);
  });

  it('closes to the 8 digits of its data: a tight solve returns to within 1e-7, a loose one does not', () => {
    const tight = solve(field, P.y0, { times: [P.period], t0: 0, method: 'dopri8', params: P.masses, rtol: 1e-13, atol: 1e-13 });
    expect(maxAbsDiff(tight.y, P.y0)).toBeLessThan(1e-7);
    const loose = solve(field, P.y0, { times: [P.period], t0: 0, method: 'dopri5', params: P.masses, rtol: 1e-4, atol: 1e-4 });
    expect(maxAbsDiff(loose.y, P.y0)).toBeGreaterThan(1e-4);
  });
});

describe('Arenstorf orbit', () => {
  const field = arenstorfField();
  const closure = (method: string, tol: number) => {
    const sol = solve(field, ARENSTORF.y0, { times: [ARENSTORF.period], t0: 0, method, rtol: tol, atol: tol });
    return maxAbsDiff(sol.y, ARENSTORF.y0);
  };

  for (const method of ['dopri5', 'tsit5', 'dopri8']) {
    it(`${method} returns to the start within the orbit's error amplification (5e4 tol)`, () => {
      for (const tol of [1e-8, 1e-10, 1e-12]) expect(closure(method, tol), `tol ${tol}`).toBeLessThan(5e4 * tol);
    });
  }

  it('the published period and initial value agree to 1e-9: dopri8 closes the orbit that well', () => {
    const errors = [1e-8, 1e-10, 1e-12, 1e-13].map((tol) => closure('dopri8', tol));
    for (let k = 1; k < errors.length; k++) expect(errors[k]).toBeLessThan(errors[k - 1]);
    expect(errors.at(-1)).toBeLessThan(2e-9);
  });

  it('is not periodic with a wrong period (the test can fail)', () => {
    const sol = solve(field, ARENSTORF.y0, { times: [ARENSTORF.period * (1 + 1e-6)], t0: 0, method: 'dopri8', rtol: 1e-12, atol: 1e-12 });
    expect(maxAbsDiff(sol.y, ARENSTORF.y0)).toBeGreaterThan(1e-6);
  });
});

describe('Kepler problem, e = 0.5', () => {
  const P = kepler(0.5);
  for (const method of ['dopri5', 'tsit5', 'dopri8']) {
    it(`${method} at 1e-10 follows Kepler's equation over one orbit and returns to the pericentre`, () => {
      const tol = 1e-10;
      const times = Array.from({ length: 8 }, (_, k) => ((k + 1) * 2 * Math.PI) / 8);
      const sol = solve(P.field, P.y0, { times, t0: 0, method, rtol: tol, atol: tol });
      for (let k = 0; k < times.length; k++) {
        expect(maxAbsDiff(sol.y.subarray(4 * k, 4 * k + 4), P.exact(times[k])), `t = ${times[k]}`).toBeLessThan(500 * tol);
      }
      expect(maxAbsDiff(sol.y.subarray(28, 32), P.y0)).toBeLessThan(500 * tol);
    });
  }
});

describe('DETEST B5 (Euler rigid body)', () => {
  for (const method of ['dopri5', 'tsit5', 'dopri8']) {
    it(`${method} matches (sn, cn, dn)(t | 0.51) at the DETEST end point t = 20`, () => {
      for (const tol of [1e-6, 1e-9]) {
        const sol = solve(eulerRigidBody.field, eulerRigidBody.y0, { times: [20], t0: 0, method, rtol: tol, atol: tol });
        expect(scaledError(sol.y, eulerRigidBody.exact(20), tol, tol), `tol ${tol}`).toBeLessThan(30);
      }
    });
  }
});
