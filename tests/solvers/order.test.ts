/**
 * Convergence orders. Every method, run with fixed steps h, has a global error O(h^p) at a fixed
 * time: the least-squares slope of log(error) against log(h) over four halvings of h is within
 * 0.3 of the nominal order p. The problems have closed forms (closed-forms.ts): a nonlinear
 * autonomous system (DETEST B5), a non-autonomous scalar equation (which exercises the nodes c),
 * and the Kepler problem. The step counts are chosen in each problem's asymptotic range, above
 * rounding.
 *
 * The embedded error estimates h sum_j e_j K_j of the adaptive pairs are local errors of the
 * embedded solution, O(h^(q+1)) for its order q: measured on one step from a fixed state as h
 * halves.
 */
import { describe, expect, it } from 'vitest';
import { getMethod, METHOD_NAMES, solve } from '../../src/index.ts';
import { allocateStages, computeStages, weightedSum } from '../../src/solvers/stepper.ts';
import { eulerRigidBody, expSin, kepler, maxAbsDiff, slope, type ClosedForm } from './closed-forms.ts';

/** Runs `method` with exactly n equal steps over [0, T] and returns the max-abs error at T. */
function fixedStepError(method: string, P: ClosedForm, T: number, n: number): number {
  const h = T / n;
  // Adaptive pairs run with fixed steps: every step accepted (huge tolerances), h capped by maxStep.
  // Implicit methods also solve their stages to round-off, so that the error is the method's.
  const stepping = getMethod(method).adaptive
    ? { firstStep: h, maxStep: h, rtol: 1e3, atol: 1e3, ...(getMethod(method).implicit ? { newtonTol: 1e-16 } : {}) }
    : { dt: h };
  const sol = solve(P.field, P.y0, { times: [T], t0: 0, method, params: P.params, ...stepping });
  expect(sol.stats).toMatchObject({ accepted: n, rejected: 0 });
  return maxAbsDiff(sol.y, P.exact(T));
}

/** The fitted order: slope of log(error) against log(h) over h = T/n0, T/(2 n0), T/(4 n0), T/(8 n0). */
function fittedOrder(method: string, P: ClosedForm, T: number, n0: number): number {
  const steps = [1, 2, 4, 8].map((k) => k * n0);
  const errors = steps.map((n) => fixedStepError(method, P, T, n));
  return slope(
    steps.map((n) => Math.log(T / n)),
    errors.map(Math.log),
  );
}

// Per problem: the end time and, per method, the smallest step count n0 of the four.
const CASES: { problem: ClosedForm; T: number; n0: Record<string, number> }[] = [
  {
    problem: eulerRigidBody,
    T: 5,
    n0: { euler: 1024, midpoint: 128, rk4: 64, heun_euler: 128, bosh3: 64, dopri5: 16, tsit5: 16, dopri8: 4, kvaerno3: 64, kvaerno5: 16 },
  },
  {
    problem: expSin,
    T: 10,
    n0: { euler: 2048, midpoint: 256, rk4: 128, heun_euler: 256, bosh3: 128, dopri5: 48, tsit5: 32, dopri8: 6, kvaerno3: 128, kvaerno5: 32 },
  },
  {
    problem: kepler(0.5),
    T: 2,
    n0: { euler: 8192, midpoint: 256, rk4: 128, heun_euler: 256, bosh3: 128, dopri5: 48, tsit5: 32, dopri8: 8, kvaerno3: 128, kvaerno5: 32 },
  },
];

describe('fixed-step convergence order', () => {
  it('covers every registered method', () => {
    for (const { n0 } of CASES) expect(Object.keys(n0).sort()).toEqual([...METHOD_NAMES].sort());
  });

  for (const { problem, T, n0 } of CASES) {
    for (const method of METHOD_NAMES) {
      it(`${method} on ${problem.name}: fitted order within 0.3 of ${getMethod(method).order}`, () => {
        const p = fittedOrder(method, problem, T, n0[method]);
        expect(Math.abs(p - getMethod(method).order)).toBeLessThan(0.3);
      });
    }
  }
});

describe('embedded error estimates', () => {
  const steps = [0.1, 0.05, 0.025, 0.0125];

  /** Norms of h sum_j w_j K_j over one step of each size from the exact state at t = 0.7. */
  function estimateNorms(method: string, P: ClosedForm, weights: 'e' | 'e3'): number[] {
    const m = getMethod(method);
    const d = P.field.dim;
    const t = 0.7;
    const y = Float64Array.from(P.exact(t));
    const K = allocateStages(m.denseStages, d);
    const work = new Float64Array(d);
    const err = new Float64Array(d);
    const p = Float64Array.from(P.params);
    return steps.map((h) => {
      computeStages(m, P.field, t, y, h, p, K, work, 0, m.stages);
      weightedSum(m[weights]!, m.stages, h, K, err);
      return Math.hypot(...err);
    });
  }

  const fit = (norms: number[]) => slope(steps.map(Math.log), norms.map(Math.log));
  const adaptive = METHOD_NAMES.filter((name) => getMethod(name).adaptive);

  it('exist for every adaptive method and for no fixed-step one', () => {
    expect(adaptive.sort()).toEqual(['bosh3', 'dopri5', 'dopri8', 'heun_euler', 'kvaerno3', 'kvaerno5', 'tsit5']);
    for (const name of METHOD_NAMES) expect(getMethod(name).e === null).toBe(!adaptive.includes(name));
  });

  for (const P of [kepler(0.5), eulerRigidBody]) {
    // (The implicit methods' stages need Newton: their orders are tested in stiff.test.ts.)
    for (const method of adaptive.filter((name) => name !== 'dopri8' && !getMethod(name).implicit)) {
      it(`${method} on ${P.name}: the estimate is O(h^(q+1)), q = ${getMethod(method).errorOrder}`, () => {
        const q = getMethod(method).errorOrder;
        expect(Math.abs(fit(estimateNorms(method, P, 'e')) - (q + 1))).toBeLessThan(0.3);
      });
    }

    it(`dopri8 on ${P.name}: the 5th- and 3rd-order estimates and their O(h^8) combination`, () => {
      // DOP853's err5 = h sum e K (an order-5 difference, O(h^6)) and err3 (O(h^4)) combine as
      // err5^2 / sqrt(err5^2 + 0.01 err3^2) = O(h^8) (Solving ODEs I, sec. II.10): errorOrder 7.
      const err5 = estimateNorms('dopri8', P, 'e');
      const err3 = estimateNorms('dopri8', P, 'e3');
      const combined = err5.map((e5, k) => (e5 * e5) / Math.sqrt(e5 * e5 + 0.01 * err3[k] * err3[k]));
      expect(Math.abs(fit(err5) - 6)).toBeLessThan(0.3);
      expect(Math.abs(fit(err3) - 4)).toBeLessThan(0.3);
      expect(Math.abs(fit(combined) - (getMethod('dopri8').errorOrder + 1))).toBeLessThan(0.3);
    });
  }
});
