/**
 * Mini-batches of a long series: random subsequences (start row, length), each an initial-value
 * problem that starts at the series' state at its start time and is scored on the rows after it.
 * This is the batching of torchdiffeq's ode_demo (batch_time points from batch_size random
 * starts): short solves are cheap and keep the gradient from exploding over long horizons.
 *
 * Start states. A subsequence starts at row k from
 *   - 'data': the observed row itself; only rows where every state is observed (no state
 *     unobserved, no NaN) can start a subsequence; the others are never drawn;
 *   - 'prediction': the model's own state at t_k, from one solve of the whole training span from
 *     the series' initial state with the current parameters, overwritten by the cells observed at
 *     row k. Any row can start. The start state is then a constant of the batch loss: its
 *     dependence on the parameters through the long solve is not differentiated.
 *   - 'auto' (default): 'data' when at least one row is complete, else 'prediction' (a series
 *     that never observes some state).
 * The start row itself carries no loss (its observed cells equal the start state exactly).
 *
 * Sampling is seeded (util/random.ts): starts are drawn without replacement while there are at
 * least as many candidate rows as the batch size, with replacement otherwise.
 */
import { InvalidArgumentError } from '../errors.ts';
import type { Rng } from '../util/random.ts';
import { fullStateAt, type TimeSeries } from './series.ts';

export type StartFrom = 'data' | 'prediction' | 'auto';

export interface Subsequence {
  /** First row. */
  readonly start: number;
  /** Number of rows, the start row included. */
  readonly length: number;
}

/** One subsequence as an initial-value problem with its observations. */
export interface SubsequenceProblem {
  readonly start: number;
  /** Initial state at times[0] (d). */
  readonly y0: Float64Array;
  /** Output times (L): the series' times, shifted to start at 0 when `shift` was asked for. */
  readonly times: Float64Array;
  /** Observations at the output times, L x m (row 0 all NaN: no loss at the start). */
  readonly target: Float64Array;
}

/** 'data' or 'prediction' for a series: see the module comment ('auto'). */
export function resolveStartFrom(series: TimeSeries, end: number, startFrom: StartFrom = 'auto'): 'data' | 'prediction' {
  if (startFrom === 'data' || startFrom === 'prediction') return startFrom;
  if (startFrom !== 'auto') throw new InvalidArgumentError('startFrom', startFrom, "'data', 'prediction' or 'auto'");
  const y = new Float64Array(series.dim);
  for (let k = 0; k < end - 1; k++) if (fullStateAt(series, k, y)) return 'data';
  return 'prediction';
}

/**
 * The rows from which a subsequence of `length` rows fits inside rows [0, end) (every row up to
 * end - length with 'prediction'; only complete rows with 'data').
 */
export function candidateStarts(series: TimeSeries, end: number, length: number, startFrom: 'data' | 'prediction'): Int32Array {
  const last = end - length;
  if (last < 0) {
    throw new InvalidArgumentError('batchLength', length, `at most the ${end} rows available for training`);
  }
  if (startFrom === 'prediction') return Int32Array.from({ length: last + 1 }, (_, k) => k);
  const y = new Float64Array(series.dim);
  const starts: number[] = [];
  for (let k = 0; k <= last; k++) if (fullStateAt(series, k, y)) starts.push(k);
  if (starts.length === 0) {
    throw new InvalidArgumentError(
      'startFrom',
      'data',
      `no row in the first ${last + 1} observes every state: use startFrom 'prediction' (starts from the model's own state)`,
    );
  }
  return Int32Array.from(starts);
}

/** batchSize subsequences of `length` rows starting at rows drawn from `starts`. */
export function sampleSubsequences(starts: Int32Array, batchSize: number, length: number, rng: Rng): Subsequence[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidArgumentError('batchSize', batchSize, 'a positive integer');
  const n = starts.length;
  const out: Subsequence[] = [];
  if (n >= batchSize) {
    // Partial Fisher-Yates shuffle: the first batchSize entries of a random permutation.
    const pool = Int32Array.from(starts);
    for (let i = 0; i < batchSize; i++) {
      const j = i + Math.floor(rng.next() * (n - i));
      const s = pool[j];
      pool[j] = pool[i];
      pool[i] = s;
      out.push({ start: s, length });
    }
  } else {
    for (let i = 0; i < batchSize; i++) out.push({ start: starts[Math.floor(rng.next() * n)], length });
  }
  return out;
}

/**
 * The initial-value problem of one subsequence. `startState` is the full state at the start row
 * (from the data, or the model's prediction patched with the observed cells).
 */
export function subsequenceProblem(series: TimeSeries, sub: Subsequence, startState: Float64Array, shift: boolean): SubsequenceProblem {
  const m = series.observed.length;
  const { start, length } = sub;
  const t0 = series.times[start];
  const times = new Float64Array(length);
  for (let k = 0; k < length; k++) times[k] = shift ? series.times[start + k] - t0 : series.times[start + k];
  const target = series.values.slice(start * m, (start + length) * m);
  for (let j = 0; j < m; j++) target[j] = NaN;
  return { start, y0: Float64Array.from(startState), times, target };
}

/**
 * The start state at row k: the model's prediction there (row k of `predicted`, K x d) with the
 * cells observed at row k put in its place.
 */
export function patchedState(series: TimeSeries, predicted: Float64Array, k: number, into: Float64Array): Float64Array {
  const d = series.dim;
  const m = series.observed.length;
  for (let i = 0; i < d; i++) into[i] = predicted[k * d + i];
  for (let j = 0; j < m; j++) {
    const v = series.values[k * m + j];
    if (!Number.isNaN(v)) into[series.observed[j]] = v;
  }
  return into;
}
