/**
 * ACA on the WebAssembly back end against the TypeScript ACA (gradients/aca.ts), the reference:
 * the same accepted steps and, operation for operation, the same arithmetic, so loss, dL/dy0,
 * dL/dp and the end-time derivatives agree to the last bit; and against the continuous adjoint at
 * tight tolerances, an independent method.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.ts';
import { expressionField } from '../../src/fields/expression/compile.ts';
import type { Field } from '../../src/fields/field.ts';
import { gradient } from '../../src/gradients/gradient.ts';
import type { GradientOptions } from '../../src/gradients/types.ts';
import { createRng } from '../../src/util/random.ts';
import { lotkaVolterra, lvLoss } from '../helpers/problems.ts';
import { figureEightModel, lotkaVolterraModel, randomModel, sumSquares } from './problems.ts';

function bitwise(name: string, js: ArrayLike<number>, wasm: ArrayLike<number>) {
  expect(wasm.length, name).toBe(js.length);
  for (let q = 0; q < js.length; q++) if (!Object.is(js[q], wasm[q])) expect.fail(`${name}[${q}]: js ${js[q]} wasm ${wasm[q]}`);
}

function expectSameGradient(field: Field, y0: ArrayLike<number>, options: GradientOptions) {
  const js = gradient(field, y0, { ...options, backend: 'js', gradient: { method: 'aca', keepStages: true } });
  const wasm = gradient(field, y0, { ...options, backend: 'wasm' });
  expect(js.stats.backend).toBe('js');
  expect(wasm.stats.backend).toBe('wasm');
  expect({ a: wasm.stats.accepted, r: wasm.stats.rejected, v: wasm.stats.vjpEvals, c: wasm.stats.checkpoints, bytes: wasm.stats.checkpointBytes }).toEqual({
    a: js.stats.accepted, r: js.stats.rejected, v: js.stats.vjpEvals, c: js.stats.checkpoints, bytes: js.stats.checkpointBytes,
  });
  bitwise('loss', [js.loss], [wasm.loss]);
  bitwise('outputs', js.outputs, wasm.outputs);
  bitwise('dy0', js.dy0, wasm.dy0);
  bitwise('dp', js.dp, wasm.dp);
  bitwise('dt', [js.dt0, js.dt1], [wasm.dt0, wasm.dt1]);
  bitwise('accepted t', js.acceptedSteps!.t, wasm.acceptedSteps!.t);
  bitwise('accepted h', js.acceptedSteps!.h, wasm.acceptedSteps!.h);
  return { js, wasm };
}

describe('WebAssembly ACA = TypeScript ACA, bit for bit', () => {
  for (const method of ['dopri5', 'tsit5']) {
    it(`Lotka-Volterra (${method}, outputs inside steps)`, () => {
      const P = lotkaVolterraModel();
      expectSameGradient(P.field, P.y0, { times: P.times, params: P.params, method, loss: lvLoss, rtol: 1e-8, atol: 1e-8 });
    });
    it(`figure-eight three-body (${method}, PI controller, landing on outputs)`, () => {
      const P = figureEightModel();
      expectSameGradient(P.field, P.y0, { times: P.times, params: P.params, method, loss: sumSquares, rtol: 1e-8, atol: 1e-8 });
      expectSameGradient(P.field, P.y0, { times: P.times, params: P.params, method, loss: sumSquares, controller: 'pi', landOnOutputs: true });
    });
  }

  it('random equation models, forwards and backwards in time', () => {
    const rng = createRng(4242);
    for (let trial = 0; trial < 10; trial++) {
      const d = 1 + Math.floor(rng.next() * 5);
      const nP = 1 + Math.floor(rng.next() * 4);
      const field = expressionField(randomModel(rng, d, nP));
      const y0 = Array.from({ length: d }, () => rng.uniform(-1, 1));
      const params = Array.from({ length: nP }, () => rng.uniform(0.2, 1.5));
      const times = trial % 3 === 2 ? [2, 1.3, 0.4, 0] : [0, 0, 0.6, 1.5, 2.5];
      expectSameGradient(field, y0, { times, params, loss: sumSquares, method: trial % 2 ? 'tsit5' : 'dopri5', rtol: 1e-9, atol: 1e-9 });
    }
  });

  it('agrees with an independent method, the continuous adjoint, at tight tolerances', () => {
    const P = lotkaVolterraModel();
    const options = { times: P.times, params: P.params, loss: lvLoss, rtol: 1e-11, atol: 1e-11 };
    const aca = gradient(P.field, P.y0, { ...options, backend: 'wasm' });
    const adj = gradient(P.field, P.y0, { ...options, gradient: { method: 'adjoint', rtol: 1e-11, atol: 1e-11 } });
    expect(aca.stats.backend).toBe('wasm');
    for (let j = 0; j < P.params.length; j++) expect(Math.abs(aca.dp[j] - adj.dp[j])).toBeLessThan(1e-6 * Math.abs(adj.dp[j]));
    for (let i = 0; i < 2; i++) expect(Math.abs(aca.dy0[i] - adj.dy0[i])).toBeLessThan(1e-6 * Math.abs(adj.dy0[i]));
  });
});

describe('gradient back end selection', () => {
  const P = lotkaVolterraModel();
  // Without the stiffness test (which runs in TypeScript only), 'auto' may choose WebAssembly.
  const base = { times: P.times, params: P.params, loss: lvLoss, stiffnessCheck: false };
  it('ACA with default settings runs in WebAssembly; other settings and methods in TypeScript, with the reason', () => {
    expect(gradient(P.field, P.y0, base).stats.backend).toBe('wasm');
    const checked = gradient(P.field, P.y0, { ...base, stiffnessCheck: true });
    expect(checked.stats.backend).toBe('js');
    expect(checked.stats.backendReason).toMatch(/may be stiff/);
    expect(gradient(P.field, P.y0, { ...base, gradient: { method: 'aca', keepStages: 'auto' } }).stats.backend).toBe('wasm');
    const kept = gradient(P.field, P.y0, { ...base, gradient: { method: 'aca', keepStages: false } });
    expect(kept.stats.backend).toBe('js');
    expect(kept.stats.backendReason).toMatch(/default settings/);
    expect(gradient(P.field, P.y0, { ...base, gradient: { method: 'adjoint' } }).stats.backend).toBe('js');
    const hand = lotkaVolterra();
    expect(gradient(hand.field, hand.y0, { times: hand.times, params: hand.params, loss: lvLoss }).stats.backend).toBe('js');
  });
  it("backend: 'wasm' with settings it cannot honour is an InvalidArgumentError", () => {
    expect(() => gradient(P.field, P.y0, { ...base, backend: 'wasm', gradient: { method: 'naive' } })).toThrow(InvalidArgumentError);
  });
});

describe('the N-body field (3-D): ACA in WebAssembly = ACA in TypeScript', () => {
  it('figure-eight and a random 6-body cluster', async () => {
    const { nbodyField } = await import('../../src/fields/nbody.ts');
    const { figureEight, squaredPositions } = await import('../helpers/problems.ts');
    const P = figureEight();
    expectSameGradient(P.field, P.y0, { times: P.observation_times, params: P.masses, loss: squaredPositions, rtol: 1e-8, atol: 1e-8 });
    const rng = createRng(6);
    const n = 6;
    const field = nbodyField({ bodies: n, G: 1.1, velocityScale: 0.9 });
    const y0 = [...Array.from({ length: 3 * n }, () => rng.uniform(-3, 3)), ...Array.from({ length: 3 * n }, () => rng.uniform(-0.3, 0.3))];
    const masses = Array.from({ length: n }, () => rng.uniform(0.5, 1.5));
    expectSameGradient(field, y0, { times: [0, 0.4, 1], params: masses, loss: sumSquares, rtol: 1e-7, atol: 1e-7 });
  });
});

describe('WebAssembly ACA: memory and re-entry', () => {
  it('thousands of checkpoints (the module grows its memory while recording): still bitwise', () => {
    const P = figureEightModel();
    const times = [0, 5 * P.period];
    const { wasm } = expectSameGradient(P.field, P.y0, { times, params: P.params, loss: sumSquares, rtol: 1e-11, atol: 1e-11 });
    expect(wasm.stats.checkpoints).toBeGreaterThan(2000);
    expect(wasm.stats.peakBytes).toBeGreaterThan(wasm.stats.checkpointBytes);
  });
  it('a loss that solves the same field meanwhile does not disturb the checkpoints', async () => {
    const { solve } = await import('../../src/solvers/solve.ts');
    const P = lotkaVolterraModel();
    const plain = gradient(P.field, P.y0, { times: P.times, params: P.params, loss: lvLoss, backend: 'wasm' });
    const reentrant = gradient(P.field, P.y0, {
      times: P.times,
      params: P.params,
      backend: 'wasm',
      loss: (y, t, g) => {
        const other = solve(P.field, [2, 2], { times: [0, 3, 7], params: P.params, backend: 'wasm' });
        expect(other.stats.backend).toBe('wasm');
        return lvLoss(y, t, g);
      },
    });
    expect(reentrant.stats.backend).toBe('wasm');
    bitwise('dp', plain.dp, reentrant.dp);
    bitwise('dy0', plain.dy0, reentrant.dy0);
  });
});
