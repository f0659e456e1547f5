/**
 * The adaptive loop on tensor states with the step size chosen in JavaScript: each attempt runs
 * in its own tf.tidy, its error norm is read back as a number (one read per attempt, through the
 * drivers of reads.ts), and the controller of the float64 engine (solvers/controller.ts) picks
 * the next step. Nothing is taped; rejected attempts leave nothing behind. Used by ACA's forward
 * pass (which keeps the accepted steps' start states as checkpoints) and by the adjoint method's
 * forward and backward solves.
 */
import { MaxStepsExceededError, StepSizeUnderflowError } from '../errors.ts';
import { stepFactor } from '../solvers/controller.ts';
import type { PreparedMethod } from '../solvers/methods.ts';
import type { ControllerOptions } from '../solvers/controller.ts';
import { errorNormTensor, initialStepTensor, rkStep, type TensorTuple, type TupleField } from './rk.ts';
import { read, runSync, type Reading } from './reads.ts';
import { tf, type Tensor } from './tf.ts';

export interface LoopStats {
  accepted: number;
  rejected: number;
  fEvals: number;
}

export interface Span {
  readonly method: PreparedMethod;
  readonly t0: number;
  readonly t1: number;
  readonly rtol: number;
  readonly atol: number;
  /** Equal steps of a fixed-step method; 0 for adaptive ones. */
  readonly fixedSteps: number;
  readonly firstStep: number | null;
  readonly maxSteps: number;
  readonly controller: ControllerOptions;
  /** The error norm looks at the first this-many tuple components (default: all). */
  readonly normComponents?: number;
}

/** An accepted step: its start time, signed size and start state (the ACA checkpoint). */
export interface Checkpoint {
  readonly t: number;
  readonly h: number;
  readonly state: TensorTuple;
}

export interface LoopResult {
  /** The state at t1 (new tensors, owned by the caller). */
  readonly final: TensorTuple;
  /**
   * With keepCheckpoints: every accepted step's start. checkpoints[0].state is y0 itself (the
   * caller's); the others are owned by the caller.
   */
  readonly checkpoints: Checkpoint[];
}

/** The loop with synchronous reads (CPU, WASM, tfjs-node). */
export function integrate(f: TupleField, y0: TensorTuple, span: Span, stats: LoopStats, keepCheckpoints = false): LoopResult {
  return runSync(integrateSteps(f, y0, span, stats, keepCheckpoints));
}

/** The loop as a generator of reads (reads.ts): run it with runSync or runAsync. */
export function* integrateSteps(
  f: TupleField,
  y0: TensorTuple,
  span: Span,
  stats: LoopStats,
  keepCheckpoints = false,
): Reading<LoopResult> {
  const { method, t0, t1, rtol, atol, controller } = span;
  const components = span.normComponents ?? y0.length;
  const dir = t1 > t0 ? 1 : -1;
  const s = method.stages;
  const checkpoints: Checkpoint[] = [];
  let y = y0;
  let t = t0;
  let k0: TensorTuple | null = tf.tidy(() => f(t0, y0));
  stats.fEvals++;
  let h: number;
  if (span.fixedSteps > 0) h = Math.abs(t1 - t0) / span.fixedSteps;
  else if (span.firstStep !== null) h = span.firstStep;
  else {
    h = yield* initialStepTensor(f, t0, y0, k0, dir, method.order, rtol, atol, components);
    stats.fEvals++;
  }
  h = Math.min(h, Math.abs(t1 - t0));
  let errPrev = 1;
  let attempts = 0;
  let acceptedHere = 0;
  try {
    while (t !== t1) {
      if (attempts++ >= span.maxSteps) throw new MaxStepsExceededError(t, span.maxSteps, t1);
      let hs = dir * h;
      const lastFixed = span.fixedSteps > 0 && acceptedHere === span.fixedSteps - 1;
      const landing = lastFixed || dir * (t + hs - t1) >= 0;
      if (landing) hs = t1 - t;
      if (Math.abs(hs) <= 4 * Number.EPSILON * Math.abs(t)) {
        throw new StepSizeUnderflowError(t, hs, 4 * Number.EPSILON * Math.abs(t));
      }
      const first = k0!;
      const attempt = tf.tidy(() => {
        const step = rkStep(method, f, t, y, hs, hs, first);
        const err = step.error ? [errorNormTensor(step.error, y, step.next, rtol, atol, components)] : [];
        return { next: step.next, lastStage: step.lastStage ?? [], err };
      });
      stats.fEvals += s - 1;
      const err = attempt.err.length ? yield* read(attempt.err[0]) : 0;
      const accepted = err <= 1; // NaN (a non-finite attempt) is a rejection
      if (accepted) {
        stats.accepted++;
        acceptedHere++;
        if (keepCheckpoints) checkpoints.push({ t, h: hs, state: y });
        else if (y !== y0) tf.dispose(y);
        y = attempt.next;
        t = landing ? t1 : t + hs;
        tf.dispose(first);
        if (method.fsal) k0 = attempt.lastStage;
        else if (t !== t1) {
          const yNow = y;
          const tNow = t;
          k0 = tf.tidy(() => f(tNow, yNow));
          stats.fEvals++;
        } else k0 = null;
        if (method.adaptive) {
          const factor = stepFactor(controller, method.errorOrder, err, errPrev, true);
          errPrev = Math.max(err, 1e-4);
          h = Math.abs(hs) * factor;
        }
      } else {
        stats.rejected++;
        tf.dispose(attempt.next);
        tf.dispose(attempt.lastStage);
        const factor = Number.isNaN(err) ? controller.factorMin : stepFactor(controller, method.errorOrder, err, errPrev, false);
        h = Math.abs(hs) * factor;
      }
    }
  } catch (err) {
    // Free what the loop owns (an underflow or step limit must not leak the states).
    if (k0) tf.dispose(k0);
    if (y !== y0) tf.dispose(y);
    disposeCheckpoints(checkpoints, y0);
    throw err;
  }
  if (k0) tf.dispose(k0);
  const final = y === y0 ? y0.map((c) => tf.clone(c)) : y;
  return { final, checkpoints };
}

/** Frees the checkpoints' states, except the tensors of y0 (the caller's). */
export function disposeCheckpoints(checkpoints: readonly Checkpoint[], y0: readonly Tensor[]): void {
  for (const c of checkpoints) for (const t of c.state) if (!y0.includes(t)) t.dispose();
}

