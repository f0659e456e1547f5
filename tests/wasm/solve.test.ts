/**
 * The WebAssembly back end (src/wasm/) against the TypeScript path, which stays the reference:
 * the same accepted and rejected steps and f evaluations, and outputs equal to the last bit, for
 * dopri5 and tsit5, both controllers, scalar and per-component tolerances, landing on outputs,
 * backward integration, on the reference problems and random equation models; the same typed
 * errors; the fallback to TypeScript with its reason.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, MaxStepsExceededError, NonFiniteError, StepSizeUnderflowError } from '../../src/errors.ts';
import { expressionField } from '../../src/fields/expression/compile.ts';
import { solve } from '../../src/solvers/solve.ts';
import type { SolveOptions } from '../../src/solvers/options.ts';
import type { Field } from '../../src/fields/field.ts';
import { createRng } from '../../src/util/random.ts';
import { lotkaVolterra } from '../helpers/problems.ts';
import { figureEightModel, lotkaVolterraModel, randomModel } from './problems.ts';

function expectSame(field: Field, y0: ArrayLike<number>, options: SolveOptions) {
  const js = solve(field, y0, { ...options, backend: 'js' });
  const wasm = solve(field, y0, { ...options, backend: 'wasm' });
  expect(wasm.stats.backend).toBe('wasm');
  expect(js.stats.backend).toBe('js');
  expect({ a: wasm.stats.accepted, r: wasm.stats.rejected, f: wasm.stats.fEvals }).toEqual({ a: js.stats.accepted, r: js.stats.rejected, f: js.stats.fEvals });
  expect(wasm.y.length).toBe(js.y.length);
  for (let q = 0; q < js.y.length; q++) {
    if (!Object.is(js.y[q], wasm.y[q])) expect.fail(`output ${q}: js ${js.y[q]} wasm ${wasm.y[q]}`);
  }
  return { js, wasm };
}

describe('WebAssembly solve = TypeScript solve, bit for bit', () => {
  for (const method of ['dopri5', 'tsit5']) {
    for (const controller of ['integral', 'pi'] as const) {
      it(`Lotka-Volterra, ${method}, ${controller}`, () => {
        const P = lotkaVolterraModel();
        const { js } = expectSame(P.field, P.y0, { times: P.times, params: P.params, method, controller, rtol: 1e-8, atol: 1e-8 });
        expect(js.stats.accepted).toBeGreaterThan(20);
      });
      it(`figure-eight three-body over one period, ${method}, ${controller}, rtol = atol = 1e-8`, () => {
        const P = figureEightModel();
        const { js } = expectSame(P.field, P.y0, { times: P.times, params: P.params, method, controller, rtol: 1e-8, atol: 1e-8 });
        // Back near the start after one period (an independent check that the solve is right).
        const d = P.y0.length;
        for (let i = 0; i < d; i++) expect(Math.abs(js.y[10 * d + i] - P.y0[i])).toBeLessThan(1e-5);
      });
    }
  }

  it('per-component tolerances, landing on outputs, a first step and a maximum step', () => {
    const P = lotkaVolterraModel();
    expectSame(P.field, P.y0, { times: P.times, params: P.params, rtol: [1e-7, 1e-9], atol: [1e-10, 1e-6], landOnOutputs: true });
    expectSame(P.field, P.y0, { times: P.times, params: P.params, firstStep: 0.01, maxStep: 0.3, controller: { kind: 'pi', safety: 0.8, factorMin: 0.3, factorMax: 4 } });
  });

  it('backward in time, output times repeated and at t0, t1 past the last output', () => {
    const P = lotkaVolterraModel();
    expectSame(P.field, [2, 0.5], { times: [5, 5, 4, 2.5, 2.5, 0], params: P.params, rtol: 1e-9, atol: 1e-9 });
    expectSame(P.field, P.y0, { times: [0, 0, 1, 3], t1: 7, params: P.params });
    expectSame(P.field, P.y0, { times: [2], t0: 0, params: P.params });
  });

  it('random equation models (imported and native math functions, t-dependent)', () => {
    const rng = createRng(1919);
    for (let trial = 0; trial < 12; trial++) {
      const d = 1 + Math.floor(rng.next() * 6);
      const nP = 1 + Math.floor(rng.next() * 4);
      const field = expressionField(randomModel(rng, d, nP));
      const y0 = Array.from({ length: d }, () => rng.uniform(-1, 1));
      const params = Array.from({ length: nP }, () => rng.uniform(0.2, 1.5));
      const method = trial % 2 === 0 ? 'dopri5' : 'tsit5';
      const { js } = expectSame(field, y0, { times: [0, 0.7, 1.9, 3], params, method, rtol: 1e-9, atol: 1e-9, controller: trial % 3 === 0 ? 'pi' : 'integral' });
      expect(js.stats.accepted).toBeGreaterThan(3);
    }
  });
});

describe('WebAssembly solve: the same typed errors', () => {
  const P = lotkaVolterraModel();
  const base = { times: P.times, params: P.params };
  function sameError(field: Field, y0: ArrayLike<number>, options: SolveOptions, type: new (...args: never[]) => Error) {
    const caught = (backend: 'js' | 'wasm') => {
      try {
        solve(field, y0, { ...options, backend });
      } catch (e) {
        return e as Error & { code?: string };
      }
      throw new Error(`no error from ${backend}`);
    };
    const js = caught('js');
    const wasm = caught('wasm');
    expect(js).toBeInstanceOf(type);
    expect(wasm).toBeInstanceOf(type);
    expect(wasm.code).toBe(js.code);
    expect(wasm.message).toBe(js.message);
  }

  it('maxSteps', () => sameError(P.field, P.y0, { ...base, maxSteps: 17 }, MaxStepsExceededError));
  it('a maxSteps beyond 32 bits is accepted', () => expectSame(P.field, P.y0, { ...base, maxSteps: 1e12 }));
  it('step size underflow (minStep)', () => sameError(P.field, P.y0, { ...base, minStep: 0.05, rtol: 1e-12, atol: 1e-12 }, StepSizeUnderflowError));
  it('a blow-up: y\' = y^2 from 1 reaches a non-finite state or an underflow, the same in both', () => {
    const blow = expressionField({ states: ['y'], params: [], equations: { y: 'y^2' } });
    const outcome = (backend: 'js' | 'wasm') => {
      try {
        solve(blow, [1], { times: [0, 2], backend });
        return 'no error';
      } catch (e) {
        return `${(e as { code?: string }).code}: ${(e as Error).message}`;
      }
    };
    expect(outcome('wasm')).toBe(outcome('js'));
    expect(outcome('js')).not.toBe('no error');
  });
  it('a non-finite derivative', () => {
    const bad = expressionField({ states: ['y'], params: [], equations: { y: 'log(y - 2)' } });
    sameError(bad, [1], { times: [0, 1] }, NonFiniteError);
  });
});

describe('back end selection', () => {
  const P = lotkaVolterraModel();
  it("'auto' runs equation models in WebAssembly without the stiffness test, and says why not elsewhere", () => {
    // An equation model may be stiff: with the stiffness test on (the default), 'auto' keeps it
    // in TypeScript, where the test runs; without it, in WebAssembly.
    const checked = solve(P.field, P.y0, { times: P.times, params: P.params });
    expect(checked.stats.backend).toBe('js');
    expect(checked.stats.backendReason).toMatch(/may be stiff/);
    expect(solve(P.field, P.y0, { times: P.times, params: P.params, stiffnessCheck: false }).stats.backend).toBe('wasm');
    const rk4 = solve(P.field, P.y0, { times: P.times, params: P.params, method: 'rk4', dt: 0.1 });
    expect(rk4.stats.backend).toBe('js');
    expect(rk4.stats.backendReason).toMatch(/fixed-step/);
    const hand = lotkaVolterra();
    const js = solve(hand.field, hand.y0, { times: hand.times, params: hand.params });
    expect(js.stats.backend).toBe('js');
    expect(js.stats.backendReason).toMatch(/no WebAssembly form/);
  });
  it("'wasm' where it cannot run is an InvalidArgumentError naming the reason", () => {
    const hand = lotkaVolterra();
    expect(() => solve(hand.field, hand.y0, { times: hand.times, params: hand.params, backend: 'wasm' })).toThrow(InvalidArgumentError);
    expect(() => solve(P.field, P.y0, { times: P.times, params: P.params, method: 'dopri8', backend: 'wasm' })).toThrow(/dopri8/);
    expect(() => solve(P.field, P.y0, { times: P.times, params: P.params, backend: 'fast' as never })).toThrow(/backend/);
  });
});

describe('the N-body field (3-D) in WebAssembly: a loop over pairs, bitwise the JavaScript field', () => {
  it('figure-eight and a random 10-body cluster: same steps and outputs as TypeScript', async () => {
    const { nbodyField } = await import('../../src/fields/nbody.ts');
    const { figureEight } = await import('../helpers/problems.ts');
    const P = figureEight();
    const times = [0, P.period / 3, P.period];
    expectSame(P.field, P.y0, { times, params: P.masses, rtol: 1e-8, atol: 1e-8 });
    const rng = createRng(10);
    const n = 10;
    const field = nbodyField({ bodies: n, G: 0.7, velocityScale: 1.3 });
    const y0 = [...Array.from({ length: 3 * n }, () => rng.uniform(-3, 3)), ...Array.from({ length: 3 * n }, () => rng.uniform(-0.3, 0.3))];
    const masses = Array.from({ length: n }, () => rng.uniform(0.5, 1.5));
    const { js } = expectSame(field, y0, { times: [0, 0.5, 1], params: masses, method: 'tsit5', rtol: 1e-7, atol: 1e-7 });
    expect(js.stats.accepted).toBeGreaterThan(5);
  });
});

describe('module cache', () => {
  it('one module per field object and method, reused by later solves', async () => {
    const { wasmSolver } = await import('../../src/wasm/backend.ts');
    const { getMethod } = await import('../../src/solvers/methods.ts');
    const P = lotkaVolterraModel();
    const a = wasmSolver(P.field, getMethod('dopri5'), false);
    expect(wasmSolver(P.field, getMethod('dopri5'), true)).toBe(a); // built with backward() already
    expect(wasmSolver(P.field, getMethod('tsit5'), false)).not.toBe(a);
    expect(a.bytes).toBeGreaterThan(1000);
  });
});

describe('non-finite trials, as integrator.ts handles them', () => {
  const outcome = (run: () => unknown) => {
    try {
      run();
      return 'no error';
    } catch (e) {
      return `${(e as Error).constructor.name} ${(e as { code?: string }).code}: ${(e as Error).message}`;
    }
  };
  it('rejected and shrunk until underflow: the NaN is the error (same error from both back ends)', () => {
    const field = expressionField({ states: ['u', 'v'], params: [], equations: { u: '1', v: 'sqrt(0.5 - t)' } });
    const js = outcome(() => solve(field, [0, 0], { times: [0, 1], backend: 'js' }));
    expect(js).toMatch(/^NonFiniteError ERR_NON_FINITE: non-finite derivative at t = 0\.5/);
    expect(outcome(() => solve(field, [0, 0], { times: [0, 1], backend: 'wasm' }))).toBe(js);
  });
  it('a non-finite trial that a shorter step avoids is not an error: same steps and outputs', () => {
    const field = expressionField({ states: ['u', 'v'], params: [], equations: { u: '1', v: 'sqrt(1.05 - u)' } });
    const { js } = expectSame(field, [0, 0], { times: [1], t0: 0, firstStep: 2 });
    expect(js.stats.rejected).toBeGreaterThan(0);
  });
  it('a non-finite adjoint (d|y|/dy = |y|/y at y = 0) is the same NonFiniteGradientError', async () => {
    const { gradient } = await import('../../src/gradients/gradient.ts');
    const field = expressionField({ states: ['y'], params: ['k'], equations: { y: 'k * abs(y)' } });
    const loss = (y: Float64Array, _t: Float64Array, g: Float64Array) => {
      g.fill(1); // a nonzero cotangent, so that the VJP is evaluated at y = 0
      return y.reduce((a, b) => a + b, 0);
    };
    const js = outcome(() => gradient(field, [0], { times: [0, 1], params: [1], loss, backend: 'js' }));
    expect(js).toMatch(/^NonFiniteGradientError/);
    expect(outcome(() => gradient(field, [0], { times: [0, 1], params: [1], loss, backend: 'wasm' }))).toBe(js);
  });
});
