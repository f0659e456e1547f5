/**
 * solve(field, y0, options): the forward solve, returning a solution object (solution.ts): the
 * states at the output times (`times`, or `save` as times), at every accepted step
 * (save: 'steps'), or a dense solution with at(t) (save: 'dense'), and the events that occurred.
 * The loop runs in TypeScript (integrator.ts) or, when the field has a WebAssembly form, the
 * method allows it and the solve needs no step hooks (observers, events, saved steps), in a
 * generated WebAssembly module that takes the same steps (src/wasm/; options.backend,
 * stats.backend).
 */
import { InvalidArgumentError } from '../errors.ts';
import type { Field } from '../fields/field.ts';
import { chooseBackend, wasmSolver, type BackendChoice } from '../wasm/backend.ts';
import { checkEvents, EventLocator } from './events.ts';
import { Integrator, type StepObserver } from './integrator.ts';
import { resolveOptions, type ResolvedOptions, type SolveOptions } from './options.ts';
import { makeSolution, StepRecorder, type Solution } from './solution.ts';

export type { Solution } from './solution.ts';
export type { SolutionStats } from './stats.ts';

export function solve(field: Field, y0: ArrayLike<number>, options: SolveOptions, observer?: StepObserver): Solution {
  const resolved = resolveOptions(field, y0, options);
  // Without output times the solution keeps every step (as scipy's solve_ivp without t_eval).
  const save = options.save ?? (options.times === undefined ? 'steps' : undefined);
  const recording = save === 'steps' || save === 'dense';
  // Observers, events and saved steps hook into the TypeScript integrator's steps; the
  // WebAssembly loop has none.
  const hooks = observer
    ? 'a step observer was given'
    : options.events !== undefined && options.events.length > 0
      ? 'the solve has events'
      : recording
        ? `save: '${save}' keeps every step`
        : undefined;
  const choice: BackendChoice = hooks ? { backend: 'js', reason: hooks } : chooseBackend(field, resolved, options.backend, false);
  if (choice.backend === 'wasm') {
    const forward = wasmSolver(field, resolved.method, false).solve(resolved, y0, false);
    const stats = { ...forward.stats, backend: 'wasm' as const };
    return makeSolution(resolved.times, forward.outputs, field.dim, resolved.method.name, stats, [], false, null);
  }
  const integrator = new Integrator(field, resolved);
  const events = attachEvents(integrator, field, resolved, options);
  const recorder = recording ? new StepRecorder(field.dim, resolved.method, save === 'dense') : null;
  integrator.recorder = recorder;
  integrator.run(y0, observer);
  const stats = { ...integrator.stats, backend: 'js' as const, ...(choice.reason ? { backendReason: choice.reason } : {}) };
  const records = events?.records.slice() ?? [];
  const method = resolved.method.name;
  if (recorder) return recorder.solution(method, stats, records, integrator.stopped);
  // A terminal event may stop the solve before the last output times: keep those reached.
  const n = integrator.outputsWritten;
  const d = field.dim;
  const t = n === resolved.times.length ? resolved.times : resolved.times.slice(0, n);
  const y = n === resolved.times.length ? integrator.outputs : integrator.outputs.slice(0, n * d);
  return makeSolution(t, y, d, method, stats, records, integrator.stopped, null);
}

/** Sets up the solve's events on the integrator (none: null). Shared with gradients/gradient.ts. */
export function attachEvents(integrator: Integrator, field: Field, resolved: ResolvedOptions, options: SolveOptions): EventLocator | null {
  if (options.events === undefined || options.events.length === 0) return null;
  const events = checkEvents(options.events, field);
  const samples = options.eventSamples ?? 4;
  if (!Number.isInteger(samples) || samples < 1) {
    throw new InvalidArgumentError('eventSamples', samples, 'a positive integer (points per step where events are sampled)');
  }
  const locator = new EventLocator(events, field.dim, resolved.params, resolved.method, samples);
  integrator.events = locator;
  return locator;
}

/** The state at output k as a fresh array (convenience for tests and tables). */
export function stateAt(solution: Solution, k: number): Float64Array {
  return solution.y.slice(k * solution.dim, (k + 1) * solution.dim);
}
