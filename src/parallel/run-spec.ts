/**
 * The run kinds of `aca batch` files: a registry from kind to runner, and runSpec, which a worker
 * thread calls with each run. The built-in kinds (grad, solve, fit; src/runs/builtin.ts) load specs
 * and fit models, so they are defined above this folder and installed by the worker's entry
 * (src/runs/worker.ts): nothing here imports fit/ or spec/. A run is one JSON line:
 *
 *   { "id": "a", "kind": "grad",  <BatchJob fields: field, solver, params?, loss, trajectories,
 *                                  gradient?>, "shardSize"?: 32 }
 *   { "id": "b", "kind": "solve", <BatchJob fields without loss> }
 *   { "id": "c", "kind": "solve" | "grad", "spec": "model.yaml" | {...}, "data"?: "obs.csv" }
 *   { "id": "d", "kind": "fit", "spec": "model.yaml", "data"?: "obs.csv", "iterations"?: 50 }
 *
 * A run with `spec` is a problem spec (src/spec: a file, or the spec itself inline) and its data;
 * batch-runs.ts resolves relative paths against the runs file's folder before the run leaves the
 * main thread. A spec solve returns { times, outputs: [K*d], stateNames, stats }; a spec grad
 * (the spec's loss on its data) returns the report of `aca grad` (fit/objective.ts gradientReport);
 * a fit returns the report of `aca fit` (src/fit/report.ts) without its timing, and keeps no
 * checkpoint: a batch resumes by whole runs.
 *
 * A grad run is a whole batch job computed inline in the worker (shards in order, batch.ts), so
 * its numbers are bitwise those of batchGradient on the same job. The result is plain JSON:
 *   grad:  { loss, losses: [n], dy0: [[d] x n], dp: [P], stats }
 *   solve: { times: [K], outputs: [[K*d] x n], dim, stats }
 * with no timings inside (they go in the line's `elapsedMs`), so that reruns give equal results.
 *
 * Other kinds plug in with registerRunKind, called in a module the worker imports; it refuses
 * to replace a built-in kind. (Tests can make a run fail on purpose: test-fault.ts.)
 */
import { InvalidArgumentError } from '../errors.ts';
import type { RunContext, RunRunner, RunTask } from './job-types.ts';
import { maybeRunFault } from './test-fault.ts';

export type { RunContext, RunProgress, RunRunner, RunSpec, RunTask } from './job-types.ts';

/** The context of a run with nobody listening: progress goes nowhere, no signal. */
const SILENT: RunContext = { progress: () => {} };

/** The kinds the library defines (src/runs/builtin.ts); registerRunKind cannot replace them. */
export const BUILTIN_RUN_KINDS = ['grad', 'solve', 'fit'] as const;

const runners = new Map<string, RunRunner>();

/** Adds a run kind. A built-in kind's name is refused: a batch file's meaning must not change. */
export function registerRunKind(kind: string, runner: RunRunner): void {
  if ((BUILTIN_RUN_KINDS as readonly string[]).includes(kind)) {
    throw new InvalidArgumentError('kind', kind, `a name other than the built-in kinds ${BUILTIN_RUN_KINDS.join(', ')}`);
  }
  if (typeof runner !== 'function') throw new InvalidArgumentError('runner', runner, 'a function (run) => result');
  runners.set(kind, runner);
}

/** Installs the built-in kinds' runners (src/runs/builtin.ts, once per thread). Internal. */
export function defineBuiltinRunKinds(builtins: Readonly<Record<(typeof BUILTIN_RUN_KINDS)[number], RunRunner>>): void {
  for (const kind of BUILTIN_RUN_KINDS) runners.set(kind, builtins[kind]);
}

export const RUN_KINDS = (): string[] => [...new Set([...BUILTIN_RUN_KINDS, ...runners.keys()])];

export async function runSpec(task: RunTask, context: RunContext = SILENT): Promise<unknown> {
  const run = task.run;
  const kind = run && typeof run === 'object' ? run.kind : undefined;
  const runner = kind === undefined ? undefined : runners.get(kind);
  if (!runner) {
    if ((BUILTIN_RUN_KINDS as readonly string[]).includes(kind as string)) {
      throw new Error(`run kind '${kind}' is not installed in this thread (import src/runs/builtin.ts and call installBuiltinRunKinds())`);
    }
    throw new InvalidArgumentError('run.kind', kind, `one of ${RUN_KINDS().join(', ')}`);
  }
  const result = await runner(run, context);
  maybeRunFault(run, task.attempt);
  return result;
}
