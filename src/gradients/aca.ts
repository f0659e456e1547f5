/**
 * ACA, the Adaptive Checkpoint Adjoint (Zhuang et al., ICML 2020; docs/design.md, "ACA").
 *
 * Forward: the ordinary adaptive solve; rejected attempts leave nothing behind, and every
 * accepted step leaves a checkpoint (t_i, h_i, y_i). Backward: from the last step to the first,
 * recompute the step's stages from its checkpoint with the recorded h_i (or reload them when
 * kept), seed the stage adjoints from the step's uses (the propagated solution and the dense
 * outputs inside the step), and sweep the stages in reverse. The step sizes are constants, so the
 * result is the exact derivative of the discrete forward map with the accepted steps held fixed.
 */
import { AcaError, InvalidArgumentError, NonFiniteGradientError } from '../errors.ts';
import { fieldDerivatives } from '../fields/derivatives.ts';
import { ImplicitStages } from '../solvers/implicit.ts';
import type { Integrator, StepRecord } from '../solvers/integrator.ts';
import { denseWeights } from '../solvers/methods.ts';
import { allocateStages, computeStages } from '../solvers/stepper.ts';
import { CheckpointStore } from './checkpoints.ts';
import { firstNonFinite } from './common.ts';
import type { EventAdjoint } from './event-adjoint.ts';
import type { BackwardStats, ForwardProblem, GradientMethod, GradientPass } from './method.ts';
import { checkKeys, type AcaSettings } from './settings.ts';
import { AdjointGrowthMonitor } from './adjoint-growth.ts';
import { ImplicitStageAdjoint } from './implicit-step-adjoint.ts';
import { StepAdjoint } from './step-adjoint.ts';

/** Default memory 'auto' spends on kept stage inputs. */
export const KEPT_STAGES_LIMIT_BYTES = 64 * 1024 * 1024;

export const aca: GradientMethod<AcaSettings> = {
  name: 'aca',
  events: true,
  check(settings, path) {
    checkKeys(settings, path);
    const keep = settings.keepStages;
    if (keep !== undefined && keep !== true && keep !== false && keep !== 'auto') {
      throw new InvalidArgumentError(`${path}.keepStages`, keep, "true, false or 'auto'");
    }
    const limit = settings.keptStagesLimitBytes;
    if (limit !== undefined && !(typeof limit === 'number' && limit >= 0 && Number.isFinite(limit))) {
      throw new InvalidArgumentError(`${path}.keptStagesLimitBytes`, limit, 'a finite number of bytes >= 0');
    }
    checkAccuracySettings(settings, path);
  },
  start(problem, settings) {
    return new AcaPass(problem, settings);
  },
};

class AcaPass implements GradientPass {
  readonly keepStageInputs: boolean;
  readonly observer;
  private readonly store: CheckpointStore;

  constructor(private readonly problem: ForwardProblem, settings: AcaSettings) {
    const { field, options } = problem;
    const d = field.dim;
    const stagesPerStep = options.method.stages - 1;
    // Each accepted step leaves (t, h, y) and, when stages are kept, its stage inputs
    // Y_1..Y_{s-1}, so that the backward pass evaluates only VJPs. 'auto' keeps them for the
    // steps that fit under the limit and recomputes the stages of the steps after those.
    const keep = settings.keepStages ?? 'auto';
    const limitBytes = settings.keptStagesLimitBytes ?? KEPT_STAGES_LIMIT_BYTES;
    const limitSteps = keep === true ? Infinity : keep === false ? 0 : Math.floor(limitBytes / (stagesPerStep * d * 8));
    this.keepStageInputs = limitSteps > 0;
    const store = CheckpointStore.take(d, limitSteps > 0 ? stagesPerStep : 0, limitSteps);
    this.store = store;
    this.observer = {
      accepted(step: StepRecord) {
        store.push(step.t, step.h, step.y, step.stageInputs ?? NO_INPUTS);
      },
    };
  }

  backward(forward: Integrator, g: Float64Array, dy0: Float64Array, dp: Float64Array, events?: EventAdjoint | null): BackwardStats {
    const { field, options } = this.problem;
    const store = this.store;
    const method = options.method;
    const d = field.dim;
    const s = method.stages;
    const p = options.params;
    const K = allocateStages(method.denseStages, d);
    const Y = allocateStages(method.denseStages, d); // stage inputs; Y[0] is the step's start
    // The branch point of the implicit tableaus: their stage adjoints solve with I - h gamma J
    // (implicit-step-adjoint.ts), and a step whose stages were not kept is re-solved by Newton.
    const implicitAdjoint = method.implicit ? new ImplicitStageAdjoint(field, method) : null;
    const replay = method.implicit ? implicitReplay(this.problem) : null;
    const growth = method.implicit ? null : new AdjointGrowthMonitor(method.name, g);
    const adj = new StepAdjoint(method, d, implicitAdjoint);
    const w = new Float64Array(method.denseStages);
    const a = dy0; // dL/d(state at the end of the step being processed), dL/dy0 at the end
    const ybar = new Float64Array(d);
    const { outputStep, outputTheta } = forward;
    let fEvals = 0;
    let k = options.times.length - 1;

    for (let i = store.count - 1; i >= 0; i--) {
      const kTop = k;
      // Outputs exactly at the end of step i are its end state y_{i+1}.
      while (k >= 0 && outputStep[k] === i && outputTheta[k] === 1) addRow(a, g, k--, d);
      const kHi = k;
      while (k >= 0 && outputStep[k] === i) k--;
      // Events in the step are dense outputs too (and a cut step's end is not used: a -> 0).
      const seeds = events ? events.seed(i, a, dp) : 0;
      const interior = kHi > k || seeds > 0;
      // After a reset, the step's start time moves with the event time (event-adjoint.ts).
      const landing = events ? events.shifted(i) && events.landing(i) : false;
      const timeTerms = events ? events.shifted(i) && (kTop > k || landing) : false;

      const t = store.times[i];
      const h = store.steps[i];
      // The FSAL last stage has b = 0 and feeds only the dense output: skip it when unused.
      let S = s;
      if ((interior || timeTerms) && method.denseNeedsExtraStage) S = s + 1;
      else if (!interior && !timeTerms && method.fsal) S = s - 1;
      const kept = store.load(i, Y);
      if (!kept && replay) {
        field.f(t, Y[0], p, K[0]);
        fEvals += 1 + replay.solve(t, Y[0], h, K, Y);
        if (S > s) computeStages(method, field, t, Y[0], h, p, K, Y[0], s, S, Y);
        fEvals += S - s;
      } else if (!kept) {
        computeStages(method, field, t, Y[0], h, p, K, Y[0], 0, S, Y);
        fEvals += S;
      } else if (S > s) {
        // Hermite's extra stage f(t + h, y + h sum b K) needs the stages themselves.
        for (let j = 0; j < s; j++) field.f(t + method.c[j] * h, Y[j], p, K[j]);
        computeStages(method, field, t, Y[0], h, p, K, Y[0], s, S, Y);
        fEvals += S;
      } else if (timeTerms) {
        for (let j = 0; j < S; j++) field.f(t + method.c[j] * h, Y[j], p, K[j]);
        fEvals += S;
      }
      const direct = timeTerms ? events!.timeTerms(i, S, K, a, g, outputTheta, kTop, k, seeds) : 0;

      adj.clear(S);
      ybar.set(a);
      for (let j = 0; j < s && j < S; j++) {
        const wj = h * method.b[j];
        if (wj === 0) continue;
        const Kb = adj.Kbar[j];
        for (let q = 0; q < d; q++) Kb[q] = wj * a[q];
      }
      // Dense outputs y_k = y_i + h sum_j w_j(theta_k) K_j inside the step.
      for (let q = kHi; q > k; q--) {
        denseWeights(method, outputTheta[q], w);
        const base = q * d;
        for (let c = 0; c < d; c++) ybar[c] += g[base + c];
        for (let j = 0; j < S; j++) {
          const wj = h * w[j];
          if (wj === 0) continue;
          const Kb = adj.Kbar[j];
          for (let c = 0; c < d; c++) Kb[c] += wj * g[base + c];
        }
      }
      if (seeds > 0) seedEvents(events!, seeds, method, h, S, d, w, ybar, adj.Kbar);
      const hbar = adj.sweep(field, t, h, Y, K, S, p, ybar, dp, landing);
      if (firstNonFinite(ybar) >= 0) throw nonFiniteAdjoint(ybar, t);
      if (timeTerms) events!.tau += direct - hbar;
      a.set(ybar);
      growth?.step(t, a);
    }
    while (k >= 0) addRow(a, g, k--, d); // outputs at t0

    const workspaceBytes = (3 * method.denseStages * d + 3 * d + method.denseStages) * 8;
    const checkpoints = store.count;
    const stats: BackwardStats = {
      fEvals,
      vjpEvals: adj.vjpEvals,
      accepted: checkpoints,
      rejected: 0,
      checkpoints,
      checkpointBytes: store.bytes,
      peakBytes: store.allocatedBytes + workspaceBytes,
      acceptedSteps: { t: store.times.slice(0, checkpoints), h: store.steps.slice(0, checkpoints) },
    };
    CheckpointStore.give(store);
    return stats;
  }
}

/**
 * Re-solves the implicit stages of a step whose stage inputs were not kept, with the step's h and
 * Newton converged to round-off (kappa 1e-10 of the tolerance), so the replayed stages are the
 * forward ones to the forward's Newton tolerance. Returns the f evaluations used.
 */
function implicitReplay(problem: ForwardProblem) {
  const { field, options } = problem;
  const counters = { fEvals: 0, newtonIterations: 0, jacobianEvals: 0, luFactorizations: 0 };
  const stages = new ImplicitStages(field, options.method, fieldDerivatives(field), options.rtol, options.atol, 1e-10, counters, 100);
  return {
    solve(t: number, y: Float64Array, h: number, K: readonly Float64Array[], Y: readonly Float64Array[]): number {
      const before = counters.fEvals;
      stages.reset();
      if (!stages.step(t, y, h, options.params, K, Y)) {
        throw new AcaError('ERR_NEWTON_REPLAY', `ACA: Newton's iteration did not converge when replaying the step at t = ${t} (h = ${h}); keep the stages (gradient.keepStages: true)`);
      }
      return counters.fEvals - before;
    },
  };
}

/** The step whose VJPs first made the adjoint non-finite (one add per component per step). */
export function nonFiniteAdjoint(ybar: Float64Array, t: number): NonFiniteGradientError {
  const i = firstNonFinite(ybar);
  const hint = "the field's VJP produced it, e.g. a 0/0 such as abs(x)/x at x = 0";
  return new NonFiniteGradientError('adjoint dL/dy (VJP a^T df/dy)', t, i, ybar[i], hint);
}

/** toleranceFactor in (0, 1], accuracy in (0, 1), maxRefinements an integer in 1..10. */
function checkAccuracySettings(settings: AcaSettings, path: string): void {
  const { toleranceFactor: f, accuracy, maxRefinements: n } = settings;
  if (f !== undefined && !(typeof f === 'number' && f > 0 && f <= 1)) {
    throw new InvalidArgumentError(`${path}.toleranceFactor`, f, 'a number in (0, 1] (1: plain ACA at the solve tolerance)');
  }
  if (accuracy !== undefined && !(typeof accuracy === 'number' && accuracy > 0 && accuracy < 1)) {
    throw new InvalidArgumentError(`${path}.accuracy`, accuracy, 'a relative accuracy in (0, 1), e.g. 1e-6');
  }
  if (n !== undefined && !(Number.isInteger(n) && n >= 1 && n <= 10)) {
    throw new InvalidArgumentError(`${path}.maxRefinements`, n, 'an integer from 1 to 10');
  }
}

/** Stage inputs of a store that keeps none (one shared empty list: the hook runs every step). */
const NO_INPUTS: readonly Float64Array[] = [];

/** The event seeds of a step as dense outputs y* = y_i + h sum_j w_j(theta*) K_j. */
function seedEvents(
  events: EventAdjoint,
  seeds: number,
  method: Integrator['method'],
  h: number,
  S: number,
  d: number,
  w: Float64Array,
  ybar: Float64Array,
  Kbar: readonly Float64Array[],
): void {
  const cot = events.seedCot;
  for (let q = 0; q < seeds; q++) {
    denseWeights(method, events.seedTheta[q], w);
    const base = q * d;
    for (let c = 0; c < d; c++) ybar[c] += cot[base + c];
    for (let j = 0; j < S; j++) {
      const wj = h * w[j];
      if (wj === 0) continue;
      const Kb = Kbar[j];
      for (let c = 0; c < d; c++) Kb[c] += wj * cot[base + c];
    }
  }
}

function addRow(a: Float64Array, g: Float64Array, k: number, d: number): void {
  const base = k * d;
  for (let c = 0; c < d; c++) a[c] += g[base + c];
}
