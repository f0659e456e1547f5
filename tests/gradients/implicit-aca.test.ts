/**
 * ACA through the implicit methods (gradients/implicit-step-adjoint.ts): exact derivatives of the
 * discrete map with the accepted steps held fixed and the stage equations solved exactly, checked
 * against central finite differences of that map replayed with Newton converged to round-off
 * (tests/helpers/replay.ts); the Robertson loss gradient against scipy Radau's (committed values,
 * scripts/reference/stiff.py); and the explicit methods' refusals on the same stiff problem.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, StiffnessDetectedError, UnstableAdjointError } from '../../src/errors.ts';
import { expressionField } from '../../src/fields/expression/compile.ts';
import type { Field } from '../../src/fields/field.ts';
import { gradient } from '../../src/gradients/gradient.ts';
import type { Loss } from '../../src/losses/loss.ts';
import { replay } from '../helpers/replay.ts';

const reference = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'solvers', 'stiff-reference.json'), 'utf8'));

const robertson = () =>
  expressionField({
    states: ['y1', 'y2', 'y3'],
    params: ['k1', 'k2', 'k3'],
    equations: { y1: '-k1*y1 + k3*y2*y3', y2: 'k1*y1 - k2*y2^2 - k3*y2*y3', y3: 'k2*y2^2' },
  });
const K = [0.04, 3e7, 1e4];

/** Squared error against fixed observations at every output time after t0. */
function squaredError(obs: readonly number[], d: number): Loss {
  return (y, _t, g) => {
    g.fill(0);
    let L = 0;
    for (let row = 1; row < y.length / d; row++) {
      for (let i = 0; i < d; i++) {
        const r = y[row * d + i] - obs[i];
        L += r * r;
        g[row * d + i] = 2 * r;
      }
    }
    return L;
  };
}

function replayedLoss(field: Field, method: string, y0: number[], p: number[], steps: { t: Float64Array; h: Float64Array }, times: number[], loss: Loss): number {
  const out = replay(field, method, y0, p, steps, times);
  return loss(out, Float64Array.from(times), new Float64Array(out.length));
}

function central(f: (x: number[]) => number, x: number[], j: number, rel: number, floor = 1e-3): number {
  const h = rel * Math.max(Math.abs(x[j]), floor);
  const up = x.slice();
  const down = x.slice();
  up[j] += h;
  down[j] -= h;
  return (f(up) - f(down)) / (2 * h);
}

describe('ACA through implicit methods', () => {
  for (const method of ['kvaerno3', 'kvaerno5']) {
    it(`${method}: dL/dp and dL/dy0 match central differences of the replayed discrete map (Robertson, interior outputs)`, () => {
      const field = robertson();
      const times = [0, 0.3, 1.7, 3];
      const y0 = [1, 0, 0];
      const loss = squaredError([0.9, 2e-5, 0.08], 3);
      // toleranceFactor 1: the forward pass at the solve's own tolerance (the map under test).
      const result = gradient(field, y0, { times, method, params: K, rtol: 1e-6, atol: 1e-10, loss, gradient: { method: 'aca', toleranceFactor: 1 } });
      const steps = result.acceptedSteps!;
      expect(steps.t.length).toBeGreaterThan(10);
      // The replay reproduces the forward outputs (Newton converged tighter than the forward's).
      const out = replay(field, method, y0, K, steps, times);
      for (let i = 0; i < out.length; i++) expect(Math.abs(out[i] - result.outputs[i])).toBeLessThan(1e-9);
      for (let j = 0; j < 3; j++) {
        const fd = central((p) => replayedLoss(field, method, y0, p, steps, times, loss), K, j, 1e-5);
        expect(Math.abs(result.dp[j] - fd)).toBeLessThan(1e-6 * Math.abs(fd));
      }
      for (const j of [0, 2]) {
        // Steps of 1e-5 in the states (y0 = (1, 0, 0)): smaller ones drown in rounding.
        const fd = central((y) => replayedLoss(field, method, y, K, steps, times, loss), y0, j, 1e-5, 1);
        expect(Math.abs(result.dy0[j] - fd)).toBeLessThan(1e-6 * Math.max(Math.abs(fd), 1e-3));
      }
    });
  }

  it('the Robertson loss gradient (obs at t = 40) is within 1% of scipy Radau at rtol 1e-12', () => {
    const ref = reference.robertsonGradient;
    for (const method of ['kvaerno3', 'kvaerno5']) {
      const result = gradient(robertson(), [1, 0, 0], {
        times: [0, ref.T],
        method,
        params: ref.k,
        rtol: 1e-6,
        atol: 1e-10,
        loss: squaredError(ref.obs, 3),
        gradient: { method: 'aca' },
      });
      expect(Math.abs(result.dp[0] - ref.dLdk[0])).toBeLessThan(0.01 * Math.abs(ref.dLdk[0]));
      expect(ref.dLdk[0]).toBeCloseTo(-0.26898, 4);
      expect(Math.abs(result.dp[2] - ref.dLdk[2])).toBeLessThan(0.01 * Math.abs(ref.dLdk[2]));
    }
  });

  it('keepStages: false re-solves the stages by Newton and gives the same gradient', () => {
    const opts = { times: [0, 2], method: 'kvaerno5', params: K, rtol: 1e-6, atol: 1e-10, loss: squaredError([0.9, 0, 0.1], 3) };
    const kept = gradient(robertson(), [1, 0, 0], { ...opts, gradient: { method: 'aca', keepStages: true, toleranceFactor: 1 } });
    const replayed = gradient(robertson(), [1, 0, 0], { ...opts, gradient: { method: 'aca', keepStages: false, toleranceFactor: 1 } });
    for (let j = 0; j < 3; j++) expect(Math.abs(replayed.dp[j] - kept.dp[j])).toBeLessThan(1e-7 * Math.abs(kept.dp[j]));
  });

  it('naive through an implicit method is refused with a typed error', () => {
    const run = () =>
      gradient(robertson(), [1, 0, 0], { times: [0, 1], method: 'kvaerno3', params: K, loss: squaredError([1, 0, 0], 3), gradient: { method: 'naive' } });
    expect(run).toThrow(InvalidArgumentError);
    expect(run).toThrow(/naive.*implicit.*aca/);
  });

  it('explicit methods on Robertson: stiffness stops dopri5; with the test off, the adjoint growth stops dopri8', () => {
    const loss = squaredError([0.7, 0, 0.3], 3);
    // The TypeScript loop (the WebAssembly one of src/wasm/ runs no stiffness test), at the solve's
    // own tolerance.
    const base = { times: [0, 40], params: K, loss, backend: 'js' as const, gradient: { method: 'aca' as const, toleranceFactor: 1 } };
    expect(() => gradient(robertson(), [1, 0, 0], { ...base, method: 'dopri5' })).toThrow(StiffnessDetectedError);
    let error: unknown;
    try {
      gradient(robertson(), [1, 0, 0], { ...base, method: 'dopri8', rtol: 1e-9, atol: 1e-13, stiffnessCheck: false });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnstableAdjointError);
    expect((error as UnstableAdjointError).code).toBe('ERR_UNSTABLE_ADJOINT');
  });
});
