/**
 * fit(problem, options): the optimisation loop. Each iteration evaluates the loss and its gradient
 * (gradient(...) through objective.ts, or a caller's objective such as a worker pool), takes an
 * Adam or L-BFGS step in fitted coordinates, keeps theta in its bounds, records the loss, reports
 * progress, and every `checkpointEvery` iterations writes a checkpoint (atomically). A fit started
 * with a matching checkpoint goes on from it and ends exactly where the uninterrupted fit would
 * have (same theta, bit for bit: the loop's only state is in the checkpoint).
 *
 * Stopping: the gradient's max-norm (fitted coordinates) at or below gradientTolerance; L-BFGS:
 * a relative change of the loss at or below lossTolerance, or a line search that found no
 * decrease (the loss is flat to within the solver's tolerance); else the iteration limit.
 *
 * Interrupts: when `signal` aborts, the loop stops at the next iteration boundary, writes the
 * checkpoint and throws FitInterruptedError. The loop yields to the event loop once per
 * iteration so that a SIGINT handler gets to run.
 */
import { AcaError } from '../errors.ts';
import type { Problem } from '../spec/problem.ts';
import { fittedBounds, fromFitted } from '../spec/values.ts';
import { Adam, type AdamState } from './adam.ts';
import {
  CheckpointError,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  readCheckpointFrom,
  type CheckpointStore,
  type FitCheckpoint,
  type FitCounters,
} from './checkpoint.ts';
import { LBFGS, type LBFGSState } from './lbfgs.ts';
import { evaluateProblem, initialTheta, valuesAt } from './objective.ts';

export interface FitEvaluation {
  readonly f: number;
  readonly g: Float64Array;
  /** Solver work of this evaluation, summed into the fit's counters. */
  readonly stats?: { readonly fEvals: number; readonly vjpEvals: number; readonly accepted: number; readonly rejected: number };
}

export type FitObjective = (theta: Float64Array) => FitEvaluation | Promise<FitEvaluation>;

export interface FitProgress {
  /** Iterations completed. */
  readonly iteration: number;
  readonly iterations: number;
  readonly loss: number;
  readonly gradientNorm: number;
  readonly evaluations: number;
}

export interface CheckpointOptions {
  readonly file: string;
  /** Where `file` lives: fileCheckpointStore (aca-ode/node) for files, or a caller's own store. */
  readonly store: CheckpointStore;
  /** Problem hash (checkpoint.ts fitHash); a checkpoint with another hash is not used. */
  readonly hash: string;
  /** Iterations between checkpoints (default: the problem's optimizer.checkpointEvery). */
  readonly every?: number;
  /**
   * 'auto' (default): resume if the file holds a checkpoint of this problem, else start over;
   * 'require': resume or fail (CheckpointError); 'never': start over (the file is overwritten).
   */
  readonly resume?: 'auto' | 'require' | 'never';
}

export interface FitOptions {
  /** Overrides the problem's optimizer.iterations. */
  readonly iterations?: number;
  readonly onProgress?: (progress: FitProgress) => void;
  readonly checkpoint?: CheckpointOptions;
  readonly signal?: AbortSignal;
  /** The loss and dL/dtheta (default: the problem's own, by its gradient method). */
  readonly objective?: FitObjective;
  /** Notes for the user: resuming from a checkpoint, or not using one. */
  readonly log?: (message: string) => void;
}

export type StopReason = 'gradient' | 'loss' | 'line-search' | 'iterations';

export interface FittedEntry {
  readonly path: string;
  readonly name: string;
  readonly start: number;
  readonly value: number;
}

export interface FitResult {
  /** Fitted coordinates. */
  readonly theta: Float64Array;
  readonly fitted: readonly FittedEntry[];
  /** y0 and p at the fitted values. */
  readonly y0: Float64Array;
  readonly params: Float64Array;
  readonly loss: number;
  readonly gradient: Float64Array;
  readonly gradientNorm: number;
  /** history[k]: the loss after k iterations (history[0] at the start). */
  readonly history: readonly number[];
  readonly iterations: number;
  readonly reason: StopReason;
  readonly counters: FitCounters;
  /** The iteration of the checkpoint this fit resumed from, if it did. */
  readonly resumedFrom?: number;
  /** Why an existing checkpoint file was not used ('auto' mode). */
  readonly ignoredCheckpoint?: string;
}

/** The fit stopped on its signal; the checkpoint (if any) was written. */
export class FitInterruptedError extends AcaError {
  readonly iteration: number;
  readonly checkpointFile?: string;
  constructor(iteration: number, checkpointFile?: string) {
    super(
      'ERR_INTERRUPTED',
      checkpointFile
        ? `fit interrupted after ${iteration} iterations; checkpoint written to ${checkpointFile}`
        : `fit interrupted after ${iteration} iterations (no checkpoint file was given)`,
    );
    this.iteration = iteration;
    this.checkpointFile = checkpointFile;
  }
}

/** Solver failures that a line search treats as an infinite loss at the trial point. */
const TRIAL_FAILURES = new Set(['ERR_STEP_SIZE_UNDERFLOW', 'ERR_MAX_STEPS', 'ERR_NON_FINITE']);

export async function fit(problem: Problem, options: FitOptions = {}): Promise<FitResult> {
  const settings = problem.optimizer;
  const maxIterations = options.iterations ?? settings.iterations;
  const { lower, upper } = fittedBounds(problem.free);
  const started = performance.now();
  const counters: FitCounters = { evaluations: 0, fEvals: 0, vjpEvals: 0, accepted: 0, rejected: 0, elapsedMs: 0 };
  const objective: FitObjective = options.objective ?? defaultObjective(problem);
  const evaluate = async (theta: Float64Array): Promise<FitEvaluation> => {
    const value = await objective(theta);
    counters.evaluations++;
    if (value.stats) {
      counters.fEvals += value.stats.fEvals;
      counters.vjpEvals += value.stats.vjpEvals;
      counters.accepted += value.stats.accepted;
      counters.rejected += value.stats.rejected;
    }
    return value;
  };
  const trialEvaluate = async (theta: Float64Array): Promise<FitEvaluation> => {
    try {
      return await evaluate(theta);
    } catch (error) {
      if (error instanceof AcaError && TRIAL_FAILURES.has(error.code)) return { f: Infinity, g: new Float64Array(theta.length) };
      throw error;
    }
  };

  const adam = settings.method === 'adam' ? new Adam({ lr: settings.lr, beta1: settings.beta1, beta2: settings.beta2, eps: settings.eps }) : undefined;
  const lbfgs = settings.method === 'lbfgs' ? new LBFGS({ memory: settings.memory, initialStep: settings.lr, lower, upper }) : undefined;

  // The loop's whole state.
  let theta = initialTheta(problem);
  let iteration = 0;
  let history: number[] = [];
  let current: FitEvaluation | undefined;
  let resumedFrom: number | undefined;
  let ignoredCheckpoint: string | undefined;
  let elapsedBefore = 0;

  const checkpointFile = options.checkpoint?.file;
  if (options.checkpoint && options.checkpoint.resume !== 'never') {
    const { file, hash, resume = 'auto' } = options.checkpoint;
    const saved = await readCheckpointFrom(options.checkpoint.store, file);
    if (!saved && resume === 'require') throw new CheckpointError(file, 'not found (nothing to resume)');
    if (saved && saved.hash !== hash) {
      const why = 'written for a different spec or data';
      if (resume === 'require') throw new CheckpointError(file, `${why}; delete it or start without --resume`);
      ignoredCheckpoint = why;
      options.log?.(`not resuming from ${file}: ${why}; starting over`);
    } else if (saved && (saved.theta.length !== theta.length || saved.method !== settings.method)) {
      // The hash matched, so the file was edited: refuse it rather than resume a different fit.
      throw new CheckpointError(file, `holds ${saved.theta.length} ${saved.method} values, the fit has ${theta.length} (${settings.method}); delete it to start over`);
    } else if (saved) {
      theta = Float64Array.from(saved.theta);
      iteration = saved.iteration;
      history = [...saved.history];
      if (saved.loss !== null && saved.gradient !== null) current = { f: saved.loss, g: Float64Array.from(saved.gradient) };
      if (adam) adam.restore(saved.optimizer as AdamState);
      if (lbfgs) lbfgs.restore(saved.optimizer as LBFGSState);
      Object.assign(counters, saved.counters);
      elapsedBefore = saved.counters.elapsedMs;
      resumedFrom = iteration;
      options.log?.(`resuming from ${file} at iteration ${iteration}`);
    }
  }

  // A checkpoint that cannot be written (a full disk, a read-only folder) must not cost the fit
  // itself: say so once and go on without checkpoints.
  let checkpointing = checkpointFile !== undefined;
  const saveCheckpoint = async (): Promise<boolean> => {
    if (!checkpointing) return false;
    try {
      await options.checkpoint!.store.write(checkpointFile!, JSON.stringify(snapshot()) + '\n');
      return true;
    } catch (error) {
      // Whatever the store reports (a full disk, a read-only folder: the file store's
      // OutputWriteError names the file and errno) ends checkpointing, not the fit.
      checkpointing = false;
      options.log?.(`warning: ${(error as Error).message}; the fit goes on without checkpoints`);
      return false;
    }
  };
  const snapshot = (): FitCheckpoint => ({
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    hash: options.checkpoint!.hash,
    method: settings.method,
    iteration,
    theta: Array.from(theta),
    loss: current ? current.f : null,
    gradient: current ? Array.from(current.g) : null,
    optimizer: adam ? adam.state() : lbfgs!.state(),
    history: [...history],
    counters: { ...counters, elapsedMs: elapsedBefore + (performance.now() - started) },
    written: new Date().toISOString(),
  });
  const every = options.checkpoint?.every ?? settings.checkpointEvery;
  const progress = () =>
    options.onProgress?.({
      iteration,
      iterations: maxIterations,
      loss: current?.f ?? history[history.length - 1],
      gradientNorm: current ? maxNorm(current.g) : NaN,
      evaluations: counters.evaluations,
    });

  let reason: StopReason;
  let reported = false;
  for (;;) {
    if (!current) {
      current = await evaluate(theta);
      if (history.length === iteration) history.push(current.f);
    }
    if (!reported) {
      progress();
      reported = true;
    }
    if (maxNorm(current.g) <= settings.gradientTolerance) {
      reason = 'gradient';
      break;
    }
    if (iteration >= maxIterations) {
      reason = 'iterations';
      break;
    }
    await nextTurn();
    if (options.signal?.aborted) {
      const saved = await saveCheckpoint();
      throw new FitInterruptedError(iteration, saved ? checkpointFile : undefined);
    }
    if (adam) {
      adam.step(theta, current.g);
      project(theta, lower, upper);
      adam.lr *= settings.lrDecay;
      current = undefined;
      iteration++;
      reported = false;
    } else {
      const previous = current.f;
      const step = await lbfgs!.step(theta, current.f, current.g, trialEvaluate);
      if (step.status === 'no-progress') {
        reason = 'line-search';
        break;
      }
      current = { f: step.f, g: step.g };
      history.push(step.f);
      iteration++;
      reported = false;
      if (Math.abs(previous - step.f) <= settings.lossTolerance * Math.max(Math.abs(previous), Number.MIN_VALUE)) {
        reason = 'loss';
        break;
      }
    }
    if (iteration % every === 0) await saveCheckpoint();
    // Adam reports once it has evaluated the new point, at the loop's top.
    if (!adam) {
      progress();
      reported = true;
    }
  }
  if (!reported) progress();

  counters.elapsedMs = elapsedBefore + (performance.now() - started);
  const { y0, params } = valuesAt(problem, theta);
  return {
    theta,
    fitted: problem.free.map((free, j) => ({ path: free.path, name: free.name, start: free.value, value: fromFitted(free, theta[j]) })),
    y0,
    params,
    loss: current.f,
    gradient: current.g,
    gradientNorm: maxNorm(current.g),
    history,
    iterations: iteration,
    reason,
    counters,
    resumedFrom,
    ignoredCheckpoint,
  };
}

function defaultObjective(problem: Problem): FitObjective {
  return (theta) => {
    const { f, g, result } = evaluateProblem(problem, theta);
    return { f, g, stats: result.stats };
  };
}

function project(theta: Float64Array, lower: Float64Array, upper: Float64Array): void {
  for (let i = 0; i < theta.length; i++) theta[i] = Math.min(upper[i], Math.max(lower[i], theta[i]));
}

function maxNorm(g: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < g.length; i++) m = Math.max(m, Math.abs(g[i]));
  return m;
}

/**
 * Resolves on the event loop's next turn, so that a signal handler gets to run. setImmediate
 * where there is one (Node); a browser has only setTimeout, clamped to a few milliseconds.
 */
function nextTurn(): Promise<void> {
  const later: (callback: () => void) => unknown = globalThis.setImmediate ?? ((callback) => setTimeout(callback, 0));
  return new Promise((resolve) => later(resolve));
}
