/**
 * The built-in kinds of `aca batch` runs (grad, solve, fit; formats in parallel/run-spec.ts). They
 * load specs (spec/) and fit models (fit/), so they live above parallel/ and are installed into
 * its registry by the worker's entry (worker.ts) rather than imported by it: parallel/ does not
 * depend on fit/ or spec/.
 */
import { InvalidArgumentError } from '../errors.ts';
import { fitHash } from '../fit/checkpoint-file.ts';
import { fit } from '../fit/fit.ts';
import { evaluateProblem, gradientReport, initialTheta } from '../fit/objective.ts';
import { fitReport } from '../fit/report.ts';
import { gradient } from '../gradients/gradient.ts';
import { batchGradient, batchSolve, type BatchJob } from '../parallel/batch.ts';
import type { RunContext, RunSpec } from '../parallel/job-types.ts';
import { defineBuiltinRunKinds } from '../parallel/run-spec.ts';
import type { FaultyRunSpec } from '../parallel/test-fault.ts';
import { solve } from '../solvers/solve.ts';
import { loadProblem, parseSpec } from '../spec/load.ts';
import { buildProblem } from '../spec/problem.ts';

let installed = false;

/** Puts grad, solve and fit in this thread's run registry (once). */
export function installBuiltinRunKinds(): void {
  if (installed) return;
  defineBuiltinRunKinds({ grad: gradRun, solve: solveRun, fit: fitRun });
  installed = true;
}

async function gradRun(run: RunSpec, context: RunContext): Promise<unknown> {
  if (run.spec !== undefined) return specRun(run, 'grad');
  const r = await batchGradient(jobOf(run), {
    inline: true,
    shardSize: shardSizeOf(run),
    signal: context.signal,
    onProgress: (steps, total) => context.progress({ steps, total }),
  });
  const d = r.losses.length > 0 ? r.dy0.length / r.losses.length : 0;
  return {
    loss: r.loss,
    losses: Array.from(r.losses),
    dy0: Array.from({ length: r.losses.length }, (_, i) => Array.from(r.dy0.subarray(i * d, (i + 1) * d))),
    dp: Array.from(r.dp),
    stats: countsOf(r.stats),
  };
}

async function solveRun(run: RunSpec, context: RunContext): Promise<unknown> {
  if (run.spec !== undefined) return specRun(run, 'solve');
  const r = await batchSolve(jobOf(run), {
    inline: true,
    shardSize: shardSizeOf(run),
    signal: context.signal,
    onProgress: (steps, total) => context.progress({ steps, total }),
  });
  const n = jobOf(run).trajectories.length;
  const per = r.outputs.length / n;
  return {
    times: Array.from(r.times),
    outputs: Array.from({ length: n }, (_, i) => Array.from(r.outputs.subarray(i * per, (i + 1) * per))),
    dim: r.dim,
    stats: countsOf(r.stats),
  };
}

async function fitRun(run: RunSpec, context: RunContext): Promise<unknown> {
  if (run.spec === undefined) throw new InvalidArgumentError('run.spec', undefined, 'a spec file (or an inline spec) to fit');
  const iterations = run.iterations;
  if (iterations !== undefined && !(Number.isInteger(iterations) && (iterations as number) >= 1)) {
    throw new InvalidArgumentError('run.iterations', iterations, 'a positive integer');
  }
  const { spec, problem, data, dataFile } = await loadSpecRun(run, 'fit');
  if (!data) throw new InvalidArgumentError('run.data', undefined, "data to fit (a data file, or the spec's `data`)");
  if (problem.network) {
    throw new InvalidArgumentError('run.spec', run.spec, 'a spec without a network: a neural or hybrid model is trained by `aca fit`, not in a batch');
  }
  const result = await fit(problem, {
    iterations: iterations as number | undefined,
    signal: context.signal,
    onProgress: (p) => context.progress({ iteration: p.iteration, iterations: p.iterations, loss: p.loss, steps: p.evaluations }),
  });
  const report = fitReport(problem, result, {
    specFile: typeof run.spec === 'string' ? run.spec : undefined,
    dataFile,
    hash: fitHash(spec, data),
  }) as { stats?: Record<string, unknown> };
  // Timings vary from run to run; the line's elapsedMs has the run's time.
  if (report.stats) delete report.stats.elapsedMs;
  return report;
}

/** A run's problem from its spec (a file, or inline) and data, loaded in the worker. */
async function loadSpecRun(run: RunSpec, kind: 'solve' | 'grad' | 'fit') {
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
  return gradientReport(problem, evaluateProblem(problem, initialTheta(problem)));
}

function jobOf(run: RunSpec): BatchJob {
  const { id: _id, kind: _kind, testFault: _fault, shardSize: _shardSize, timeoutSeconds: _timeout, ...job } = run as FaultyRunSpec;
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
