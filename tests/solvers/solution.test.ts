/**
 * The solution object (solvers/solution.ts): save as output times, 'steps' and 'dense'; at(t)
 * is the method's own interpolant (bitwise the interpolated outputs of the same solve), has the
 * interpolant's local order, and over a whole solve matches a tight-tolerance reference.
 */
import { describe, expect, it } from 'vitest';
import { getMethod, InvalidArgumentError, nbodyField, solve } from '../../src/index.ts';
import { loadProblem, type FigureEight } from '../helpers/problems.ts';
import { kepler, maxAbsDiff, slope } from './closed-forms.ts';

const P = loadProblem<FigureEight>('three_body_figure_eight');
const field = nbodyField({ bodies: 3 });
const base = { t0: 0, t1: P.period, params: P.masses };

describe("save: 'steps'", () => {
  it('keeps t0 and every accepted step end, the same steps as a plain solve', () => {
    const sol = solve(field, P.y0, { ...base, rtol: 1e-8, atol: 1e-8, save: 'steps' });
    const plain = solve(field, P.y0, { ...base, times: [P.period], rtol: 1e-8, atol: 1e-8 });
    expect(sol.ts.length).toBe(sol.stats.accepted + 1);
    // (The plain solve may run in WebAssembly, the recording one in TypeScript: the same steps.)
    const counts = ({ accepted, rejected, fEvals }: typeof sol.stats) => ({ accepted, rejected, fEvals });
    expect(counts(sol.stats)).toEqual(counts(plain.stats));
    expect(sol.ts[0]).toBe(0);
    expect(sol.ts[sol.ts.length - 1]).toBe(P.period);
    for (let k = 1; k < sol.ts.length; k++) expect(sol.ts[k]).toBeGreaterThan(sol.ts[k - 1]);
    expect(Array.from(sol.ys.subarray(0, 18))).toEqual(P.y0);
    expect(Array.from(sol.ys.subarray(sol.ys.length - 18))).toEqual(Array.from(plain.y));
    expect(sol.t).toBe(sol.ts);
    expect(sol.y).toBe(sol.ys);
  });

  it('at(t) is only for dense solutions, and names the option', () => {
    const sol = solve(field, P.y0, { ...base, save: 'steps' });
    expect(() => sol.at(1)).toThrow(InvalidArgumentError);
    expect(() => sol.at(1)).toThrow(/save/);
  });
});

describe("save: 'dense'", () => {
  const times = Array.from({ length: 41 }, (_, k) => ((k + 0.29) * P.period) / 41);

  for (const method of ['dopri5', 'tsit5', 'bosh3', 'rk4']) {
    it(`${method}: at(t) equals the interpolated outputs of the same solve, bit for bit`, () => {
      const stepping = method === 'rk4' ? { dt: P.period / 400 } : { rtol: 1e-8, atol: 1e-8 };
      const dense = solve(field, P.y0, { ...base, method, ...stepping, save: 'dense' });
      const outputs = solve(field, P.y0, { ...base, method, ...stepping, times, landOnOutputs: false });
      expect(Array.from(dense.at(times))).toEqual(Array.from(outputs.y));
      expect(Array.from(dense.at(times[7]))).toEqual(Array.from(outputs.y.subarray(7 * 18, 8 * 18)));
      // At the step ends the interpolant gives the steps' own states (to rounding).
      expect(maxAbsDiff(dense.at(dense.ts), dense.ys)).toBeLessThan(1e-13);
    });
  }

  it('dopri5 at 1e-10 over one period: at(t) is as close to a dopri8 solve at 1e-13 as landed steps are', () => {
    const sol = solve(field, P.y0, { ...base, rtol: 1e-10, atol: 1e-10, save: 'dense' });
    const reference = solve(field, P.y0, { ...base, times, method: 'dopri8', rtol: 1e-13, atol: 1e-13, landOnOutputs: true });
    const landed = solve(field, P.y0, { ...base, times, rtol: 1e-10, atol: 1e-10, landOnOutputs: true });
    const err = maxAbsDiff(sol.at(times), reference.y);
    const landedErr = maxAbsDiff(landed.y, reference.y);
    // The global error of the solve (about 1e-8 after one period) dominates the interpolant's.
    expect(err).toBeLessThan(3e-8);
    expect(err).toBeLessThan(3 * landedErr);
  });

  // One step of size h from the exact state: at(t0 + theta h) is off by O(h^(q+1)) for an
  // interpolant of order q (dopri5, tsit5: 4; cubic Hermite: min(3, order)).
  const K = kepler(0.5);
  for (const method of ['dopri5', 'tsit5', 'bosh3', 'rk4']) {
    const m = getMethod(method);
    const q = m.tableau.denseOrder ?? Math.min(3, m.order);
    it(`${method}: at(t) inside one step converges as h^${q + 1}`, () => {
      const t0 = 0.7;
      const hs = [0.2, 0.1, 0.05, 0.025];
      const errors = hs.map((h) => {
        const stepping = m.adaptive ? { firstStep: h, maxStep: h, rtol: 1e3, atol: 1e3 } : { dt: h };
        const sol = solve(K.field, K.exact(t0), { t0, t1: t0 + h, method, params: K.params, save: 'dense', ...stepping });
        expect(sol.stats.accepted).toBe(1);
        return Math.max(maxAbsDiff(sol.at(t0 + 0.4 * h), K.exact(t0 + 0.4 * h)), maxAbsDiff(sol.at(t0 + 0.75 * h), K.exact(t0 + 0.75 * h)));
      });
      expect(Math.abs(slope(hs.map(Math.log), errors.map(Math.log)) - (q + 1))).toBeLessThan(0.3);
    });
  }

  it('integrates backwards, and refuses times outside the span by name', () => {
    const back = solve(field, P.y0, { t0: 0, t1: -2, params: P.masses, rtol: 1e-9, atol: 1e-9, save: 'dense' });
    const ref = solve(field, P.y0, { times: [0, -1.3], params: P.masses, rtol: 1e-12, atol: 1e-12 });
    expect(maxAbsDiff(back.at(-1.3), ref.y.subarray(18))).toBeLessThan(1e-7);
    const sol = solve(field, P.y0, { ...base, save: 'dense' });
    expect(() => sol.at([1, 7])).toThrow(/invalid t\[1\]: 7/);
    expect(() => sol.at(-0.1)).toThrow(/invalid t: -0.1/);
  });
});

describe('times and t0', () => {
  it('a single output time without t0 is an error that names t0', () => {
    let error: unknown;
    try {
      solve(field, P.y0, { times: [3], params: P.masses });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe('t0');
  });

  it('save may carry the output times; times and save times together are refused', () => {
    const a = solve(field, P.y0, { ...base, save: [1, 2, 3] });
    const b = solve(field, P.y0, { ...base, times: [1, 2, 3] });
    expect(Array.from(a.y)).toEqual(Array.from(b.y));
    expect(() => solve(field, P.y0, { ...base, times: [1], save: [1] })).toThrow(/invalid save/);
    expect(() => solve(field, P.y0, { ...base, save: 'all' as never })).toThrow(/invalid save/);
  });
});
