/**
 * The adaptive (or fixed-step) integration loop: attempts steps, accepts or rejects them by the
 * embedded error estimate, writes dense output at the requested times, and reports accepted steps
 * (and, for the naive gradient, every attempt) to an optional observer. One workspace is
 * allocated per integrator; the loop itself allocates nothing.
 */
import {
  MaxStepsExceededError,
  NonFiniteError,
  StepSizeUnderflowError,
  StiffnessDetectedError,
} from '../errors.ts';
import type { Field } from '../fields/field.ts';
import { initialStepSize, stepFactor } from './controller.ts';
import { ImplicitStages, newtonJacobian, type ImplicitCounters } from './implicit.ts';
import { denseWeights, IMPLICIT_METHOD_NAMES, type PreparedMethod } from './methods.ts';
import type { EventLocator } from './events.ts';
import type { ResolvedOptions } from './options.ts';
import type { StepRecorder } from './solution.ts';
import type { SolveStats } from './stats.ts';
import { StiffnessDetector, STIFF_STEPS } from './stiffness.ts';
import { combine, computeStages, stageInput, weightedSumNorm } from './stepper.ts';

export type { SolveStats } from './stats.ts';

/**
 * What an observer of a solve sees of one step attempt (docs/design.md, "The step record"). The
 * vectors are the integrator's own workspace: valid during the callback only; copy what you keep.
 */
export interface StepRecord {
  /** The tableau being stepped. */
  readonly method: PreparedMethod;
  /** Index this step has among the accepted steps if it is accepted (= accepted steps so far). */
  readonly index: number;
  /** Start time and signed step size of the attempt. */
  readonly t: number;
  readonly h: number;
  /** The controller's proposal (a magnitude) before the step was shortened to land. */
  readonly hProposed: number;
  /** Whether the step was shortened onto the end or an output time, and that target (else NaN). */
  readonly landing: Landing;
  readonly target: number;
  /** Start state and the candidate end state. */
  readonly y: Float64Array;
  readonly yNew: Float64Array;
  /** The stages K_j = f(t + c_j h, Y_j); K[s] is the dense-output stage when denseStageValid. */
  readonly stages: readonly Float64Array[];
  /**
   * The stage inputs Y_j (Y_0 is y itself and not copied), when the integrator was asked to keep
   * them; for an FSAL tableau whose last row is b, Y_{s-1} (= yNew) is filled before `accepted`.
   */
  readonly stageInputs: readonly Float64Array[] | null;
  /** Error norm of the attempt (1 = at tolerance; NaN for a non-finite trial) and the previous one. */
  readonly err: number;
  readonly errPrev: number;
  readonly accepted: boolean;
  readonly denseStageValid: boolean;
}

/** Receives the steps of a solve, e.g. to keep checkpoints (gradients/aca.ts). */
export interface StepObserver {
  /** An accepted step, after its outputs are written and before the state advances. */
  accepted?(step: StepRecord): void;
  /** Every attempt, accepted or not, once its error norm is known (gradients/naive.ts). */
  attempt?(step: StepRecord): void;
}

/** Why a step was shortened: it was not, it lands on the end, or on an output time. */
export const Landing = { None: 0, End: 1, Output: 2 } as const;
export type Landing = (typeof Landing)[keyof typeof Landing];

export class Integrator implements StepRecord {
  readonly field: Field;
  readonly opts: ResolvedOptions;
  readonly method: PreparedMethod;
  readonly dim: number;
  readonly stats: SolveStats;
  /** The stepping seam of implicit methods: their stage solve (solvers/implicit.ts), else null. */
  readonly implicitStages: ImplicitStages | null;
  /** Hairer's stiffness test for the explicit methods that allow it (solvers/stiffness.ts). */
  readonly stiffness: StiffnessDetector | null;

  /** Current state and the step's candidate. */
  y: Float64Array;
  yNew: Float64Array;
  readonly K: Float64Array[];
  readonly stageState: Float64Array;
  readonly errVec: Float64Array;
  readonly errVec3: Float64Array;
  readonly denseW: Float64Array;
  /**
   * FSAL with a[s-1] = b exactly (and b[s-1] = 0): the last stage's input y + h sum a_{s-1,l} K_l
   * is y_new, rounded identically (same weights, same order), so one sum serves both.
   */
  readonly fsalInputIsSolution: boolean;
  /** sum_i y_new_i of the current attempt, from the error estimate: finite iff y_new is. */
  private readonly stateSum = new Float64Array(1);
  /** The same rtol and the same atol for every component (the error norm's fast path). */
  private readonly uniformTolerance: boolean;

  /** Outputs: rows of the state at opts.times, and where each came from. */
  readonly outputs: Float64Array;
  /** Index of the accepted step whose dense output gave each output (-1: the initial state). */
  readonly outputStep: Int32Array;
  /** theta of each output within its step (1: the step's end state exactly). */
  readonly outputTheta: Float64Array;

  // Loop state, public for observers.
  t = 0;
  /** Signed step used by the current attempt, and the proposal it came from (magnitude). */
  h = 0;
  hProposed = 0;
  landing: Landing = Landing.None;
  err = 0;
  errPrev = 1;
  accepted = false;
  denseStageValid = false;
  target = NaN;
  private nextOutput = 0;

  /**
   * Events and step saving (solvers/events.ts, solution.ts), null when the solve has none. They
   * see each accepted step before its outputs are written; an event that cuts the step makes
   * (t*, y*) the step's end (restartAfterEvent).
   */
  events: EventLocator | null = null;
  recorder: StepRecorder | null = null;
  /** A terminal event ended the solve before t1. */
  stopped = false;

  /** Output times written so far (all of them unless a terminal event stopped the solve). */
  get outputsWritten(): number {
    return this.nextOutput;
  }

  /**
   * The stage inputs Y_j of the current attempt, one vector per stage, when the integrator was
   * asked to keep them (ACA keeps them per accepted step instead of recomputing them). For FSAL
   * methods whose last row is b, the last stage's input is yNew.
   */
  readonly stageInputs: Float64Array[] | null;

  get stages(): readonly Float64Array[] {
    return this.K;
  }

  get index(): number {
    return this.stats.accepted;
  }

  constructor(field: Field, opts: ResolvedOptions, keepStageInputs = false) {
    this.field = field;
    this.opts = opts;
    this.method = opts.method;
    const d = field.dim;
    this.dim = d;
    // One buffer for the whole workspace, stages included: a separate buffer per vector is a
    // backing-store allocation each (and later a free), a measurable share of a short solve.
    const sd = this.method.denseStages;
    const vector = d * Float64Array.BYTES_PER_ELEMENT;
    const buffer = new ArrayBuffer((5 + sd) * vector + sd * Float64Array.BYTES_PER_ELEMENT);
    this.y = new Float64Array(buffer, 0, d);
    this.yNew = new Float64Array(buffer, vector, d);
    this.stageState = new Float64Array(buffer, 2 * vector, d);
    this.errVec = new Float64Array(buffer, 3 * vector, d);
    this.errVec3 = new Float64Array(buffer, 4 * vector, d);
    this.K = [];
    for (let j = 0; j < sd; j++) this.K.push(new Float64Array(buffer, (5 + j) * vector, d));
    this.denseW = new Float64Array(buffer, (5 + sd) * vector, sd);
    this.stageInputs = keepStageInputs ? Array.from({ length: sd }, () => new Float64Array(d)) : null;
    this.fsalInputIsSolution = lastRowIsB(this.method);
    if (this.method.implicit) {
      const counters: ImplicitCounters & SolveStats = { accepted: 0, rejected: 0, fEvals: 0, newtonIterations: 0, jacobianEvals: 0, luFactorizations: 0 };
      this.stats = counters;
      this.implicitStages = new ImplicitStages(field, this.method, newtonJacobian(field, counters), opts.rtol, opts.atol, opts.newtonTol, counters);
    } else {
      this.stats = { accepted: 0, rejected: 0, fEvals: 0 };
      this.implicitStages = null;
    }
    this.stiffness =
      opts.stiffnessCheck && this.fsalInputIsSolution && StiffnessDetector.applies(this.method) ? new StiffnessDetector(this.method) : null;
    this.uniformTolerance = isUniform(opts.rtol) && isUniform(opts.atol);
    const nOut = opts.times.length;
    this.outputs = new Float64Array(nOut * d);
    this.outputStep = new Int32Array(nOut);
    this.outputTheta = new Float64Array(nOut);
  }

  /** Integrates from (t0, y0) to t1, filling the outputs. Throws the errors of errors.ts. */
  run(y0: ArrayLike<number>, observer?: StepObserver): void {
    const { field, method, opts, stats, K } = this;
    const p = opts.params;
    const dir = opts.direction;
    const s = method.stages;
    const tEnd = opts.t1;
    this.y.set(y0 as ArrayLike<number>);
    this.t = opts.t0;
    this.implicitStages?.reset();
    this.stiffness?.reset();
    this.nextOutput = 0;
    this.nonFiniteTrial = null;
    this.stopped = false;
    this.emitOutputsAtStart();
    this.events?.start(this.t, this.y);
    this.recorder?.start(this.t, this.y);
    if (this.t === tEnd) return;

    field.f(this.t, this.y, p, K[0]);
    stats.fEvals++;
    this.checkFinite(K[0], 'derivative');

    let h: number;
    if (!method.adaptive) h = opts.dt;
    else if (!Number.isNaN(opts.firstStep)) h = opts.firstStep;
    else {
      // Scratch for Hairer's algorithm: the stage input and error vectors, free until the first step.
      const scratch: [Float64Array, Float64Array] = [this.stageState, this.errVec];
      h = initialStepSize(field, this.t, this.y, K[0], p, dir, method.order, opts.rtol, opts.atol, scratch);
      stats.fEvals++;
    }
    h = Math.min(Math.max(h, opts.minStep), opts.maxStep, Math.abs(tEnd - this.t));
    this.errPrev = 1;
    const attempt = observer?.attempt;
    const acceptedHook = observer?.accepted;

    while (this.t !== tEnd && !this.stopped) {
      if (stats.accepted + stats.rejected >= opts.maxSteps) {
        throw new MaxStepsExceededError(this.t, opts.maxSteps, tEnd);
      }
      // Shorten the step to land on the end (or on the next output time, when asked). A step that
      // would stop within 1% of h short of the target is stretched onto it, as in Hairer's DOPRI5
      // (`X+1.01D0*H-XEND`): without this, rounding in t (e.g. ten steps of dt = 0.1 reach
      // 0.9999999999999999) leaves a remainder of a few ulps that fails the underflow check below.
      const target = opts.landOnOutputs ? this.nextLandingTime() : tEnd;
      this.hProposed = h;
      let hs = dir * h;
      this.landing = Landing.None;
      this.target = NaN;
      if (dir * (this.t + 1.01 * hs - target) >= 0) {
        hs = target - this.t;
        this.landing = target === tEnd ? Landing.End : Landing.Output;
        this.target = target;
      }
      this.h = hs;
      if (Math.abs(hs) < opts.minStep && this.landing === Landing.None) {
        throw this.underflow(hs, opts.minStep);
      }
      if (Math.abs(hs) <= 4 * Number.EPSILON * Math.abs(this.t)) {
        throw this.underflow(hs, 4 * Number.EPSILON * Math.abs(this.t));
      }

      let newtonFailed = false;
      if (this.implicitStages) {
        // Implicit stages (the seam): Newton's f evaluations are counted by the stage solver.
        if (this.implicitStages.step(this.t, this.y, hs, p, K, this.stageInputs)) combine(method.b, s, this.y, hs, K, this.yNew);
        else newtonFailed = true;
      } else if (this.fsalInputIsSolution) {
        // The last stage's input is y_new itself: build it in place instead of twice.
        computeStages(method, field, this.t, this.y, hs, p, K, this.stageState, 1, s - 1, this.stageInputs ?? undefined);
        stageInput(method, s - 1, this.y, hs, K, this.yNew);
        field.f(this.t + method.c[s - 1] * hs, this.yNew, p, K[s - 1]);
        stats.fEvals += s - 1;
      } else {
        computeStages(method, field, this.t, this.y, hs, p, K, this.stageState, 1, s, this.stageInputs ?? undefined);
        combine(method.b, s, this.y, hs, K, this.yNew);
        stats.fEvals += s - 1;
      }
      this.denseStageValid = method.fsal;

      if (newtonFailed) {
        // Rejected like a non-finite trial: the step shrinks by factorMin.
        this.err = NaN;
        this.accepted = false;
      } else if (method.adaptive) {
        this.err = this.estimateError(hs);
        this.accepted = this.err <= 1; // NaN (a non-finite trial) is a rejection
      } else {
        this.accepted = true;
      }
      if (attempt) attempt.call(observer, this);

      if (this.accepted) {
        const tNew = this.landing !== Landing.None ? target : this.t + hs;
        // The error estimate summed y_new on the way (stateSum): a finite sum clears the state.
        if (!method.adaptive || !Number.isFinite(this.stateSum[0])) this.checkFinite(this.yNew, 'state', tNew);
        const events = this.events;
        const cut = events !== null && events.scan(this, stats.accepted);
        const tEndStep = cut ? events.cutT : tNew;
        // Most steps contain no output time: look before calling.
        const next = this.nextOutput;
        if (next < opts.times.length && dir * (opts.times[next] - tEndStep) <= 0) this.emitOutputsInStep(tEndStep, hs, cut);
        if (acceptedHook) {
          if (this.stageInputs && this.fsalInputIsSolution) this.stageInputs[s - 1].set(this.yNew);
          acceptedHook.call(observer, this);
        }
        if (this.stiffness) {
          const Yprev = this.stageInputs ? this.stageInputs[s - 2] : this.stageState;
          if (this.stiffness.accepted(hs, K[s - 1], K[s - 2], this.yNew, Yprev)) {
            throw new StiffnessDetectedError(tNew, method.name, this.stiffness.hLambda, STIFF_STEPS, IMPLICIT_METHOD_NAMES);
          }
        }
        if (this.recorder) this.recorder.record(this, tEndStep, cut ? events.cutState : this.yNew);
        stats.accepted++;
        this.nonFiniteTrial = null;
        if (cut) {
          this.restartAfterEvent(events);
        } else {
          this.t = tNew;
          const old = this.y;
          this.y = this.yNew;
          this.yNew = old;
          this.advanceFirstStage();
        }
        if (method.adaptive) {
          const factor = stepFactor(opts.controller, method.errorOrder, this.err, this.errPrev, true);
          this.errPrev = Math.max(this.err, 1e-4);
          h = Math.min(Math.abs(hs) * factor, opts.maxStep);
        }
      } else {
        stats.rejected++;
        const factor = Number.isNaN(this.err)
          ? opts.controller.factorMin
          : stepFactor(opts.controller, method.errorOrder, this.err, this.errPrev, false);
        this.nonFiniteTrial = Number.isFinite(this.err) ? null : this.findNonFinite(hs);
        h = Math.abs(hs) * factor;
        if (h < opts.minStep) throw this.underflow(dir * h, opts.minStep);
      }
    }
  }

  /** The error norm of the current attempt (the DOP853 combination when the tableau has e3). */
  private estimateError(hs: number): number {
    const { method, opts, K, y, yNew } = this;
    const { rtol, atol } = opts;
    const uniform = this.uniformTolerance;
    const err5 = weightedSumNorm(method.eCol, method.eVal, hs, K, y, yNew, rtol, atol, uniform, this.errVec, this.stateSum);
    if (!method.e3) return err5;
    const err3 = weightedSumNorm(method.e3Col, method.e3Val, hs, K, y, yNew, rtol, atol, uniform, this.errVec3);
    const denom = Math.sqrt(err5 * err5 + 0.01 * err3 * err3);
    return denom === 0 ? 0 : (err5 * err5) / denom;
  }

  /**
   * Goes on from an event that cut the step: from (t*, y*) or its reset, with a fresh first stage
   * (the step's last stage belongs to the uncut end), or stops the solve at a terminal event.
   */
  private restartAfterEvent(events: EventLocator): void {
    this.t = events.cutT;
    this.y.set(events.nextState);
    if (events.terminated) {
      this.stopped = true;
      return;
    }
    this.field.f(this.t, this.y, this.opts.params, this.K[0]);
    this.stats.fEvals++;
    this.checkFinite(this.K[0], 'derivative');
  }

  /** The step's dense-output stage, for events and saved steps (events.ts DenseStep). */
  ensureDense(): void {
    this.ensureDenseStage(this.h);
  }

  /** Makes K[0] = f(t, y) for the step about to start, reusing an FSAL or dense stage. */
  private advanceFirstStage(): void {
    const { K, method } = this;
    if (method.fsal) {
      swap(K, 0, method.stages - 1);
      // The last stage entered the error estimate with weight h e[s-1] != 0: had it a non-finite
      // component, err would be NaN or infinite and the step rejected. No need to look again.
      if (method.e !== null && this.h * method.e[method.stages - 1] !== 0) return;
    } else if (this.denseStageValid) {
      swap(K, 0, method.stages);
    } else if (this.t !== this.opts.t1) {
      this.field.f(this.t, this.y, this.opts.params, K[0]);
      this.stats.fEvals++;
    } else {
      return;
    }
    this.checkFinite(K[0], 'derivative');
  }

  private emitOutputsAtStart(): void {
    const { times } = this.opts;
    while (this.nextOutput < times.length && times[this.nextOutput] === this.t) {
      const k = this.nextOutput++;
      this.outputs.set(this.y, k * this.dim);
      this.outputStep[k] = -1;
      this.outputTheta[k] = 0;
    }
  }

  /**
   * Writes every output time in (t, tNew] from the accepted step (t, y, hs). When the step was cut
   * by an event at tNew, every output (tNew included) comes from the interpolant, with theta < 1:
   * theta = 1 means the uncut step's end state to the gradient methods.
   */
  private emitOutputsInStep(tNew: number, hs: number, cut = false): void {
    const { times } = this.opts;
    const dir = this.opts.direction;
    const d = this.dim;
    const stepIndex = this.stats.accepted;
    while (this.nextOutput < times.length && dir * (times[this.nextOutput] - tNew) <= 0) {
      const k = this.nextOutput++;
      const tk = times[k];
      this.outputStep[k] = stepIndex;
      if (tk === tNew && !cut) {
        this.outputs.set(this.yNew, k * d);
        this.outputTheta[k] = 1;
        continue;
      }
      const theta = cut ? Math.min((tk - this.t) / hs, BELOW_ONE) : (tk - this.t) / hs;
      this.outputTheta[k] = theta;
      this.ensureDenseStage(hs);
      denseWeights(this.method, theta, this.denseW);
      const out = this.outputs;
      const base = k * d;
      const y = this.y;
      for (let i = 0; i < d; i++) out[base + i] = y[i];
      for (let j = 0; j < this.method.denseStages; j++) {
        const w = hs * this.denseW[j];
        if (w === 0) continue;
        const Kj = this.K[j];
        for (let i = 0; i < d; i++) out[base + i] += w * Kj[i];
      }
    }
  }

  private ensureDenseStage(hs: number): void {
    if (this.denseStageValid) return;
    // Non-FSAL Hermite: the extra stage is f(t + h, y_new).
    const s = this.method.stages;
    this.field.f(this.t + hs, this.yNew, this.opts.params, this.K[s]);
    this.stats.fEvals++;
    this.denseStageValid = true;
  }

  private nextLandingTime(): number {
    const { times, direction } = this.opts;
    let k = this.nextOutput;
    while (k < times.length && direction * (times[k] - this.t) <= 0) k++;
    return k < times.length ? times[k] : this.opts.t1;
  }

  /**
   * Where the last rejected trial was not finite (a stage of f or the candidate state), or null.
   * A non-finite trial is rejected and the step shrunk, which recovers when the step was merely
   * too long; when shrinking reaches underflow, that NaN or infinity is the cause to report.
   */
  private nonFiniteTrial: NonFiniteError | null = null;

  /** The error for a step too small to take: the non-finite f that drove it there, if any. */
  private underflow(h: number, hmin: number): Error {
    return this.nonFiniteTrial ?? new StepSizeUnderflowError(this.t, h, hmin);
  }

  /** The first non-finite stage component of the current trial (or of y_new). Off the hot path. */
  private findNonFinite(hs: number): NonFiniteError {
    const { method, K } = this;
    for (let j = 0; j < method.stages; j++) {
      const Kj = K[j];
      for (let i = 0; i < Kj.length; i++) {
        if (!Number.isFinite(Kj[i])) return new NonFiniteError('derivative', this.t + method.c[j] * hs, i, Kj[i]);
      }
    }
    for (let i = 0; i < this.yNew.length; i++) {
      if (!Number.isFinite(this.yNew[i])) return new NonFiniteError('state', this.t + hs, i, this.yNew[i]);
    }
    return new NonFiniteError('error estimate', this.t, 0, this.err);
  }

  private checkFinite(v: Float64Array, what: string, t = this.t): void {
    // A finite sum means every component is finite: one add per component on the hot path.
    // A non-finite sum (or an overflow) sends us to the search for the culprit.
    const n = v.length;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += v[i];
    if (Number.isFinite(sum)) return;
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(v[i])) throw new NonFiniteError(what, t, i, v[i]);
    }
  }
}

/** The largest double below 1. */
const BELOW_ONE = 1 - Number.EPSILON / 2;

function isUniform(v: Float64Array): boolean {
  for (let i = 1; i < v.length; i++) if (v[i] !== v[0]) return false;
  return true;
}

/** True when the FSAL last stage's input row of `a` is b itself (see fsalInputIsSolution). */
function lastRowIsB(method: PreparedMethod): boolean {
  const s = method.stages;
  if (!method.fsal || method.b[s - 1] !== 0) return false;
  const row = (s - 1) * method.denseStages;
  for (let l = 0; l < s - 1; l++) if (method.a[row + l] !== method.b[l]) return false;
  return true;
}

function swap(K: Float64Array[], i: number, j: number): void {
  const tmp = K[i];
  K[i] = K[j];
  K[j] = tmp;
}
