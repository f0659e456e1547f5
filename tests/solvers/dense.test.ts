/**
 * Dense output. Locally: one step of size h from an exact state, interpolated at theta = 0.4
 * and 0.75, is off the exact solution by O(h^(q+1)) for an interpolant of order q (dopri5 and
 * tsit5: their own order-4 continuous extensions; the others: cubic Hermite through the step's
 * end values and derivatives, order min(3, p)). Globally: a whole solve's outputs at arbitrary
 * (off-grid) times match a tight-tolerance solve that lands on each of them.
 */
import { describe, expect, it } from 'vitest';
import { getMethod, METHOD_NAMES, nbodyField, solve } from '../../src/index.ts';
import { loadProblem, type FigureEight } from '../helpers/problems.ts';
import { eulerRigidBody, kepler, maxAbsDiff, rmsScaledError, slope, type ClosedForm } from './closed-forms.ts';

function interpolantOrder(method: string): number {
  const m = getMethod(method);
  return m.tableau.denseOrder ?? Math.min(3, m.order);
}

describe('local order of the interpolant', () => {
  it('dopri5 and tsit5 have their own order-4 dense output; the rest use Hermite', () => {
    expect(interpolantOrder('dopri5')).toBe(4);
    expect(interpolantOrder('tsit5')).toBe(4);
    for (const name of METHOD_NAMES) {
      if (name !== 'dopri5' && name !== 'tsit5') expect(getMethod(name).tableau.dense).toBeUndefined();
    }
  });

  const steps = [0.2, 0.1, 0.05, 0.025];
  const t0 = 0.7;

  /** Max error of the two interpolated outputs of one step of size h from the exact state at t0. */
  function interpolationError(method: string, P: ClosedForm, h: number): number {
    const stepping = getMethod(method).adaptive
      ? { firstStep: h, maxStep: h, rtol: 1e3, atol: 1e3, landOnOutputs: false, ...(getMethod(method).implicit ? { newtonTol: 1e-16 } : {}) }
      : { dt: h };
    const times = [t0 + 0.4 * h, t0 + 0.75 * h, t0 + h];
    const sol = solve(P.field, P.exact(t0), { times, t0, method, params: P.params, ...stepping });
    expect(sol.stats.accepted).toBe(1); // both outputs come from the interpolant of one step
    const d = P.field.dim;
    return Math.max(
      maxAbsDiff(sol.y.subarray(0, d), P.exact(times[0])),
      maxAbsDiff(sol.y.subarray(d, 2 * d), P.exact(times[1])),
    );
  }

  for (const P of [kepler(0.5), eulerRigidBody]) {
    for (const method of METHOD_NAMES) {
      it(`${method} on ${P.name}: local error O(h^${interpolantOrder(method) + 1})`, () => {
        const errors = steps.map((h) => interpolationError(method, P, h));
        const fitted = slope(steps.map(Math.log), errors.map(Math.log));
        expect(Math.abs(fitted - (interpolantOrder(method) + 1))).toBeLessThan(0.3);
      });
    }
  }
});

describe('dense output over a whole solve', () => {
  const P = loadProblem<FigureEight>('three_body_figure_eight');
  const field = nbodyField({ bodies: 3 });
  // 53 output times spread over one period: none falls on a step end but by accident.
  const times = Array.from({ length: 53 }, (_, k) => ((k + 0.37) * P.period) / 53);
  const reference = solve(field, P.y0, {
    times,
    t0: 0,
    method: 'dopri8',
    params: P.masses,
    rtol: 1e-13,
    atol: 1e-13,
    landOnOutputs: true,
  });

  // Methods whose interpolant's order matches their own (dopri8's cubic Hermite does not: its
  // outputs are landed on by default, and its interpolant's order is checked above).
  for (const method of ['dopri5', 'tsit5', 'bosh3']) {
    it(`${method}: interpolated outputs on the figure-eight match a landed dopri8 solve`, () => {
      const tol = method === 'bosh3' ? 1e-7 : 1e-9;
      const options = { times, t0: 0, method, params: P.masses, rtol: tol, atol: tol };
      const interpolated = solve(field, P.y0, { ...options, landOnOutputs: false });
      const landed = solve(field, P.y0, { ...options, landOnOutputs: true });
      const interpolatedError = maxAbsDiff(interpolated.y, reference.y);
      const landedError = maxAbsDiff(landed.y, reference.y);
      // Interpolation adds no more than the steps' own error does.
      expect(interpolatedError).toBeLessThan(1.5 * landedError);
    });

    it(`${method}: each interpolated output is within a few tolerances of its step's exact flow`, () => {
      // The error the interpolant adds, apart from the global error carried into the step: the
      // output at t_k inside the step (t_i, t_i + h_i) against a tight solve from (t_i, y_i).
      const tol = method === 'bosh3' ? 1e-7 : 1e-9;
      const stepStarts: { t: number; h: number; y: Float64Array }[] = [];
      const sol = solve(
        field,
        P.y0,
        { times, t0: 0, t1: P.period, method, params: P.masses, rtol: tol, atol: tol, landOnOutputs: false },
        { accepted: ({ t, h, y }) => void stepStarts.push({ t, h, y: y.slice() }) },
      );
      let worst = 0;
      let interior = 0;
      for (let k = 0; k < times.length; k++) {
        const step = stepStarts.find((s) => s.t < times[k] && times[k] <= s.t + s.h)!;
        if (times[k] < step.t + step.h) interior++;
        const exact = solve(field, step.y, {
          times: [times[k]],
          t0: step.t,
          method: 'dopri8',
          params: P.masses,
          rtol: 1e-14,
          atol: 1e-14,
        });
        const got = sol.y.subarray(k * 18, (k + 1) * 18);
        worst = Math.max(worst, rmsScaledError(got, exact.y, tol, tol));
      }
      expect(interior).toBe(times.length);
      // In the controller's norm (RMS of err_i / (atol + rtol |y_i|)), like the step's own error.
      expect(worst).toBeLessThan(2);
    });
  }
});
