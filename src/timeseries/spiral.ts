/**
 * The cubic spiral of torchdiffeq's ode_demo (data/problems/spiral.json), the first neural-ODE
 * demo: dy/dt = (y^3) A with the cube taken elementwise and y a row vector, i.e.
 *   dy_j/dt = sum_i y_i^3 A[i][j],
 * and its "measured" series: the solution at evenly spaced times, solved to a tight tolerance.
 */
import { InvalidArgumentError } from '../errors.ts';
import type { Field } from '../fields/field.ts';
import { solve } from '../solvers/solve.ts';
import { createTimeSeries, type TimeSeries } from './series.ts';

/** The fields of data/problems/spiral.json used here. */
export interface SpiralProblem {
  readonly A: readonly (readonly number[])[];
  readonly y0: readonly number[];
  readonly span: readonly [number, number] | readonly number[];
  readonly points: number;
}

/** The true spiral field (no parameters; A is fixed). */
export function spiralField(A: SpiralProblem['A']): Field {
  if (!Array.isArray(A) || A.length !== 2 || !A.every((row) => Array.isArray(row) && row.length === 2)) {
    throw new InvalidArgumentError('A', A, 'a 2 x 2 matrix');
  }
  const [[a00, a01], [a10, a11]] = A;
  return {
    dim: 2,
    nParams: 0,
    stateNames: ['y1', 'y2'],
    paramNames: [],
    f(_t, y, _p, out) {
      const c0 = y[0] * y[0] * y[0];
      const c1 = y[1] * y[1] * y[1];
      out[0] = c0 * a00 + c1 * a10;
      out[1] = c0 * a01 + c1 * a11;
    },
  };
}

/** The truth at `points` evenly spaced times on the span (rtol 1e-10, atol 1e-12, dopri5). */
export function spiralSeries(problem: SpiralProblem): TimeSeries {
  const [t0, t1] = problem.span;
  const n = problem.points;
  if (!Number.isInteger(n) || n < 2) throw new InvalidArgumentError('points', n, 'an integer >= 2');
  const times = Float64Array.from({ length: n }, (_, k) => t0 + ((t1 - t0) * k) / (n - 1));
  const field = spiralField(problem.A);
  const truth = solve(field, problem.y0, { times, rtol: 1e-10, atol: 1e-12 });
  return createTimeSeries({ times, values: truth.y }, field);
}
