/**
 * solve(field, y0, options): the forward solve, returning the states at the output times and the
 * solver's statistics. The loop runs in TypeScript (integrator.ts) or, when the field has a
 * WebAssembly form and the method allows it, in a generated WebAssembly module that takes the
 * same steps (src/wasm/; options.backend, stats.backend).
 */
import type { Field } from '../fields/field.ts';
import { chooseBackend, wasmSolver, type BackendChoice } from '../wasm/backend.ts';
import { Integrator, type SolveStats, type StepObserver } from './integrator.ts';
import { resolveOptions, type SolveOptions } from './options.ts';

/** The solver's counts, and the back end that ran (with the reason when it was not WebAssembly). */
export interface SolutionStats extends SolveStats {
  readonly backend: 'js' | 'wasm';
  readonly backendReason?: string;
}

export interface Solution {
  /** The output times. */
  readonly t: Float64Array;
  /** States at the output times, row-major: y[k * dim + i] is component i at t[k]. */
  readonly y: Float64Array;
  readonly dim: number;
  readonly method: string;
  readonly stats: SolutionStats;
}

export function solve(field: Field, y0: ArrayLike<number>, options: SolveOptions, observer?: StepObserver): Solution {
  const resolved = resolveOptions(field, y0, options);
  // Observers see the TypeScript integrator's steps; the WebAssembly loop has no hooks.
  const choice: BackendChoice =
    observer && options.backend !== 'wasm'
      ? { backend: 'js', reason: 'a step observer was given' }
      : chooseBackend(field, resolved, observer ? 'js' : options.backend, false);
  if (choice.backend === 'wasm') {
    const forward = wasmSolver(field, resolved.method, false).solve(resolved, y0, false);
    return {
      t: resolved.times,
      y: forward.outputs,
      dim: field.dim,
      method: resolved.method.name,
      stats: { ...forward.stats, backend: 'wasm' },
    };
  }
  const integrator = new Integrator(field, resolved);
  integrator.run(y0, observer);
  return {
    t: resolved.times,
    y: integrator.outputs,
    dim: field.dim,
    method: resolved.method.name,
    stats: { ...integrator.stats, backend: 'js', ...(choice.reason ? { backendReason: choice.reason } : {}) },
  };
}

/** The state at output k as a fresh array (convenience for tests and tables). */
export function stateAt(solution: Solution, k: number): Float64Array {
  return solution.y.slice(k * solution.dim, (k + 1) * solution.dim);
}
