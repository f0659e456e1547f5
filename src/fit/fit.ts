/**
 * fit(problem, options): the optimisation loop. Three optimizers share it:
 *
 * - 'lm' (the default for an equation model: its loss is a weighted sum of squared residuals):
 *   Levenberg-Marquardt on the residuals and their exact Jacobian (least-squares.ts, objective.ts
 *   evaluateResiduals: forward sensitivities of the discrete map), scaled by the Jacobian's
 *   column norms as MINPACK does;
 * - 'lbfgs' and 'adam' on the loss and its gradient (objective.ts evaluateProblem, or a caller's
 *   objective such as a worker pool).
 *
 * Scaling ('jacobian', the default when the residuals are at hand): L-BFGS and Adam work on
 * x = theta / s with s_j = |r(theta0)| / |dr/dtheta_j (theta0)|, so that a unit step in any x_j
 * changes the residuals by about their own size (the same column scaling LM uses; More 1978,
 * eq. 6.3). Without it, values in their own units (a mass of 1e-3 beside a position of 5 AU)
 * leave one coordinate frozen while the others converge.
 *
 * Stopping (scipy.optimize.least_squares's definitions, relative, so units do not matter):
 * gtol (the gradient is small: for LM the largest cosine between r and a column of J), ftol (the
 * loss changes by less than ftol relative), xtol (the step is below xtol relative to x), the
 * legacy gradientTolerance (an absolute max-norm, off by default), the iteration limit, 'no-progress'
 * (no trial point lowers the loss), 'non-finite' or 'diverging' (Adam's loss is not finite, or
 * has risen to 100 times its best: the best point is returned, not the last).
 *
 * "Converged" is more than a stop: at the final point, a loss of squared residuals must pass the
 * certificate of least-squares.ts (the Gauss-Newton step over the free values would lower the loss
 * by at most 10 ftol relative, or the gradient cosine is at most gtol). A fit stopped by ftol,
 * xtol or a line search away from a minimum (a badly scaled problem) is reported as not converged,
 * with the reason and a hint.
 *
 * Uncertainties: at the end the Gauss-Newton covariance s^2 (J^T J)^-1 (s^2 = |r|^2 / (m - n)) gives
 * each value's standard error and the correlations (least-squares.ts covariance); an ill-
 * conditioned J^T J names the values the data cannot identify.
 *
 * Checkpoints: every `checkpointEvery` iterations the loop's whole state is written (atomically);
 * a fit started with a matching checkpoint ends exactly where the uninterrupted one would have.
 * Interrupts: when `signal` aborts, the loop stops at the next iteration boundary, writes the
 * checkpoint and throws FitInterruptedError.
 */
import { AcaError, InvalidArgumentError } from '../errors.ts';
import type { Problem } from '../spec/problem.ts';
import { fittedBounds, fittedJacobian, fromFitted } from '../spec/values.ts';
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
import {
  certificate,
  columnNorms,
  covariance,
  gradientOf,
  LevenbergMarquardt,
  sumSquares,
  type Certificate,
  type LMState,
  type ResidualValue,
} from './least-squares.ts';
import { evaluateProblem, evaluateResiduals, initialTheta, valuesAt } from './objective.ts';

export interface FitEvaluation {
  readonly f: number;
  readonly g: Float64Array;
  /** Solver work of this evaluation, summed into the fit's counters. */
  readonly stats?: EvaluationStats;
}

interface EvaluationStats {
  readonly fEvals: number;
  readonly vjpEvals: number;
  readonly accepted: number;
  readonly rejected: number;
}

export type FitObjective = (theta: Float64Array) => FitEvaluation | Promise<FitEvaluation>;

/** Residuals r (loss = |r|^2) and dr/dtheta (m x n, row-major) at theta. */
export interface FitResiduals extends ResidualValue {
  readonly stats?: EvaluationStats;
}
export type FitResidualObjective = (theta: Float64Array) => FitResiduals | Promise<FitResiduals>;

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
  /**
   * The residuals and their Jacobian (default: the problem's own, objective.ts evaluateResiduals,
   * unless `objective` is given). Needed by 'lm', by the scaling and for uncertainties.
   */
  readonly residuals?: FitResidualObjective;
  /** Notes for the user: resuming from a checkpoint, or not using one. */
  readonly log?: (message: string) => void;
}

export type StopReason = 'gtol' | 'ftol' | 'xtol' | 'gradient' | 'iterations' | 'no-progress' | 'non-finite' | 'diverging';

export interface FittedEntry {
  readonly path: string;
  readonly name: string;
  readonly start: number;
  readonly value: number;
  /** Standard error from the Gauss-Newton covariance (NaN when not available). */
  readonly standardError: number;
}

/** Standard errors, correlations and identifiability at the solution (model coordinates). */
export interface FitUncertainty {
  readonly standardErrors: Float64Array;
  /** n x n, row-major (null when J^T J is singular). */
  readonly correlation: Float64Array | null;
  readonly covariance: Float64Array | null;
  readonly residualVariance: number;
  readonly dof: number;
  readonly condition: number;
  /** Paths of the values the data do not identify (J^T J ill-conditioned along them). */
  readonly unidentifiable: readonly string[];
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
  /** The stop is a minimum to the tolerances (see the module comment). */
  readonly converged: boolean;
  /** Why not converged, and what to try (empty when converged). */
  readonly message: string;
  /** The optimality measures at the final point (least squares only). */
  readonly certificate?: Certificate;
  readonly uncertainty?: FitUncertainty;
  /** The scale of the optimizer's coordinates (theta = scale x). */
  readonly scale: Float64Array;
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

/** Adam: a loss this many times its best is diverging. */
const DIVERGING = 100;

export async function fit(problem: Problem, options: FitOptions = {}): Promise<FitResult> {
  const settings = problem.optimizer;
  const maxIterations = options.iterations ?? settings.iterations;
  const bounds = fittedBounds(problem.free);
  const started = performance.now();
  const counters: FitCounters = { evaluations: 0, fEvals: 0, vjpEvals: 0, accepted: 0, rejected: 0, elapsedMs: 0 };
  const count = (stats?: EvaluationStats) => {
    counters.evaluations++;
    if (!stats) return;
    counters.fEvals += stats.fEvals;
    counters.vjpEvals += stats.vjpEvals;
    counters.accepted += stats.accepted;
    counters.rejected += stats.rejected;
  };
  const residualObjective: FitResidualObjective | undefined =
    options.residuals ??
    // Losses on event times are not residuals of the data: such a problem has no residual form.
    (options.objective || !problem.data || problem.eventLoss ? undefined : (theta) => evaluateResiduals(problem, theta));
  const objective: FitObjective = options.objective ?? defaultObjective(problem);
  const method = settings.method;
  if (method === 'lm' && !residualObjective) {
    throw new InvalidArgumentError('optimizer.method', 'lm', "'lbfgs' or 'adam' (this objective gives a loss and its gradient, not residuals)");
  }
  const residualsAt = async (theta: Float64Array): Promise<FitResiduals> => {
    const value = await residualObjective!(theta);
    count(value.stats);
    return value;
  };
  const n = problem.free.length;

  // The loop's whole state.
  let x = initialTheta(problem);
  let scale: Float64Array = new Float64Array(n).fill(1);
  let iteration = 0;
  let history: number[] = [];
  let current: FitEvaluation | undefined;
  let currentResiduals: FitResiduals | undefined;
  let resumedFrom: number | undefined;
  let ignoredCheckpoint: string | undefined;
  let elapsedBefore = 0;

  const checkpointFile = options.checkpoint?.file;
  let saved: FitCheckpoint | undefined;
  if (options.checkpoint && options.checkpoint.resume !== 'never') {
    const { file, hash, resume = 'auto' } = options.checkpoint;
    const found = await readCheckpointFrom(options.checkpoint.store, file);
    if (!found && resume === 'require') throw new CheckpointError(file, 'not found (nothing to resume)');
    if (found && found.hash !== hash) {
      const why = 'written for a different spec or data';
      if (resume === 'require') throw new CheckpointError(file, `${why}; delete it or start without --resume`);
      ignoredCheckpoint = why;
      options.log?.(`not resuming from ${file}: ${why}; starting over`);
    } else if (found && found.method !== method) {
      // The hash matched, so the file was edited: refuse it rather than resume a different fit.
      throw new CheckpointError(file, `holds a ${found.method} fit, this fit is ${method}; delete it to start over`);
    } else if (found) {
      saved = found;
    }
  }

  if (saved) {
    if (saved.scale) scale = Float64Array.from(saved.scale);
  } else if (method !== 'lm' && settings.scaling === 'jacobian' && residualObjective) {
    const start = await residualsAt(x);
    scale = jacobianScale(start, n);
    for (let j = 0; j < n; j++) x[j] /= scale[j];
  }
  const scaled = scale.some((v) => v !== 1);
  const lower = Float64Array.from(bounds.lower, (v, j) => v / scale[j]);
  const upper = Float64Array.from(bounds.upper, (v, j) => v / scale[j]);
  const thetaOf = (z: Float64Array) => Float64Array.from(z, (v, j) => v * scale[j]);

  const evaluate = async (z: Float64Array): Promise<FitEvaluation> => {
    const value = await objective(thetaOf(z));
    count(value.stats);
    return { f: value.f, g: Float64Array.from(value.g, (v, j) => v * scale[j]), stats: value.stats };
  };
  const trialEvaluate = async (z: Float64Array): Promise<FitEvaluation> => {
    try {
      return await evaluate(z);
    } catch (error) {
      if (error instanceof AcaError && TRIAL_FAILURES.has(error.code)) return { f: Infinity, g: new Float64Array(z.length) };
      throw error;
    }
  };
  const trialResiduals = async (theta: Float64Array): Promise<FitResiduals> => {
    try {
      return await residualsAt(theta);
    } catch (error) {
      if (error instanceof AcaError && TRIAL_FAILURES.has(error.code)) {
        const m = currentResiduals?.r.length ?? 1;
        return { r: new Float64Array(m).fill(Infinity), J: new Float64Array(m * n) };
      }
      throw error;
    }
  };

  const ftol = settings.ftol;
  const adam = method === 'adam' ? new Adam({ lr: settings.lr, beta1: settings.beta1, beta2: settings.beta2, eps: settings.eps }) : undefined;
  const lbfgs = method === 'lbfgs' ? new LBFGS({ memory: settings.memory, initialStep: settings.lr, lower, upper }) : undefined;
  const lm = method === 'lm' ? new LevenbergMarquardt({ ftol, xtol: settings.xtol, gtol: settings.gtol, factor: settings.factor, lower, upper }) : undefined;

  if (saved) {
    x = Float64Array.from(saved.theta);
    iteration = saved.iteration;
    history = [...saved.history];
    if (saved.loss !== null && saved.gradient !== null && lbfgs) current = { f: saved.loss, g: Float64Array.from(saved.gradient) };
    if (adam) adam.restore(saved.optimizer as AdamState);
    if (lbfgs) lbfgs.restore(saved.optimizer as LBFGSState);
    if (lm) lm.restore(saved.optimizer as LMState);
    Object.assign(counters, saved.counters);
    elapsedBefore = saved.counters.elapsedMs;
    resumedFrom = iteration;
    options.log?.(`resuming from ${checkpointFile} at iteration ${iteration}`);
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
    method,
    iteration,
    theta: Array.from(x),
    scale: Array.from(scale),
    loss: current ? current.f : null,
    gradient: current ? Array.from(current.g) : null,
    optimizer: adam ? adam.state() : lbfgs ? lbfgs.state() : lm!.state(),
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
  const fromResiduals = (value: FitResiduals): FitEvaluation => {
    const g = gradientOf(value.J, value.r, value.r.length, n);
    for (let j = 0; j < n; j++) g[j] *= 2;
    return { f: sumSquares(value.r), g };
  };

  // Adam's best point: a rising or non-finite loss is reported, not followed.
  let best: { f: number; x: Float64Array; g: Float64Array; iteration: number } | undefined;

  let reason: StopReason;
  let reported = false;
  for (;;) {
    if (!current) {
      if (lm) {
        currentResiduals = await residualsAt(x);
        current = fromResiduals(currentResiduals);
      } else {
        current = await evaluate(x);
      }
      if (history.length === iteration) history.push(current.f);
    }
    if (!reported) {
      progress();
      reported = true;
    }
    if (adam) {
      if (!Number.isFinite(current.f)) {
        reason = 'non-finite';
        break;
      }
      if (!best || current.f < best.f) best = { f: current.f, x: Float64Array.from(x), g: current.g, iteration };
      else if (current.f > DIVERGING * best.f) {
        reason = 'diverging';
        break;
      }
    }
    if (settings.gradientTolerance > 0 && maxNorm(current.g) <= settings.gradientTolerance) {
      reason = 'gradient';
      break;
    }
    if (!lm && relativeGradient(current, x, scaled) <= settings.gtol) {
      reason = 'gtol';
      break;
    }
    if (iteration >= maxIterations) {
      reason = 'iterations';
      break;
    }
    await nextTurn();
    if (options.signal?.aborted) {
      const written = await saveCheckpoint();
      throw new FitInterruptedError(iteration, written ? checkpointFile : undefined);
    }
    if (adam) {
      adam.step(x, current.g);
      project(x, lower, upper);
      adam.lr *= settings.lrDecay;
      current = undefined;
      iteration++;
      reported = false;
    } else if (lbfgs) {
      const previous = current.f;
      const before = Float64Array.from(x);
      const step = await lbfgs.step(x, current.f, current.g, trialEvaluate);
      if (step.status === 'no-progress') {
        reason = 'no-progress';
        break;
      }
      current = { f: step.f, g: step.g };
      history.push(step.f);
      iteration++;
      reported = false;
      if (Math.abs(previous - step.f) <= ftol * Math.max(Math.abs(previous), Number.MIN_VALUE)) {
        reason = 'ftol';
        break;
      }
      if (stepNorm(before, x) <= settings.xtol * (settings.xtol + norm(before))) {
        reason = 'xtol';
        break;
      }
    } else {
      const step = await lm!.step(x, currentResiduals!, trialResiduals);
      const moved = step.value !== currentResiduals;
      if (moved) {
        currentResiduals = step.value as FitResiduals;
        current = fromResiduals(currentResiduals);
        history.push(current.f);
        iteration++;
        reported = false;
      }
      if (step.status !== 'ok') {
        reason = step.status;
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
  if (adam && best && (reason === 'non-finite' || reason === 'diverging' || best.f < current.f)) {
    // Return the best point seen, not a point the loss has run away from.
    x = best.x;
    current = { f: best.f, g: best.g };
  }

  const theta = thetaOf(x);
  const thetaGradient = Float64Array.from(current.g, (v, j) => v / scale[j]);
  // The certificate and the covariance, from the residuals at the final point.
  let final: FitResiduals | undefined;
  if (residualObjective) {
    try {
      final = lm ? currentResiduals : await residualsAt(theta);
    } catch (error) {
      if (!(error instanceof AcaError && TRIAL_FAILURES.has(error.code))) throw error;
    }
  }
  const cert = final ? certificate(theta, final, bounds.lower, bounds.upper) : undefined;
  const stoppedToConverge = reason === 'gtol' || reason === 'ftol' || reason === 'xtol' || reason === 'gradient';
  const atMinimum = cert ? cert.gradientCosine <= settings.gtol || cert.gaussNewtonReduction <= Math.max(10 * ftol, 1e-14) : true;
  const converged = stoppedToConverge && atMinimum;
  const message = converged ? '' : notConvergedMessage(reason, cert, settings.method);
  const uncertainty = final ? uncertaintyAt(problem, theta, final) : undefined;

  counters.elapsedMs = elapsedBefore + (performance.now() - started);
  const { y0, params } = valuesAt(problem, theta);
  return {
    theta,
    fitted: problem.free.map((free, j) => ({
      path: free.path,
      name: free.name,
      start: free.value,
      value: fromFitted(free, theta[j]),
      standardError: uncertainty ? uncertainty.standardErrors[j] : NaN,
    })),
    y0,
    params,
    loss: current.f,
    gradient: thetaGradient,
    gradientNorm: maxNorm(thetaGradient),
    history,
    iterations: iteration,
    reason,
    converged,
    message,
    certificate: cert,
    uncertainty,
    scale,
    counters,
    resumedFrom,
    ignoredCheckpoint,
  };
}

/** s_j = |r| / |J_j| (1 where either is zero or not finite). */
function jacobianScale(value: ResidualValue, n: number): Float64Array {
  const m = value.r.length;
  const rn = Math.sqrt(sumSquares(value.r));
  const norms = columnNorms(value.J, m, n);
  return Float64Array.from(norms, (c) => {
    const s = rn / c;
    return Number.isFinite(s) && s > 0 ? s : 1;
  });
}

/** Standard errors (model coordinates), correlations and identifiability at theta. */
function uncertaintyAt(problem: Problem, theta: Float64Array, value: ResidualValue): FitUncertainty {
  const n = theta.length;
  const cov = covariance(value, n);
  const chain = Float64Array.from(problem.free, (free, j) => fittedJacobian(free, theta[j]));
  // The delta method: d value = (d value / d theta) d theta, a diagonal change of coordinates.
  const covariance_ = cov.covariance ? Float64Array.from(cov.covariance, (v, q) => v * chain[Math.floor(q / n)] * chain[q % n]) : null;
  return {
    standardErrors: Float64Array.from(cov.standardErrors, (v, j) => v * chain[j]),
    correlation: cov.correlation,
    covariance: covariance_,
    residualVariance: cov.residualVariance,
    dof: cov.dof,
    condition: cov.condition,
    unidentifiable: cov.unidentifiable.map((j) => problem.free[j].path),
  };
}

function notConvergedMessage(reason: StopReason, cert: Certificate | undefined, method: string): string {
  const gap = cert ? `; a Gauss-Newton step would still lower the loss by ${(100 * cert.gaussNewtonReduction).toPrecision(2)}%` : '';
  switch (reason) {
    case 'iterations':
      return `iteration limit reached${gap} (raise optimizer.iterations${method === 'lm' ? '' : ", or use method: lm"})`;
    case 'no-progress':
      return `no step lowers the loss${gap} (check the scaling of the values, the solver tolerances (a loss noisier than ftol), or use method: lm)`;
    case 'non-finite':
      return `the loss became non-finite; the best point seen is returned (lower optimizer.lr, or use method: lm)`;
    case 'diverging':
      return `the loss rose to ${DIVERGING} times its best; the best point seen is returned (lower optimizer.lr, or use method: lm)`;
    default:
      return `stopped by ${reason} away from a minimum${gap} (the values are badly scaled for ${method}: keep scaling: jacobian, use method: lm, or tighten ftol/xtol)`;
  }
}

/**
 * The relative change of f per unit change of each coordinate: max_j |g_j| / |f| in scaled
 * coordinates (a unit step changes the residuals by their own size), else
 * max_j |g_j| max(|x_j|, 1) / |f| (a relative change of x_j).
 */
function relativeGradient(value: FitEvaluation, x: Float64Array, scaled: boolean): number {
  const f = Math.abs(value.f);
  if (f === 0) return 0;
  let worst = 0;
  for (let j = 0; j < x.length; j++) worst = Math.max(worst, (Math.abs(value.g[j]) * (scaled ? 1 : Math.max(Math.abs(x[j]), 1))) / f);
  return worst;
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

function norm(v: ArrayLike<number>): number {
  return Math.sqrt(sumSquares(v));
}

function stepNorm(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

/**
 * Resolves on the event loop's next turn, so that a signal handler gets to run. setImmediate
 * where there is one (Node); a browser has only setTimeout, clamped to a few milliseconds.
 */
function nextTurn(): Promise<void> {
  const later: (callback: () => void) => unknown = globalThis.setImmediate ?? ((callback) => setTimeout(callback, 0));
  return new Promise((resolve) => later(resolve));
}
