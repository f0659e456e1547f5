/**
 * Forecasts: the fitted model's trajectory from its initial state over the data and past the
 * data's end, to a time the user gives, on an even grid; plus the states at the data's own times
 * (for the error on the data). One solve serves both (the grid and the data times merged).
 */
import { InvalidArgumentError } from '../errors.ts';
import type { Field } from '../fields/field.ts';
import { solve } from '../solvers/solve.ts';
import type { TrainSolverOptions } from './evaluate.ts';
import { seriesMse, type TimeSeries } from './series.ts';

export interface ForecastOptions {
  /** Time of y0 (default: the series' first time). */
  readonly t0?: number;
  /** End of the forecast (at or after the data's last time). */
  readonly until: number;
  /** Points of the even grid from t0 to until (default 500). */
  readonly points?: number;
  readonly solver?: TrainSolverOptions;
}

export interface Forecast {
  /** The even grid from t0 to until, and the states there (n x d). */
  readonly times: Float64Array;
  readonly states: Float64Array;
  /** The states at the series' times (K x d). */
  readonly atData: Float64Array;
  readonly dim: number;
  readonly t0: number;
  /** The data's last time; grid points after it are the forecast proper. */
  readonly dataEnd: number;
  readonly until: number;
  /** Mean squared error over the series' observed cells. */
  readonly mseOnData: number;
}

export function forecast(field: Field, params: ArrayLike<number>, y0: ArrayLike<number>, series: TimeSeries, options: ForecastOptions): Forecast {
  const t0 = options.t0 ?? series.times[0];
  const dataEnd = series.times[series.times.length - 1];
  const until = options.until;
  if (!(typeof until === 'number' && Number.isFinite(until) && until >= dataEnd)) {
    throw new InvalidArgumentError('until', until, `a time at or after the data's end (${dataEnd})`);
  }
  if (!(t0 <= series.times[0])) throw new InvalidArgumentError('t0', t0, `a time at or before the data's start (${series.times[0]})`);
  const n = options.points ?? 500;
  if (!Number.isInteger(n) || n < 2) throw new InvalidArgumentError('points', n, 'an integer >= 2');
  const grid = Float64Array.from({ length: n }, (_, k) => (k === n - 1 ? until : t0 + ((until - t0) * k) / (n - 1)));

  // Merge the grid and the data times into one increasing list; remember where each went.
  const K = series.times.length;
  const all: number[] = [];
  const gridAt = new Int32Array(n);
  const dataAt = new Int32Array(K);
  let i = 0;
  let j = 0;
  while (i < n || j < K) {
    const next = j >= K || (i < n && grid[i] <= series.times[j]) ? grid[i] : series.times[j];
    if (all.length === 0 || all[all.length - 1] !== next) all.push(next);
    while (i < n && grid[i] === next) gridAt[i++] = all.length - 1;
    while (j < K && series.times[j] === next) dataAt[j++] = all.length - 1;
  }
  const d = field.dim;
  const sol = solve(field, y0, { ...(options.solver ?? {}), times: all, t0, params });
  const pick = (rows: Int32Array) => {
    const out = new Float64Array(rows.length * d);
    rows.forEach((r, k) => out.set(sol.y.subarray(r * d, (r + 1) * d), k * d));
    return out;
  };
  const atData = pick(dataAt);
  return { times: grid, states: pick(gridAt), atData, dim: d, t0, dataEnd, until, mseOnData: seriesMse(series, atData) };
}

/** The forecast as report JSON: per state, the grid values; the data's end and the error on the data. */
export function forecastReport(fc: Forecast, stateNames: readonly string[]): object {
  const d = fc.dim;
  return {
    t0: fc.t0,
    dataEnd: fc.dataEnd,
    until: fc.until,
    mseOnData: fc.mseOnData,
    times: Array.from(fc.times),
    states: Object.fromEntries(
      stateNames.map((name, i) => [name, Array.from({ length: fc.times.length }, (_, k) => fc.states[k * d + i])]),
    ),
  };
}
