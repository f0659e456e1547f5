/**
 * solve(field, y0, options): the forward solve, returning the states at the output times and the
 * solver's statistics.
 */
import type { Field } from '../fields/field.ts';
import { Integrator, type SolveStats, type StepObserver } from './integrator.ts';
import { resolveOptions, type SolveOptions } from './options.ts';

export interface Solution {
  /** The output times. */
  readonly t: Float64Array;
  /** States at the output times, row-major: y[k * dim + i] is component i at t[k]. */
  readonly y: Float64Array;
  readonly dim: number;
  readonly method: string;
  readonly stats: SolveStats;
}

export function solve(field: Field, y0: ArrayLike<number>, options: SolveOptions, observer?: StepObserver): Solution {
  const resolved = resolveOptions(field, y0, options);
  const integrator = new Integrator(field, resolved);
  integrator.run(y0, observer);
  return {
    t: resolved.times,
    y: integrator.outputs,
    dim: field.dim,
    method: resolved.method.name,
    stats: { ...integrator.stats },
  };
}

/** The state at output k as a fresh array (convenience for tests and tables). */
export function stateAt(solution: Solution, k: number): Float64Array {
  return solution.y.slice(k * solution.dim, (k + 1) * solution.dim);
}
