/**
 * Training a model (a neural ODE, a hybrid or an equation model) on one time series by
 * mini-batches of random subsequences (minibatch.ts), Adam (fit/adam.ts) with a learning-rate
 * schedule (schedule.ts), and early stopping on a held-out tail of the series.
 *
 * One iteration: draw batchSize subsequences of batchLength rows from the training rows, build
 * their initial-value problems, hand the batch to the evaluator (evaluate.ts: the batch's mean
 * squared error and its gradient dL/dp, summed over the subsequences by 'aca', 'adjoint' or
 * 'naive'), and take one Adam step with the scheduled learning rate.
 *
 * Validation, every validateEvery iterations: one solve with the current parameters, scored by
 * the mean squared error over the held-out rows (the last `holdout` fraction of the series), or
 * over all rows when nothing is held out. The solve starts from the series' initial state y0 at
 * times[0] ('start', the default: the error of a forecast from the beginning) or from the last
 * complete training row ('lastTraining'). The best parameters by validation are returned;
 * training stops after `patience` validations without improvement. A validation solve that
 * fails (the model blew up) scores Infinity.
 *
 * Failures: the inline evaluator leaves out a subsequence whose solve fails (a library error:
 * non-finite values, step-size underflow, too many steps); a batch where all fail (or, on the
 * pool, any fails) is skipped without a step; after maxFailedBatches skipped batches in a row
 * the error is thrown. clipNorm keeps the huge gradients of a blowing-up start from stalling Adam.
 */
import { AcaError, InvalidArgumentError } from '../errors.ts';
import type { Field } from '../fields/field.ts';
import { Adam } from '../fit/adam.ts';
import { checkGradientSettings } from '../gradients/gradient.ts';
import { DEFAULT_GRADIENT, type GradientSettings } from '../gradients/settings.ts';
import { solve } from '../solvers/solve.ts';
import { createRng } from '../util/random.ts';
import { evaluateInline, type BatchEvaluator, type TrainSolverOptions } from './evaluate.ts';
import {
  candidateStarts,
  patchedState,
  resolveStartFrom,
  sampleSubsequences,
  subsequenceProblem,
  type StartFrom,
  type SubsequenceProblem,
} from './minibatch.ts';
import { checkSchedule, learningRate, type LrSchedule } from './schedule.ts';
import { fullStateAt, holdoutStart, seriesMse, type TimeSeries } from './series.ts';

export interface TrainOptions {
  readonly field: Field;
  readonly series: TimeSeries;
  /** Initial parameters (length field.nParams); not modified. */
  readonly params: ArrayLike<number>;
  /** The state at series.times[0] (default: the first row, when it observes every state). */
  readonly y0?: ArrayLike<number>;
  /** Default 1000. */
  readonly iterations?: number;
  /** Subsequences per batch (default 20) and rows per subsequence (default 10, the start included). */
  readonly batchSize?: number;
  readonly batchLength?: number;
  /** Seed of the subsequence sampling (default 0). */
  readonly seed?: number;
  /** Base learning rate (default 1e-2) and its schedule (default constant). */
  readonly lr?: number;
  readonly schedule?: LrSchedule;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  /**
   * Largest Euclidean norm of a step's gradient (default: no limit); a longer gradient is scaled
   * down to it. It keeps one exploding batch (an untrained model that blows up) from filling
   * Adam's second-moment estimate, which would stall the steps for thousands of iterations.
   */
  readonly clipNorm?: number;
  /** Indices of the parameters to train (default all); the others keep their initial values. */
  readonly trainable?: readonly number[];
  /** Fraction of the rows held out at the end of the series (default 0). */
  readonly holdout?: number;
  /** Iterations between validations (default: iterations / 20 when validating). */
  readonly validateEvery?: number;
  /** Validations without improvement before stopping (default 10 with a holdout, else never). */
  readonly patience?: number;
  readonly validationFrom?: 'start' | 'lastTraining';
  /** How gradients are computed (default { method: 'aca' }). */
  readonly gradient?: GradientSettings;
  /** Solver settings of the training and validation solves (default dopri5, rtol 1e-6, atol 1e-8). */
  readonly solver?: TrainSolverOptions;
  /** Where a subsequence starts from (minibatch.ts); default 'auto'. */
  readonly startFrom?: StartFrom;
  /**
   * Whether f does not depend on t, so that subsequences may start at t = 0 (which lets the pool
   * run a whole batch as one job). Default: read from the field's spec (autonomousField).
   */
  readonly autonomous?: boolean;
  /** Where batches run (default evaluateInline; poolEvaluator() for the worker pool). */
  readonly evaluateBatch?: BatchEvaluator;
  /** Failed batches in a row before training gives up (default 10). */
  readonly maxFailedBatches?: number;
  readonly onIteration?: (record: IterationRecord) => void;
  readonly onValidation?: (record: ValidationRecord) => void;
  /** Stops training between iterations; the result so far is returned (reason 'interrupted'). */
  readonly signal?: AbortSignal;
}

export interface IterationRecord {
  readonly iteration: number;
  /** Batch loss (mean squared error over the batch's cells); NaN for a failed batch. */
  readonly loss: number;
  readonly lr: number;
  /** Milliseconds of this iteration's batch gradient and step. */
  readonly ms: number;
}

export interface ValidationRecord {
  readonly iteration: number;
  readonly loss: number;
  readonly best: boolean;
}

export type TrainStopReason = 'iterations' | 'early_stopping' | 'interrupted';

export interface TrainResult {
  /** The best parameters by validation (the final ones when there was no validation). */
  readonly params: Float64Array;
  readonly finalParams: Float64Array;
  readonly y0: Float64Array;
  readonly iterations: number;
  readonly bestIteration: number;
  /** Validation loss of `params` (NaN without validation). */
  readonly validationLoss: number;
  readonly reason: TrainStopReason;
  readonly history: readonly IterationRecord[];
  readonly validations: readonly ValidationRecord[];
  readonly failedBatches: number;
  /** Subsequences left out of their batch because their solve failed (evaluateInline). */
  readonly failedSubsequences: number;
  /** Batches skipped because no cell after their starts was observed. */
  readonly emptyBatches: number;
  /** Rows used for training ([0, trainRows)) and the held-out rows after them. */
  readonly trainRows: number;
  readonly startFrom: 'data' | 'prediction';
  /** Wall time in ms: everything, the batches and steps alone, per iteration (batches and steps). */
  readonly ms: number;
  readonly trainMs: number;
  readonly msPerIteration: number;
  readonly stats: { fEvals: number; vjpEvals: number; accepted: number; rejected: number };
  /** The settings used, for the saved model's metadata. */
  readonly settings: TrainSettings;
}

export interface TrainSettings {
  readonly iterations: number;
  readonly batchSize: number;
  readonly batchLength: number;
  readonly seed: number;
  readonly lr: number;
  readonly schedule: LrSchedule;
  readonly holdout: number;
  readonly validateEvery: number;
  readonly patience: number | null;
  readonly validationFrom: 'start' | 'lastTraining';
  readonly gradient: GradientSettings;
  readonly solver: TrainSolverOptions;
  readonly autonomous: boolean;
  readonly clipNorm: number | null;
}

const DEFAULT_SOLVER: TrainSolverOptions = { method: 'dopri5', rtol: 1e-6, atol: 1e-8 };

export async function trainTimeSeries(options: TrainOptions): Promise<TrainResult> {
  const started = performance.now();
  const { field, series } = options;
  const d = field.dim;
  const P = field.nParams;
  if (series.dim !== d) throw new InvalidArgumentError('series.dim', series.dim, `the field's state dimension ${d}`);
  const settings = resolveSettings(options);
  const params = Float64Array.from(options.params ?? []);
  if (params.length !== P) throw new InvalidArgumentError('params', options.params, `an array of length ${P} (the field's parameter count)`);
  const trainable = trainableMask(options.trainable, P);

  const trainRows = holdoutStart(series, settings.holdout);
  const batchLength = Math.min(settings.batchLength, trainRows);
  const startFrom = resolveStartFrom(series, trainRows, options.startFrom);
  const starts = candidateStarts(series, trainRows, batchLength, startFrom);
  const y0 = initialState(options.y0, series);
  const trainTimes = series.times.subarray(0, trainRows);
  const validating = settings.validateEvery > 0;
  const validationStart = validating ? validationStartRow(settings.validationFrom, series, trainRows) : 0;
  const validateRows = settings.holdout > 0 ? trainRows : 0;

  const adam = new Adam({ lr: settings.lr, beta1: options.beta1, beta2: options.beta2, eps: options.eps });
  const rng = createRng(settings.seed);
  const evaluate = options.evaluateBatch ?? evaluateInline;
  const maxFailed = options.maxFailedBatches ?? 10;
  const solverOptions = settings.solver;

  const history: IterationRecord[] = [];
  const validations: ValidationRecord[] = [];
  const stats = { fEvals: 0, vjpEvals: 0, accepted: 0, rejected: 0 };
  const best = { params: Float64Array.from(params), loss: Infinity, iteration: 0 };
  const startState = new Float64Array(d);
  let failedInRow = 0;
  let failedBatches = 0;
  let failedSubsequences = 0;
  let emptyBatches = 0;
  let sinceBest = 0;
  let trainMs = 0;
  let iteration = 0;
  let reason: TrainStopReason = 'iterations';

  const validate = (at: number): boolean => {
    const loss = validationLoss(field, params, series, y0, validationStart, validateRows, solverOptions);
    const improved = loss < best.loss;
    if (improved) {
      best.loss = loss;
      best.iteration = at;
      best.params.set(params);
      sinceBest = 0;
    } else {
      sinceBest++;
    }
    const record = { iteration: at, loss, best: improved };
    validations.push(record);
    options.onValidation?.(record);
    return settings.patience !== null && sinceBest >= settings.patience;
  };

  if (validating) validate(0);
  while (iteration < settings.iterations) {
    if (options.signal?.aborted) {
      reason = 'interrupted';
      break;
    }
    iteration++;
    const t0 = performance.now();
    const lr = learningRate(settings.schedule, settings.lr, iteration, settings.iterations);
    let loss = NaN;
    try {
      const predicted = startFrom === 'prediction' ? solve(field, y0, { ...solverOptions, times: trainTimes, params }).y : null;
      const problems: SubsequenceProblem[] = sampleSubsequences(starts, settings.batchSize, batchLength, rng).map((sub) => {
        if (predicted) patchedState(series, predicted, sub.start, startState);
        else fullStateAt(series, sub.start, startState);
        return subsequenceProblem(series, sub, startState, settings.autonomous);
      });
      let cells = 0;
      for (const p of problems) for (let q = 0; q < p.target.length; q++) if (!Number.isNaN(p.target[q])) cells++;
      // A batch with nothing observed after its starts (a sparse series) carries no gradient.
      if (cells === 0) throw new EmptyBatch();
      const r = await evaluate({
        field,
        params,
        problems,
        observed: series.observed,
        cellWeight: 1 / cells,
        gradient: settings.gradient,
        solver: solverOptions,
      });
      let finite = Number.isFinite(r.loss);
      for (let j = 0; j < P && finite; j++) finite = Number.isFinite(r.dp[j]);
      if (!finite) throw new AcaError('ERR_NON_FINITE', `non-finite batch loss or gradient at iteration ${iteration}`);
      const grad = r.dp;
      for (let j = 0; j < P; j++) if (!trainable[j]) grad[j] = 0;
      if (settings.clipNorm !== null) clip(grad, settings.clipNorm);
      adam.lr = lr;
      adam.step(params, grad);
      loss = r.loss;
      stats.fEvals += r.fEvals;
      stats.vjpEvals += r.vjpEvals;
      stats.accepted += r.accepted;
      stats.rejected += r.rejected;
      failedSubsequences += r.failed ?? 0;
      failedInRow = 0;
    } catch (error) {
      if (error instanceof EmptyBatch) {
        emptyBatches++;
      } else {
        if (!(error instanceof AcaError) || error instanceof InvalidArgumentError) throw error;
        failedBatches++;
        if (++failedInRow >= maxFailed) throw error;
      }
    }
    const ms = performance.now() - t0;
    trainMs += ms;
    const record = { iteration, loss, lr, ms };
    history.push(record);
    options.onIteration?.(record);
    if (validating && (iteration % settings.validateEvery === 0 || iteration === settings.iterations)) {
      if (validate(iteration)) {
        reason = 'early_stopping';
        break;
      }
    }
  }

  const finalParams = Float64Array.from(params);
  // Without a finite validation (every validation solve failed) there is no best: the final
  // parameters are returned.
  const useBest = validating && Number.isFinite(best.loss);
  return {
    params: useBest ? best.params : finalParams,
    finalParams,
    y0,
    iterations: iteration,
    bestIteration: useBest ? best.iteration : iteration,
    validationLoss: validating ? best.loss : NaN,
    reason,
    history,
    validations,
    failedBatches,
    failedSubsequences,
    emptyBatches,
    trainRows,
    startFrom,
    ms: performance.now() - started,
    trainMs,
    msPerIteration: iteration > 0 ? trainMs / iteration : NaN,
    stats,
    settings: { ...settings, batchLength },
  };

  function validationStartRow(from: 'start' | 'lastTraining', s: TimeSeries, rows: number): number {
    if (from === 'start') return 0;
    const y = new Float64Array(d);
    for (let k = rows - 1; k >= 0; k--) if (fullStateAt(s, k, y)) return k;
    throw new InvalidArgumentError('validationFrom', from, "a training row that observes every state; use 'start'");
  }
}

/**
 * Mean squared error over rows [scoreFrom, K) of one solve from row `from` (y0 at row 0, else
 * the observed row). Infinity when the solve fails.
 */
function validationLoss(
  field: Field,
  params: Float64Array,
  series: TimeSeries,
  y0: Float64Array,
  from: number,
  scoreFrom: number,
  solver: TrainSolverOptions,
): number {
  const start = new Float64Array(field.dim);
  if (from === 0) start.set(y0);
  else fullStateAt(series, from, start);
  try {
    const sol = solve(field, start, { ...solver, times: series.times.subarray(from), params });
    const mse = seriesMse(series, sol.y.subarray((scoreFrom - from) * field.dim), scoreFrom);
    return Number.isFinite(mse) ? mse : Infinity;
  } catch (error) {
    if (error instanceof AcaError && !(error instanceof InvalidArgumentError)) return Infinity;
    throw error;
  }
}

/** Whether a field's f does not depend on t, read from its spec; false when unknown. */
export function autonomousField(field: Field): boolean {
  const spec = field.spec as Record<string, unknown> | undefined;
  if (!spec) return false;
  switch (spec.kind) {
    case 'mlp':
      return spec.timeInput !== true;
    case 'lotka_volterra':
    case 'damped_rotation':
    case 'linear':
    case 'nbody':
      return true;
    case 'expression':
    case 'hybrid': {
      const model = spec.model as { equations?: Record<string, unknown>; definitions?: Record<string, unknown> } | undefined;
      const sources = [...Object.values(model?.equations ?? {}), ...Object.values(model?.definitions ?? {})];
      return sources.every((s) => typeof s !== 'string' || !(s.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? ([] as string[])).includes('t'));
    }
    default:
      return false;
  }
}

function resolveSettings(options: TrainOptions): TrainSettings {
  const iterations = options.iterations ?? 1000;
  if (!Number.isInteger(iterations) || iterations < 0) throw new InvalidArgumentError('iterations', iterations, 'an integer >= 0');
  const batchSize = options.batchSize ?? 20;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidArgumentError('batchSize', batchSize, 'a positive integer');
  const batchLength = options.batchLength ?? 10;
  if (!Number.isInteger(batchLength) || batchLength < 2) {
    throw new InvalidArgumentError('batchLength', batchLength, 'an integer >= 2 (rows per subsequence, the start included)');
  }
  const seed = options.seed ?? 0;
  const lr = options.lr ?? 1e-2;
  const schedule = checkSchedule(options.schedule, lr);
  const holdout = options.holdout ?? 0;
  if (!(holdout >= 0 && holdout < 1)) throw new InvalidArgumentError('holdout', holdout, 'a fraction in [0, 1)');
  const validating = holdout > 0 || options.validateEvery !== undefined;
  const validateEvery = validating ? (options.validateEvery ?? Math.max(1, Math.round(iterations / 20))) : 0;
  if (!Number.isInteger(validateEvery) || validateEvery < 0) {
    throw new InvalidArgumentError('validateEvery', validateEvery, 'a positive integer (iterations between validations)');
  }
  const patience = options.patience ?? (holdout > 0 ? 10 : null);
  if (patience !== null && !(Number.isInteger(patience) && patience >= 1)) {
    throw new InvalidArgumentError('patience', patience, 'a positive integer (validations without improvement)');
  }
  const gradient = checkGradientSettings(options.gradient ?? DEFAULT_GRADIENT);
  const validationFrom = options.validationFrom ?? 'start';
  if (validationFrom !== 'start' && validationFrom !== 'lastTraining') {
    throw new InvalidArgumentError('validationFrom', validationFrom, "'start' or 'lastTraining'");
  }
  if (validationFrom === 'lastTraining' && holdout === 0) {
    throw new InvalidArgumentError('validationFrom', validationFrom, "'start' (without a holdout there is no tail to forecast)");
  }
  const clipNorm = options.clipNorm ?? null;
  if (clipNorm !== null && !(clipNorm > 0 && Number.isFinite(clipNorm))) {
    throw new InvalidArgumentError('clipNorm', clipNorm, 'a finite number > 0 (the largest gradient norm)');
  }
  return {
    clipNorm,
    iterations,
    batchSize,
    batchLength,
    seed,
    lr,
    schedule,
    holdout,
    validateEvery,
    patience,
    validationFrom,
    gradient,
    solver: { ...DEFAULT_SOLVER, ...(options.solver ?? {}) },
    autonomous: options.autonomous ?? autonomousField(options.field),
  };
}

/** Thrown inside an iteration whose batch observes nothing; the iteration takes no step. */
class EmptyBatch extends Error {}

/** Scales g down to Euclidean norm `limit` when it is longer. */
function clip(g: Float64Array, limit: number): void {
  let sq = 0;
  for (let j = 0; j < g.length; j++) sq += g[j] * g[j];
  const norm = Math.sqrt(sq);
  if (norm > limit) for (let j = 0; j < g.length; j++) g[j] *= limit / norm;
}

function trainableMask(trainable: readonly number[] | undefined, P: number): Uint8Array {
  const mask = new Uint8Array(P).fill(trainable ? 0 : 1);
  trainable?.forEach((j, q) => {
    if (!Number.isInteger(j) || j < 0 || j >= P) throw new InvalidArgumentError(`trainable[${q}]`, j, `a parameter index in [0, ${P})`);
    mask[j] = 1;
  });
  return mask;
}

function initialState(y0: ArrayLike<number> | undefined, series: TimeSeries): Float64Array {
  const d = series.dim;
  if (y0 !== undefined) {
    if (y0.length !== d) throw new InvalidArgumentError('y0', y0, `an array of length ${d} (the state at times[0])`);
    return Float64Array.from(y0);
  }
  const y = new Float64Array(d);
  if (!fullStateAt(series, 0, y)) {
    throw new InvalidArgumentError('y0', y0, `the state at times[0] (the first row does not observe every state)`);
  }
  return y;
}

/**
 * Training in phases, each a trainTimeSeries run that starts from the parameters the previous
 * one returned, e.g. short subsequences first (the local vector field) and then the whole series
 * as one trajectory with a small learning rate (the long-horizon fit). A phase's options are
 * the base options with its own on top; its seed is the base seed plus the phase index.
 */
export async function trainInPhases(
  base: TrainOptions,
  phases: readonly Partial<Omit<TrainOptions, 'field' | 'series'>>[],
): Promise<TrainResult & { readonly phases: readonly TrainResult[] }> {
  if (!Array.isArray(phases) || phases.length === 0) throw new InvalidArgumentError('phases', phases, 'a non-empty array of phase options');
  const results: TrainResult[] = [];
  let params: ArrayLike<number> = base.params;
  for (let i = 0; i < phases.length; i++) {
    const result = await trainTimeSeries({ ...base, ...phases[i], seed: (phases[i].seed ?? base.seed ?? 0) + i, params });
    results.push(result);
    params = result.params;
    if (result.reason === 'interrupted') break;
  }
  const last = results[results.length - 1];
  const sum = (f: (r: TrainResult) => number) => results.reduce((s, r) => s + f(r), 0);
  return {
    ...last,
    iterations: sum((r) => r.iterations),
    failedBatches: sum((r) => r.failedBatches),
    failedSubsequences: sum((r) => r.failedSubsequences),
    emptyBatches: sum((r) => r.emptyBatches),
    ms: sum((r) => r.ms),
    trainMs: sum((r) => r.trainMs),
    msPerIteration: sum((r) => r.trainMs) / Math.max(1, sum((r) => r.iterations)),
    stats: {
      fEvals: sum((r) => r.stats.fEvals),
      vjpEvals: sum((r) => r.stats.vjpEvals),
      accepted: sum((r) => r.stats.accepted),
      rejected: sum((r) => r.stats.rejected),
    },
    phases: results,
  };
}
