/**
 * A measured time series: K sample times (strictly increasing, spacing free) and K rows of m
 * observed values, each column one state of the model. NaN marks a missing cell, so an
 * irregularly sampled series with gaps is the same object as a complete one; every loss and error
 * measure in this folder skips NaN cells, as squaredError (losses/loss.ts) does for the equation
 * models.
 */
import { InvalidArgumentError } from '../errors.ts';

export interface TimeSeries {
  /** Sample times, strictly increasing (K). */
  readonly times: Float64Array;
  /** Observations, K x m row-major; NaN = missing. */
  readonly values: Float64Array;
  /** State index of each column (m). */
  readonly observed: readonly number[];
  /** Name of each column (m). */
  readonly columns: readonly string[];
  /** The model's state dimension d (observed indices are below it). */
  readonly dim: number;
}

export interface TimeSeriesInput {
  readonly times: ArrayLike<number>;
  /** K x m: flat row-major, or K rows; NaN or null = missing. */
  readonly values: ArrayLike<number> | readonly (readonly (number | null)[])[];
  /** The state each column observes, by name (needs stateNames) or index; default all states in order. */
  readonly observed?: readonly (string | number)[];
}

export interface StateInfo {
  readonly dim: number;
  readonly stateNames?: readonly string[];
}

/** Checks and copies a series for a model with the given states (a Field will do). */
export function createTimeSeries(input: TimeSeriesInput, states: StateInfo): TimeSeries {
  if (input == null || typeof input !== 'object') {
    throw new InvalidArgumentError('series', input, 'an object { times, values, observed? }');
  }
  const dim = states.dim;
  const names = states.stateNames ?? Array.from({ length: dim }, (_, i) => `y${i + 1}`);
  const observed = (input.observed ?? Array.from({ length: dim }, (_, i) => i)).map((c, j) => {
    if (typeof c === 'string') {
      const i = names.indexOf(c);
      if (i < 0) throw new InvalidArgumentError(`series.observed[${j}]`, c, `a state name: one of ${names.join(', ')}`);
      return i;
    }
    if (!Number.isInteger(c) || c < 0 || c >= dim) {
      throw new InvalidArgumentError(`series.observed[${j}]`, c, `a state name or index in [0, ${dim})`);
    }
    return c;
  });
  observed.forEach((c, j) => {
    if (observed.indexOf(c) !== j) throw new InvalidArgumentError(`series.observed[${j}]`, names[c], 'each state at most once');
  });
  const m = observed.length;
  if (m === 0) throw new InvalidArgumentError('series.observed', input.observed, 'at least one observed state');

  const times = Float64Array.from(input.times ?? []);
  const K = times.length;
  if (K < 2) throw new InvalidArgumentError('series.times', input.times, 'at least two sample times');
  for (let k = 0; k < K; k++) {
    if (!Number.isFinite(times[k])) throw new InvalidArgumentError(`series.times[${k}]`, times[k], 'a finite number');
    if (k > 0 && !(times[k] > times[k - 1])) {
      throw new InvalidArgumentError(`series.times[${k}]`, times[k], `strictly increasing (times[${k - 1}] = ${times[k - 1]})`);
    }
  }
  const values = flattenValues(input.values, K, m);
  let cells = 0;
  for (let q = 0; q < values.length; q++) {
    const v = values[q];
    if (Number.isNaN(v)) continue;
    if (!Number.isFinite(v)) {
      throw new InvalidArgumentError(`series.values[${Math.floor(q / m)}][${q % m}]`, v, 'a finite number, or NaN / null for a missing value');
    }
    cells++;
  }
  if (cells === 0) throw new InvalidArgumentError('series.values', 'all missing', 'at least one observed value');
  return { times, values, observed, columns: observed.map((i) => names[i]), dim };
}

/** Rows [from, to) of a series (times and values copied). */
export function sliceSeries(series: TimeSeries, from: number, to: number): TimeSeries {
  const m = series.observed.length;
  return { ...series, times: series.times.slice(from, to), values: series.values.slice(from * m, to * m) };
}

/**
 * The index of the first held-out row when the last `fraction` of the rows (at least one row
 * when fraction > 0) is held out; K when fraction is 0.
 */
export function holdoutStart(series: TimeSeries, fraction: number): number {
  const K = series.times.length;
  if (!(fraction >= 0 && fraction < 1)) throw new InvalidArgumentError('holdout', fraction, 'a fraction in [0, 1)');
  if (fraction === 0) return K;
  const start = K - Math.max(1, Math.round(fraction * K));
  if (start < 2) throw new InvalidArgumentError('holdout', fraction, `a fraction that leaves at least two of the ${K} rows for training`);
  return start;
}

/**
 * Writes the full state at row k into `into` when every state is observed there and returns
 * true; returns false (leaving `into` partly written) when a state is unobserved or missing.
 */
export function fullStateAt(series: TimeSeries, k: number, into: Float64Array): boolean {
  const m = series.observed.length;
  if (m < series.dim) return false;
  for (let j = 0; j < m; j++) {
    const v = series.values[k * m + j];
    if (Number.isNaN(v)) return false;
    into[series.observed[j]] = v;
  }
  return true;
}

/**
 * Mean squared error over the observed (non-NaN) cells of rows [from, to) of the series, with
 * `outputs` the model's states at those rows (K' x d, row-major, row 0 = series row `from`).
 */
export function seriesMse(series: TimeSeries, outputs: ArrayLike<number>, from = 0, to = series.times.length): number {
  const m = series.observed.length;
  const d = series.dim;
  let total = 0;
  let cells = 0;
  for (let k = from; k < to; k++) {
    for (let j = 0; j < m; j++) {
      const v = series.values[k * m + j];
      if (Number.isNaN(v)) continue;
      const r = outputs[(k - from) * d + series.observed[j]] - v;
      total += r * r;
      cells++;
    }
  }
  return cells === 0 ? NaN : total / cells;
}

/** Number of observed (non-NaN) cells in rows [from, to). */
export function observedCells(series: TimeSeries, from = 0, to = series.times.length): number {
  const m = series.observed.length;
  let cells = 0;
  for (let q = from * m; q < to * m; q++) if (!Number.isNaN(series.values[q])) cells++;
  return cells;
}

function flattenValues(values: TimeSeriesInput['values'], K: number, m: number): Float64Array {
  if (values == null || typeof (values as ArrayLike<unknown>).length !== 'number') {
    throw new InvalidArgumentError('series.values', values, `K x m values (${K} rows of ${m}), flat or as rows`);
  }
  const rows = values as ArrayLike<unknown>;
  if (rows.length > 0 && Array.isArray(rows[0])) {
    if (rows.length !== K) throw new InvalidArgumentError('series.values', `${rows.length} rows`, `one row per time (${K})`);
    const out = new Float64Array(K * m);
    for (let k = 0; k < K; k++) {
      const row = rows[k];
      if (!Array.isArray(row) || row.length !== m) {
        throw new InvalidArgumentError(`series.values[${k}]`, row, `a row of ${m} values (one per observed state)`);
      }
      for (let j = 0; j < m; j++) out[k * m + j] = toCell(row[j], k, j);
    }
    return out;
  }
  if (rows.length !== K * m) {
    throw new InvalidArgumentError('series.values', `length ${rows.length}`, `${K * m} (${K} times x ${m} observed states)`);
  }
  return Float64Array.from({ length: K * m }, (_, q) => toCell(rows[q], Math.floor(q / m), q % m));
}

function toCell(v: unknown, k: number, j: number): number {
  if (v === null || v === undefined) return NaN;
  if (typeof v !== 'number') throw new InvalidArgumentError(`series.values[${k}][${j}]`, v, 'a number, or NaN / null for a missing value');
  return v;
}
