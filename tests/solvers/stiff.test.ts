/**
 * The implicit methods on the classic stiff problems against independent references (scipy Radau
 * at rtol 1e-12, committed with its command in stiff-reference.json; ROBER and HIRES also against
 * the published values of the Bari test set), their convergence orders (a nonstiff closed form;
 * Prothero-Robinson for order reduction), and the explicit methods' stiffness test.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MaxStepsExceededError, StiffnessDetectedError } from '../../src/errors.ts';
import { expressionField } from '../../src/fields/expression/compile.ts';
import type { Field } from '../../src/fields/field.ts';
import { dampedRotationField, lotkaVolterraField } from '../../src/fields/classic.ts';
import { nbodyField } from '../../src/fields/nbody.ts';
import { solve } from '../../src/solvers/solve.ts';
import { fixedStepImplicit, observedOrders } from './stiff-helpers.ts';

const reference = JSON.parse(readFileSync(join(import.meta.dirname, 'stiff-reference.json'), 'utf8'));

/** The stiff problems of data/problems/stiff.json as equation models. */
const STIFF = JSON.parse(readFileSync(join(import.meta.dirname, '../../data/problems/stiff.json'), 'utf8'));
export const robertson = () => expressionField(STIFF.rober.model);
export const hires = () => expressionField(STIFF.hires.model);
export const vanDerPol = () => expressionField(STIFF.vdp1000.model);

/** Published reference solutions (Mazzia and Magherini, Test Set for IVP Solvers, Bari, 2008). */
const BARI = {
  rober: [0.2083340149701255e-7, 0.8333360770334713e-13, 0.999999979166505],
  hires: [
    0.7371312573325668e-3, 0.1442485726316185e-3, 0.5888729740967575e-4, 0.1175651343283149e-2, 0.2386356198831331e-2,
    0.6238968252742796e-2, 0.2849998395185769e-2, 0.2850001604814231e-2,
  ],
};

function maxRelative(y: ArrayLike<number>, ref: readonly number[]): number {
  let m = 0;
  for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(y[i] - ref[i]) / Math.abs(ref[i]));
  return m;
}

describe('implicit methods on stiff problems', () => {
  it('the scipy references agree with the published Bari values', () => {
    expect(maxRelative(reference.reference.rober.y, BARI.rober)).toBeLessThan(1e-8);
    expect(maxRelative(reference.reference.hires.y, BARI.hires)).toBeLessThan(1e-8);
  });

  for (const method of ['kvaerno3', 'kvaerno5']) {
    it(`${method}: ROBER to t = 1e11`, () => {
      const r = solve(robertson(), [1, 0, 0], { times: [1e11], t0: 0, method, params: [0.04, 3e7, 1e4], rtol: 1e-8, atol: [1e-12, 1e-18, 1e-12], maxSteps: 50000 });
      // y1 and y2 are 2e-8 and 8e-14 there: relative errors of the tiny components after 1e11.
      expect(maxRelative(r.y, reference.reference.rober.y)).toBeLessThan(method === 'kvaerno5' ? 1e-4 : 1e-4);
      expect(Math.abs(r.y[2] - reference.reference.rober.y[2])).toBeLessThan(1e-9);
      expect(r.stats.newtonIterations).toBeGreaterThan(0);
      expect(r.stats.jacobianEvals).toBeGreaterThan(0);
      expect(r.stats.luFactorizations).toBeGreaterThanOrEqual(r.stats.jacobianEvals!);
    });

    it(`${method}: HIRES to t = 321.8122`, () => {
      const r = solve(hires(), [1, 0, 0, 0, 0, 0, 0, 0.0057], { times: [321.8122], t0: 0, method, rtol: 1e-8, atol: 1e-11, maxSteps: 50000 });
      expect(maxRelative(r.y, reference.reference.hires.y)).toBeLessThan(method === 'kvaerno5' ? 1e-7 : 1e-6);
    });

    it(`${method}: Van der Pol with mu = 1000 to t = 3000`, () => {
      const ref = reference.reference.vdp1000.y;
      const r = solve(vanDerPol(), [2, 0], { times: [3000], t0: 0, method, params: [1000], rtol: 1e-8, atol: 1e-8, maxSteps: 100000 });
      expect(Math.abs(r.y[0] - ref[0])).toBeLessThan(1e-5 * Math.abs(ref[0]));
      expect(Math.abs(r.y[1] - ref[1])).toBeLessThan(1e-4 * Math.abs(ref[1]) + 1e-6);
    });
  }

  it('a Jacobian assembled from VJPs gives the same solution as the compiled one', () => {
    const field = robertson();
    const vjpOnly: Field = { dim: 3, nParams: 3, f: field.f.bind(field), vjp: field.vjp.bind(field) };
    const opts = { times: [40], t0: 0, method: 'kvaerno5', params: [0.04, 3e7, 1e4], rtol: 1e-7, atol: 1e-12 };
    const own = solve(field, [1, 0, 0], opts);
    const assembled = solve(vjpOnly, [1, 0, 0], opts);
    expect(maxRelative(assembled.y, Array.from(own.y))).toBeLessThan(1e-12);
  });
});

describe('convergence orders of the implicit methods (fixed steps, Newton to round-off)', () => {
  const oscillator = expressionField({ states: ['u', 'v'], params: [], equations: { u: 'v', v: '-u' } });
  const prothero = expressionField({ states: ['y'], params: ['lambda'], equations: { y: 'lambda*(y - sin(t)) + cos(t)' } });
  const steps = [8, 16, 32, 64];

  for (const [method, order] of [['kvaerno3', 3], ['kvaerno5', 5]] as const) {
    it(`${method}: order ${order} on the harmonic oscillator (closed form cos, -sin)`, () => {
      const errors = steps.map((n) => {
        const y = fixedStepImplicit(oscillator, method, [1, 0], [], 0, 1, n);
        return Math.hypot(y[0] - Math.cos(1), y[1] + Math.sin(1));
      });
      for (const o of observedOrders(errors)) expect(Math.abs(o - order)).toBeLessThan(0.3);
    });

    it(`${method}: Prothero-Robinson y' = lambda (y - sin t) + cos t reduces to the stage order 2, with the error O(h^2 / |lambda|)`, () => {
      // Stiffly accurate ESDIRK methods with an explicit first stage have stage order 2; in the
      // stiff limit the global error is O(h^q / |lambda|), q the stage order (Hairer and Wanner,
      // Solving ODEs II, sec. IV.15, "B-convergence"): order 2, and no further reduction.
      for (const lambda of [-1e4, -1e8]) {
        const errors = steps.map((n) => Math.abs(fixedStepImplicit(prothero, method, [0], [lambda], 0, 1, n)[0] - Math.sin(1)));
        for (const o of observedOrders(errors)) expect(Math.abs(o - 2)).toBeLessThan(0.3);
        expect(errors[0] * Math.abs(lambda)).toBeLessThan(1e-2);
      }
    });
  }
});

describe('stiffness detection on the explicit methods', () => {
  for (const method of ['dopri5', 'tsit5', 'dopri8']) {
    it(`${method} stops on Robertson within a few hundred steps with ERR_STIFF naming the implicit methods`, () => {
      let steps = 0;
      let error: unknown;
      try {
        solve(robertson(), [1, 0, 0], { times: [40], t0: 0, method, params: [0.04, 3e7, 1e4] }, { accepted: () => void steps++ });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(StiffnessDetectedError);
      expect((error as StiffnessDetectedError).code).toBe('ERR_STIFF');
      expect((error as Error).message).toMatch(/kvaerno3.*kvaerno5/);
      expect(steps).toBeLessThan(500);
    });
  }

  it('dopri5 stops on Van der Pol with mu = 1000 within a few hundred steps', () => {
    let steps = 0;
    expect(() => solve(vanDerPol(), [2, 0], { times: [3000], t0: 0, params: [1000] }, { accepted: () => void steps++ })).toThrow(StiffnessDetectedError);
    expect(steps).toBeLessThan(500);
  });

  it('with stiffnessCheck: false dopri5 crawls on to maxSteps, as before', () => {
    expect(() => solve(vanDerPol(), [2, 0], { times: [3000], t0: 0, params: [1000], stiffnessCheck: false, maxSteps: 3000 })).toThrow(MaxStepsExceededError);
  });

  it('never fires on the nonstiff reference problems', () => {
    for (const method of ['dopri5', 'tsit5', 'dopri8']) {
      solve(lotkaVolterraField(), [1, 1], { times: [0, 5, 10, 15], method, params: [1.5, 1, 3, 1], rtol: 1e-4, atol: 1e-7 });
      solve(lotkaVolterraField(), [1, 1], { times: [0, 15], method, params: [1.5, 1, 3, 1], rtol: 1e-10, atol: 1e-12 });
      solve(dampedRotationField(), [1, 0], { times: [0, 20], method, params: [0.1, 2] });
      solve(vanDerPol(), [2, 0], { times: [0, 20], method, params: [1], rtol: 1e-3 });
      const three = nbodyField({ bodies: 3, dims: 2 });
      const y0 = [0.97000436, -0.24308753, -0.97000436, 0.24308753, 0, 0, 0.466203685, 0.43236573, 0.466203685, 0.43236573, -0.93240737, -0.86473146];
      solve(three, y0, { times: [0, 6.3259], method, params: [1, 1, 1], rtol: 1e-9, atol: 1e-12 });
    }
  });
});
