/**
 * Batches: many trajectories of one model (different initial states, data series or parameter
 * sets), with the loss and its gradient summed over them, spread across the worker pool.
 *
 *   batchGradient(job, options) -> { loss, losses, dy0, dp, stats }
 *   batchSolve(job, options)    -> { times, outputs, stats }
 *
 * A job is plain JSON (BatchJob: the field's spec, the solver options, a loss description from
 * losses/registry.ts, the trajectories), so that it can travel to workers and sit in files.
 *
 * Determinism. The trajectories are cut into shards of `shardSize` (default 32) consecutive
 * trajectories, a size that does not depend on the number of workers. Each shard sums its
 * trajectories in order (run-shard.ts); the main thread adds the shard sums in shard order,
 * whatever order they finish in:
 *   loss = (((0 + S_0) + S_1) + ...) + S_{m-1},   S_j = ((0 + L_{32j}) + L_{32j+1}) + ...
 * and the same for dL/dp. So the same job gives bitwise the same result on 1 or N workers and
 * inline. A different shard size groups the sums differently (last-bit differences).
 *
 * Results: `dy0` holds dL_i/dy0 of every trajectory, n x d row-major in trajectory order (one
 * trajectory's initial state does not affect another's loss, so there is nothing to sum);
 * `dp` is the sum over trajectories of dL_i/dp, the gradient of the total loss with respect to
 * parameters shared by all trajectories. A trajectory with its own `params` still adds its dL/dp
 * into that sum; use one job per parameter set when each set's gradient is needed apart.
 *
 * Small batches (one shard, or one worker) run inline on the calling thread, where a pool would
 * only add overhead; `inline: true | false` forces either path.
 */
import { AcaError, InvalidArgumentError } from '../errors.ts';
import type { FieldSpec } from '../fields/field.ts';
import type { GradientSettings } from '../gradients/settings.ts';
import { buildLoss, type JsonSeries, type LossSpec } from '../losses/registry.ts';
import type { SolveOptions } from '../solvers/options.ts';
import { InterruptedError, ShardFailedError, WorkerFaultError } from './errors.ts';
import { resolveWorkers, runTasks, type PoolOptions } from './pool.ts';
import type { BatchJob, ShardJob, ShardResult, ShardRunner, ShardStats, ShardTask } from './job-types.ts';
import { cachedField, fieldKey, runShard } from './run-shard.ts';

export type { BatchJob, BatchSolverOptions, BatchTrajectory } from './job-types.ts';

export const DEFAULT_SHARD_SIZE = 32;

export interface BatchOptions extends PoolOptions {
  /** Trajectories per shard (default 32); it fixes the grouping of the sums, not the workers. */
  readonly shardSize?: number;
  /** 'auto' (default): inline for one shard or one worker; true / false force it. */
  readonly inline?: boolean | 'auto';
  readonly signal?: AbortSignal;
  /** Called as shards finish, with the trajectories done so far. */
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Run the shards as jobs of a BullMQ queue, on `aca worker` processes on any machine, instead
   * of this process's pool: `{ queue: queueShards({ url, name }) }` (src/queue/shards.ts; from
   * aca-ode/node). Reduced here in shard order, so bitwise the same.
   */
  readonly queue?: ShardRunner;
}

export interface BatchStats extends Omit<ShardStats, 'ms'> {
  readonly shards: number;
  readonly shardSize: number;
  /** Workers used (0 inline), and failed tries that were retried. */
  readonly workers: number;
  readonly inline: boolean;
  readonly retries: number;
  /** Wall time of the batch and the summed work time of its shards, in ms. */
  readonly wallMs: number;
  readonly workMs: number;
}

export interface BatchGradientResult {
  /** Sum of the trajectories' losses. */
  readonly loss: number;
  /** Each trajectory's loss (n). */
  readonly losses: Float64Array;
  /** dL_i/dy0 of each trajectory, n x d row-major. */
  readonly dy0: Float64Array;
  /** Sum over trajectories of dL_i/dp (P). */
  readonly dp: Float64Array;
  readonly stats: BatchStats;
}

export interface BatchSolveResult {
  readonly times: Float64Array;
  /** Outputs of each trajectory, n x K x d row-major. */
  readonly outputs: Float64Array;
  readonly dim: number;
  readonly stats: BatchStats;
}

export async function batchGradient(job: BatchJob, options: BatchOptions = {}): Promise<BatchGradientResult> {
  if (!job?.loss) {
    throw new InvalidArgumentError('job.loss', job?.loss, "a loss description, e.g. { kind: 'sum_squares' } (see losses/registry.ts)");
  }
  const run = await runBatch(job, 'gradient', options);
  const { shards, dims, n } = run;
  const losses = new Float64Array(n);
  const dy0 = new Float64Array(n * dims.d);
  const dp = new Float64Array(dims.P);
  let loss = 0;
  for (const s of shards) {
    loss += s.loss;
    for (let j = 0; j < dims.P; j++) dp[j] += s.dp[j];
  }
  shards.forEach((s, j) => {
    losses.set(s.losses, j * run.shardSize);
    dy0.set(s.dy0, j * run.shardSize * dims.d);
  });
  return { loss, losses, dy0, dp, stats: run.stats };
}

export async function batchSolve(job: BatchJob, options: BatchOptions = {}): Promise<BatchSolveResult> {
  const run = await runBatch(job, 'solve', options);
  const K = job.solver.times.length;
  const outputs = new Float64Array(run.n * K * run.dims.d);
  run.shards.forEach((s, j) => outputs.set(s.outputs, j * run.shardSize * K * run.dims.d));
  return { times: Float64Array.from(job.solver.times), outputs, dim: run.dims.d, stats: run.stats };
}

/** The shards of n trajectories: [first, count] pairs of a fixed size (the last may be shorter). */
export function cutShards(n: number, shardSize: number): { first: number; count: number }[] {
  const shards: { first: number; count: number }[] = [];
  for (let first = 0; first < n; first += shardSize) shards.push({ first, count: Math.min(shardSize, n - first) });
  return shards;
}

/** Whether a batch of this many shards on this many workers runs inline. */
export function runsInline(shards: number, workers: number, inline: BatchOptions['inline'] = 'auto'): boolean {
  if (inline === true || inline === false) return inline;
  return shards < 2 || workers < 2;
}

// ---------------------------------------------------------------------------------------------

interface BatchRun {
  readonly shards: ShardResult[];
  readonly n: number;
  readonly shardSize: number;
  readonly dims: { d: number; P: number };
  readonly stats: BatchStats;
}

async function runBatch(job: BatchJob, mode: ShardTask['mode'], options: BatchOptions): Promise<BatchRun> {
  const start = performance.now();
  validateJob(job);
  const shardSize = options.shardSize ?? DEFAULT_SHARD_SIZE;
  if (!Number.isInteger(shardSize) || shardSize < 1) {
    throw new InvalidArgumentError('shardSize', shardSize, 'a positive integer (trajectories per shard)');
  }
  const workers = resolveWorkers(options.workers);
  // Built here too: a bad spec fails before any worker starts, and the sizes come from it.
  const key = fieldKey(job.field);
  const field = cachedField(job.field, key);
  const n = job.trajectories.length;
  // The loss too (as built for the first trajectory): a bad description fails here, once.
  if (mode === 'gradient') buildLoss(job.loss!, { dim: field.dim, nTimes: job.solver.times.length, target: job.trajectories[0].target });
  const cuts = cutShards(n, shardSize);
  const { trajectories, ...rest } = job;
  const header: ShardJob = { ...rest, fieldKey: key };
  const taskOf = (j: number, attempt: number): ShardTask => ({
    kind: 'shard',
    mode,
    job: header,
    shard: j,
    first: cuts[j].first,
    trajectories: trajectories.slice(cuts[j].first, cuts[j].first + cuts[j].count),
    attempt,
  });
  const results: ShardResult[] = new Array(cuts.length);
  const inline = !options.queue && runsInline(cuts.length, workers, options.inline);
  let done = 0;
  let retries = 0;
  const finished = (j: number, r: ShardResult) => {
    results[j] = r;
    done += r.count;
    options.onProgress?.(done, n);
  };

  if (options.queue) {
    const r = await options.queue.runShards({
      count: cuts.length,
      task: (j) => {
        const { attempt: _attempt, ...task } = taskOf(j, 0);
        return task;
      },
      onResult: finished,
      signal: options.signal,
    });
    retries = r.retries;
    if (r.failure) {
      const { index: j, attempts, error } = r.failure;
      throw new ShardFailedError(j, cuts.length, cuts[j].first, cuts[j].count, attempts, error);
    }
  } else if (inline) {
    for (let j = 0; j < cuts.length; j++) {
      if (options.signal?.aborted) throw new InterruptedError('the batch');
      try {
        finished(j, runShard(taskOf(j, 0)));
      } catch (error) {
        const cause = error instanceof Error ? error : new Error(String(error));
        throw new ShardFailedError(j, cuts.length, cuts[j].first, cuts[j].count, 1, withTrajectory(cause));
      }
    }
  } else {
    let failure: ShardFailedError | null = null;
    try {
      await runTasks<ShardResult>({
        workers,
        resourceLimits: options.resourceLimits,
        signal: options.signal,
        what: 'the batch',
        count: cuts.length,
        task: taskOf,
        onResult: finished,
        onRetry: () => void retries++,
        onFailure: (j, error, attempts) => {
          failure = new ShardFailedError(j, cuts.length, cuts[j].first, cuts[j].count, attempts, error);
          return 'stop';
        },
      });
    } catch (error) {
      throw failure ?? error;
    }
  }

  const stats = sumStats(results);
  return {
    shards: results,
    n,
    shardSize,
    dims: { d: field.dim, P: field.nParams },
    stats: {
      ...stats,
      shards: cuts.length,
      shardSize,
      workers: inline ? 0 : workers,
      inline,
      retries,
      wallMs: performance.now() - start,
    },
  };
}

function withTrajectory(error: Error): Error {
  const at = (error as { trajectory?: unknown }).trajectory;
  if (typeof at !== 'number' || error instanceof WorkerFaultError) return error;
  const code = (error as { code?: unknown }).code;
  return new WorkerFaultError(typeof code === 'string' ? code : 'ERR_THREW', error.message, {
    trajectory: at,
    deterministic: error instanceof AcaError,
  });
}

function sumStats(results: readonly ShardResult[]): Omit<ShardStats, 'ms'> & { workMs: number } {
  const total = { trajectories: 0, accepted: 0, rejected: 0, fEvals: 0, vjpEvals: 0, checkpoints: 0, peakBytes: 0, workMs: 0 };
  for (const r of results) {
    total.trajectories += r.stats.trajectories;
    total.accepted += r.stats.accepted;
    total.rejected += r.stats.rejected;
    total.fEvals += r.stats.fEvals;
    total.vjpEvals += r.stats.vjpEvals;
    total.checkpoints += r.stats.checkpoints;
    total.peakBytes = Math.max(total.peakBytes, r.stats.peakBytes);
    total.workMs += r.stats.ms;
  }
  return total;
}

function validateJob(job: BatchJob): void {
  if (job == null || typeof job !== 'object') throw new InvalidArgumentError('job', job, 'a BatchJob object');
  if (!job.field || typeof job.field.kind !== 'string') {
    throw new InvalidArgumentError('job.field', job.field, "a field spec with a `kind` (e.g. a field's `spec`)");
  }
  if (!job.solver || typeof job.solver !== 'object' || !job.solver.times || typeof job.solver.times.length !== 'number') {
    throw new InvalidArgumentError('job.solver', job.solver, 'solver options with `times` (an array of output times)');
  }
  if (!Array.isArray(job.trajectories) || job.trajectories.length === 0) {
    throw new InvalidArgumentError('job.trajectories', job.trajectories, 'a non-empty array of { y0, params?, target? }');
  }
  job.trajectories.forEach((t, i) => {
    if (!t || typeof t !== 'object' || !t.y0 || typeof t.y0.length !== 'number') {
      throw new InvalidArgumentError(`job.trajectories[${i}].y0`, t?.y0, 'an array of numbers (the initial state)');
    }
  });
}
