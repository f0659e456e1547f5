/**
 * One run of an `aca batch` file, as a worker thread executes it. A run is one JSON line:
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
 * Other kinds plug in with registerRunKind, called in a module the worker imports.
 *
 * Test faults: a run's `testFault` ({ kind: 'throw' | 'exit' | 'oom', attempts?: n | 'always' },
 * reserved for tests) fires inside a worker thread after the run's work is done and before it
 * replies, on its first `attempts` tries (default 1).
 */
import { isMainThread } from 'node:worker_threads';
import { InvalidArgumentError } from '../errors.ts';
import { solve } from '../solvers/solve.ts';
import { batchGradient, batchSolve, type BatchJob } from './batch.ts';
import { triggerTestFault } from './run-shard.ts';

export interface RunTask {
  readonly kind: 'run';
  /** The run as parsed from its line. */
  readonly run: RunSpec;
  readonly attempt: number;
}

export interface RunSpec {
  readonly id?: string | number;
  readonly kind: string;
  readonly testFault?: RunTestFault;
  readonly [key: string]: unknown;
}

export interface RunTestFault {
  readonly kind: 'throw' | 'exit' | 'oom' | 'hang';
  readonly attempts?: number | 'always';
}

/** Computes a run's JSON result; throws to fail it. */
export type RunRunner = (run: RunSpec) => unknown | Promise<unknown>;

const runners = new Map<string, RunRunner>([
  ['grad', gradRun],
  ['solve', solveRun],
  ['fit', fitRun],
]);

export function registerRunKind(kind: string, runner: RunRunner): void {
  runners.set(kind, runner);
}

export const RUN_KINDS = (): string[] => [...runners.keys()];

export async function runSpec(task: RunTask): Promise<unknown> {
  const run = task.run;
  const runner = run && typeof run === 'object' ? runners.get(run.kind) : undefined;
  if (!runner) {
    throw new InvalidArgumentError('run.kind', run?.kind, `one of ${RUN_KINDS().join(', ')}`);
  }
  const result = await runner(run);
  const fault = run.testFault;
  if (fault && !isMainThread) {
    const attempts = fault.attempts ?? 1;
    if (attempts === 'always' || task.attempt < attempts) triggerTestFault(fault.kind, `run ${JSON.stringify(run.id)}`);
  }
  return result;
}

async function gradRun(run: RunSpec): Promise<unknown> {
  if (run.spec !== undefined) return specRun(run, 'grad');
  const r = await batchGradient(jobOf(run), { inline: true, shardSize: shardSizeOf(run) });
  const d = r.losses.length > 0 ? r.dy0.length / r.losses.length : 0;
  return {
    loss: r.loss,
    losses: Array.from(r.losses),
    dy0: Array.from({ length: r.losses.length }, (_, i) => Array.from(r.dy0.subarray(i * d, (i + 1) * d))),
    dp: Array.from(r.dp),
    stats: countsOf(r.stats),
  };
}

async function solveRun(run: RunSpec): Promise<unknown> {
  if (run.spec !== undefined) return specRun(run, 'solve');
  const r = await batchSolve(jobOf(run), { inline: true, shardSize: shardSizeOf(run) });
  const n = jobOf(run).trajectories.length;
  const per = r.outputs.length / n;
  return {
    times: Array.from(r.times),
    outputs: Array.from({ length: n }, (_, i) => Array.from(r.outputs.subarray(i * per, (i + 1) * per))),
    dim: r.dim,
    stats: countsOf(r.stats),
  };
}

async function fitRun(run: RunSpec): Promise<unknown> {
  if (run.spec === undefined) throw new InvalidArgumentError('run.spec', undefined, 'a spec file (or an inline spec) to fit');
  const iterations = run.iterations;
  if (iterations !== undefined && !(Number.isInteger(iterations) && (iterations as number) >= 1)) {
    throw new InvalidArgumentError('run.iterations', iterations, 'a positive integer');
  }
  const { fit } = await import('../fit/fit.ts');
  const { fitReport } = await import('../fit/report.ts');
  const { fitHash } = await import('../fit/checkpoint.ts');
  const { spec, problem, data, dataFile } = await loadSpecRun(run, 'fit');
  if (!data) throw new InvalidArgumentError('run.data', undefined, "data to fit (a data file, or the spec's `data`)");
  if (problem.network) {
    throw new InvalidArgumentError('run.spec', run.spec, 'a spec without a network: a neural or hybrid model is trained by `aca fit`, not in a batch');
  }
  const result = await fit(problem, { iterations: iterations as number | undefined });
  const report = fitReport(problem, result, {
    specFile: typeof run.spec === 'string' ? run.spec : undefined,
    dataFile,
    hash: fitHash(spec, data),
  }) as { stats?: Record<string, unknown> };
  // Timings vary from run to run; the line's elapsedMs has the run's time.
  if (report.stats) delete report.stats.elapsedMs;
  return report;
}

/** A run's problem from its spec (a file, or inline) and data, loaded in the worker on demand. */
async function loadSpecRun(run: RunSpec, kind: 'solve' | 'grad' | 'fit') {
  const { loadProblem, parseSpec } = await import('../spec/load.ts');
  const { buildProblem } = await import('../spec/problem.ts');
  const data = run.data;
  if (data !== undefined && typeof data !== 'string') throw new InvalidArgumentError('run.data', data, 'a path to a data file');
  if (typeof run.spec === 'string') {
    return loadProblem(run.spec, { data, ignoreSpecData: kind === 'solve' && data === undefined });
  }
  if (data !== undefined) throw new InvalidArgumentError('run.data', data, 'only with a spec file (an inline spec has no data)');
  const spec = parseSpec(run.spec);
  return { spec, problem: buildProblem(spec), data: undefined, dataFile: undefined };
}

/** A run given as a problem spec. */
async function specRun(run: RunSpec, kind: 'solve' | 'grad'): Promise<unknown> {
  const { problem } = await loadSpecRun(run, kind);
  const names = { stateNames: problem.stateNames, paramNames: problem.paramNames };
  if (kind === 'solve') {
    if (!problem.times) throw new InvalidArgumentError('spec.times', undefined, 'output times (the spec\'s `times`, or data) for a solve run');
    const sol = solve(problem.field, problem.y0, { ...problem.solver, times: problem.times, t0: problem.t0, params: problem.params });
    return { times: Array.from(sol.t), outputs: Array.from(sol.y), dim: sol.dim, ...names, stats: { ...sol.stats } };
  }
  if (!problem.loss || !problem.data) throw new InvalidArgumentError('spec.data', undefined, 'data to fit the loss to (a grad run needs a loss)');
  // The same evaluation and report as `aca grad` (fit/objective.ts): bitwise the same numbers.
  const { evaluateProblem, gradientReport, initialTheta } = await import('../fit/objective.ts');
  return gradientReport(problem, evaluateProblem(problem, initialTheta(problem)));
}

function jobOf(run: RunSpec): BatchJob {
  const { id: _id, kind: _kind, testFault: _fault, shardSize: _shardSize, timeoutSeconds: _timeout, ...job } = run;
  return job as unknown as BatchJob;
}

function shardSizeOf(run: RunSpec): number | undefined {
  return run.shardSize === undefined ? undefined : (run.shardSize as number);
}

function countsOf(s: { trajectories: number; accepted: number; rejected: number; fEvals: number; vjpEvals: number; checkpoints: number }) {
  return {
    trajectories: s.trajectories,
    accepted: s.accepted,
    rejected: s.rejected,
    fEvals: s.fEvals,
    vjpEvals: s.vjpEvals,
    checkpoints: s.checkpoints,
  };
}
