/**
 * The three methods side by side: they agree to the tolerance on a benign problem; naive is the
 * exact derivative of the whole adaptive map (step-size choices included); ACA's memory is
 * N_t (d + 2) 8 bytes plus one step's stages; naive's tape grows with the number of attempts.
 */
import { describe, expect, it } from 'vitest';
import { gradient } from '../../src/gradients/gradient.ts';
import { squaredError } from '../../src/losses/loss.ts';
import { solve } from '../../src/solvers/solve.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { figureEight, lotkaVolterra, lvLoss, squaredPositions } from '../helpers/problems.ts';

const lv = lotkaVolterra();

function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

describe('aca, adjoint and naive', () => {
  it('agree to the tolerance on Lotka-Volterra', () => {
    const ref = gradient(lv.field, lv.y0, { times: lv.times, t0: 0, params: lv.params, loss: lvLoss, method: 'dopri8', rtol: 1e-13, atol: 1e-13 });
    for (const gm of ['aca', 'adjoint', 'naive'] as const) {
      const r = gradient(lv.field, lv.y0, { times: lv.times, t0: 0, params: lv.params, loss: lvLoss, rtol: 1e-8, atol: 1e-10, gradient: { method: gm } });
      expect(r.method).toBe(gm);
      expect(relDiff(r.dp, ref.dp)).toBeLessThan(1e-5);
      expect(relDiff(r.dy0, ref.dy0)).toBeLessThan(1e-5);
    }
  });

  it('naive is the derivative of the whole adaptive solve (finite differences, steps free)', () => {
    const fe = figureEight();
    const times = fe.observation_times;
    const base = { times, t0: 0, rtol: 1e-6, atol: 1e-6, firstStep: 0.05, loss: squaredPositions };
    const r = gradient(fe.field, fe.y0, { ...base, params: fe.benchmark_masses_perturbed, gradient: { method: 'naive' } });
    expect(r.stats.rejected).toBeGreaterThan(0); // rejected attempts are on the tape
    const L = (m: number[]) => {
      const s = solve(fe.field, fe.y0, { ...base, params: m });
      return squaredPositions(s.y, s.t, new Float64Array(s.y.length));
    };
    const fd = fe.benchmark_masses_perturbed.map((_, q) => {
      const eps = 1e-7;
      const mp = [...fe.benchmark_masses_perturbed];
      const mm = [...fe.benchmark_masses_perturbed];
      mp[q] += eps;
      mm[q] -= eps;
      return (L(mp) - L(mm)) / (2 * eps);
    });
    expect(relDiff(r.dp, fd)).toBeLessThan(1e-6);
    // ...and it is not ACA's: the step-size choice contributes.
    const aca = gradient(fe.field, fe.y0, { ...base, params: fe.benchmark_masses_perturbed });
    expect(relDiff(aca.dp, fd)).toBeGreaterThan(1e-4);
  });

  it('naive is the derivative of the whole adaptive solve with the PI controller too', () => {
    // The PI controller's factor depends on the previous error norm too: naive must carry that
    // dependence (d factor / d errPrev) back through the steps.
    const fe = figureEight();
    const base = { times: fe.observation_times, t0: 0, rtol: 1e-6, atol: 1e-6, firstStep: 0.05, controller: 'pi' as const, loss: squaredPositions };
    const masses = fe.benchmark_masses_perturbed;
    const r = gradient(fe.field, fe.y0, { ...base, params: masses, gradient: { method: 'naive' } });
    expect(r.stats.rejected).toBeGreaterThan(0);
    const L = (m: number[]) => {
      const s = solve(fe.field, fe.y0, { ...base, params: m });
      return squaredPositions(s.y, s.t, new Float64Array(s.y.length));
    };
    const fd = masses.map((_, q) => {
      const eps = 1e-7;
      const mp = [...masses];
      const mm = [...masses];
      mp[q] += eps;
      mm[q] -= eps;
      return (L(mp) - L(mm)) / (2 * eps);
    });
    expect(relDiff(r.dp, fd)).toBeLessThan(1e-6);
    // The integral controller's derivative on the same steps differs: the errPrev term matters.
    const integral = gradient(fe.field, fe.y0, { ...base, controller: 'integral', params: masses, gradient: { method: 'naive' } });
    expect(relDiff(integral.dp, fd)).toBeGreaterThan(1e-6);
  });

  it("'auto' keeps the stages that fit under its limit and recomputes the rest, with the same gradient", () => {
    const fe = figureEight();
    const opts = { times: fe.observation_times, t0: 0, params: fe.masses, loss: squaredPositions, rtol: 1e-8, atol: 1e-8 };
    const d = 18;
    const stageBytes = 6 * d * 8; // Y_1..Y_6 of one dopri5 step
    const lean = gradient(fe.field, fe.y0, { ...opts, gradient: { method: 'aca', keepStages: false } });
    const kept = gradient(fe.field, fe.y0, { ...opts, gradient: { method: 'aca', keepStages: true } });
    const Nt = lean.stats.accepted;
    const limitSteps = 40;
    expect(Nt).toBeGreaterThan(2 * limitSteps);
    const auto = gradient(fe.field, fe.y0, { ...opts, gradient: { method: 'aca', keepStages: 'auto', keptStagesLimitBytes: limitSteps * stageBytes + 100 } });
    // The same derivative of the same discrete map: kept or recomputed, the stages are the same numbers.
    expect(Array.from(auto.dp)).toEqual(Array.from(lean.dp));
    expect(Array.from(auto.dy0)).toEqual(Array.from(kept.dy0));
    // What is held: (d + 2) numbers per step plus the stages of the first 40 steps.
    expect(auto.stats.checkpointBytes).toBe(Nt * (d + 2) * 8 + limitSteps * stageBytes);
    // Work: the backward pass recomputes the stages of the steps past the limit only.
    const backwardF = (r: typeof lean) => r.stats.fEvals - r.stats.forward.fEvals - 2;
    expect(backwardF(kept)).toBe(0);
    expect(backwardF(auto)).toBeGreaterThan(0);
    expect(backwardF(auto)).toBeLessThan(backwardF(lean));
    const perStep = backwardF(lean) / Nt;
    expect(Math.abs(backwardF(auto) - perStep * (Nt - limitSteps))).toBeLessThanOrEqual(2 * 7);
    // The peak is the buffers as allocated: between lean's and keep-all's.
    expect(auto.stats.peakBytes).toBeGreaterThan(lean.stats.peakBytes);
    expect(auto.stats.peakBytes).toBeLessThan(kept.stats.peakBytes);
    expect(auto.stats.peakBytes).toBeGreaterThanOrEqual(auto.stats.checkpointBytes);
  });

  it('settings are checked by their method: unknown keys and bad values are errors', () => {
    const opts = { times: lv.times, t0: 0, params: lv.params, loss: lvLoss };
    expect(() => gradient(lv.field, lv.y0, { ...opts, gradient: { method: 'aca', keepStage: true } as never })).toThrow(
      "invalid gradient.keepStage: true (an option of 'aca' (it takes one of keepStages, keptStagesLimitBytes, toleranceFactor, accuracy, maxRefinements))",
    );
    expect(() => gradient(lv.field, lv.y0, { ...opts, gradient: { method: 'naive', rtol: 1e-3 } as never })).toThrow(/gradient.rtol.*it takes no options/);
    expect(() => gradient(lv.field, lv.y0, { ...opts, gradient: { method: 'adjoint', rtol: -1 } })).toThrow('invalid gradient.rtol: -1 (a finite number > 0)');
    expect(() => gradient(lv.field, lv.y0, { ...opts, gradient: { method: 'aca', keepStages: 'yes' } as never })).toThrow(/gradient.keepStages/);
  });

  it("ACA's checkpoint memory is N_t (d + 2) 8 bytes plus one step's stages", () => {
    const fe = figureEight();
    const opts = { times: fe.observation_times, t0: 0, params: fe.masses, loss: squaredPositions, rtol: 1e-8, atol: 1e-8 };
    const lean = gradient(fe.field, fe.y0, { ...opts, gradient: { method: 'aca', keepStages: false } });
    const d = 18;
    const Nt = lean.stats.accepted;
    expect(lean.stats.checkpoints).toBe(Nt);
    expect(lean.stats.checkpointBytes).toBe(Nt * (d + 2) * 8);
    // The peak is the store as allocated (a capacity of 64 * 2^k steps, grown by doubling, at
    // least N_t) plus one step's workspace: its stages, their inputs and adjoints, a few vectors.
    const workspaceBytes = (3 * 7 * d + 3 * d + 7) * 8;
    const capacity = (lean.stats.peakBytes - workspaceBytes) / ((d + 2) * 8);
    expect(capacity).toBeGreaterThanOrEqual(Nt);
    expect(Number.isInteger(Math.log2(capacity / 64))).toBe(true);
    // Independent of rejected trials: the same accepted steps with or without rejections
    // cost the same.
    const kept = gradient(fe.field, fe.y0, { ...opts, gradient: { method: 'aca', keepStages: true } });
    // Kept: the stage inputs Y_1..Y_6 of each step as well.
    expect(kept.stats.checkpointBytes).toBe(Nt * (d + 2 + 6 * d) * 8);
    expect(relDiff(kept.dp, lean.dp)).toBeLessThan(1e-14);
  });

  it("naive's tape grows with the number of attempts", () => {
    const fe = figureEight();
    const bytes = [1e-4, 1e-6, 1e-8].map((tol) => {
      const r = gradient(fe.field, fe.y0, { times: fe.observation_times, t0: 0, params: fe.masses, loss: squaredPositions, rtol: tol, atol: tol, gradient: { method: 'naive' } });
      expect(r.stats.checkpoints).toBe(r.stats.accepted + r.stats.rejected);
      const aca = gradient(fe.field, fe.y0, { times: fe.observation_times, t0: 0, params: fe.masses, loss: squaredPositions, rtol: tol, atol: tol, gradient: { method: 'aca', keepStages: false } });
      expect(r.stats.peakBytes).toBeGreaterThan(aca.stats.peakBytes);
      return r.stats.checkpointBytes / (r.stats.accepted + r.stats.rejected);
    });
    // The same bytes per attempt at every tolerance: memory is linear in the attempts.
    expect(bytes[0]).toBe(bytes[1]);
    expect(bytes[1]).toBe(bytes[2]);
  });

  it('weighted squared error with missing values: gradient by finite differences', () => {
    const target = [1.2, NaN, 0.7, 2.1, NaN, NaN, 1.0, 0.4];
    const times = [1, 2, 3, 4];
    const loss = squaredError(2, { target, weights: [2, 0.5], timeWeights: [1, 0.5, 0.25, 1], reduction: 'mean' });
    const r = gradient(lv.field, lv.y0, { times, t0: 0, params: lv.params, loss, rtol: 1e-10, atol: 1e-12 });
    const L = (p: number[]) => {
      const s = solve(lv.field, lv.y0, { times, t0: 0, params: p, rtol: 1e-12, atol: 1e-14, method: 'tsit5' });
      return loss(s.y, s.t, new Float64Array(s.y.length));
    };
    const fd = lv.params.map((_, q) => {
      const eps = 1e-5;
      const pp = [...lv.params];
      const pm = [...lv.params];
      pp[q] += eps;
      pm[q] -= eps;
      return (L(pp) - L(pm)) / (2 * eps);
    });
    expect(relDiff(r.dp, fd)).toBeLessThan(1e-6);
    // Missing cells contribute nothing: changing them changes nothing.
    const loss2 = squaredError(2, { target: target.map((v) => (Number.isNaN(v) ? NaN : v)), weights: [2, 0.5], timeWeights: [1, 0.5, 0.25, 1], reduction: 'mean' });
    const g = new Float64Array(8);
    expect(loss2(r.outputs, r.times, g)).toBe(r.loss);
    expect(g[1]).toBe(0);
  });

  it('a fixed-step method landing on the output times (no dt) works with every method', () => {
    const times = Array.from({ length: 40 }, (_, k) => (k + 1) / 20);
    const opts = { times, t0: 0, params: lv.params, loss: lvLoss, method: 'rk4', landOnOutputs: true };
    const aca = gradient(lv.field, lv.y0, opts);
    const adjoint = gradient(lv.field, lv.y0, { ...opts, gradient: { method: 'adjoint' } });
    const naive = gradient(lv.field, lv.y0, { ...opts, gradient: { method: 'naive' } });
    expect(relDiff(naive.dp, aca.dp)).toBeLessThan(1e-12);
    // One rk4 step (h = 0.05) per output interval, backwards as forwards: close, not equal.
    expect(relDiff(adjoint.dp, aca.dp)).toBeLessThan(1e-3);
    expect(relDiff(adjoint.dp, aca.dp)).toBeGreaterThan(0);
  });

  it('a field without a VJP cannot be differentiated', () => {
    const f = { dim: 1, nParams: 0, f: (_t: number, y: Float64Array, _p: Float64Array, out: Float64Array) => void (out[0] = -y[0]) };
    expect(() => gradient(f, [1], { times: [1], t0: 0, loss: lvLoss })).toThrow(InvalidArgumentError);
    expect(() => gradient(f, [1], { times: [1], t0: 0, loss: lvLoss })).toThrow(/invalid field\.vjp: undefined \(a field with a VJP/);
    expect(() => gradient(lv.field, lv.y0, { times: [1], t0: 0, params: lv.params, loss: lvLoss, gradient: { method: 'magic' as never } })).toThrow(
      'invalid gradient.method: "magic" (one of aca, adjoint, naive)',
    );
  });
});
