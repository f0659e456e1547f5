/**
 * The work of one shard: the gradients (or the solutions) of a run of consecutive trajectories of
 * one job. A pure function of its task, called by the worker (workers/shard-worker.mjs) and, for
 * inline batches and tests, directly on the main thread.
 *
 * Reduction inside a shard, in trajectory order from zero: loss = sum_i L_i and dp = sum_i dL_i/dp;
 * dL_i/dy0 is kept per trajectory. batch.ts then adds the shard sums in shard order, so the
 * grouping of the floating-point sums depends only on the shard size, never on which thread ran
 * which shard.
 *
 * The compiled field is cached per thread by the hash of its JSON spec (`fieldKey`), so a worker
 * builds each job's field once however many shards of it it runs.
 */
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../errors.ts';
import type { Field, FieldSpec } from '../fields/field.ts';
import { buildField } from '../fields/registry.ts';
import { gradient } from '../gradients/gradient.ts';
import type { Loss } from '../losses/loss.ts';
import { buildLoss, lossNeedsTrajectory } from '../losses/registry.ts';
import { solve } from '../solvers/solve.ts';
import type { BatchJob, BatchTrajectory, ShardJob, ShardResult, ShardStats, ShardTask } from './job-types.ts';
import { maybeShardFault } from './test-fault.ts';

export type { ShardJob, ShardResult, ShardStats, ShardTask } from './job-types.ts';


export function runShard(task: ShardTask): ShardResult {
  const start = performance.now();
  const { job, trajectories } = task;
  const field = cachedField(job.field, job.fieldKey);
  const d = field.dim;
  const P = field.nParams;
  const n = trajectories.length;
  const K = job.solver?.times?.length ?? 0;
  const gradientMode = task.mode === 'gradient';
  // One buffer holds every array of the result, so that the worker transfers a single buffer.
  const buffer = new Float64Array(gradientMode ? n + n * d + P : n * K * d);
  const losses = gradientMode ? buffer.subarray(0, n) : buffer.subarray(0, 0);
  const dy0 = gradientMode ? buffer.subarray(n, n + n * d) : buffer.subarray(0, 0);
  const dp = gradientMode ? buffer.subarray(n + n * d) : buffer.subarray(0, 0);
  const outputs = gradientMode ? buffer.subarray(0, 0) : buffer;
  const stats: ShardStats = { trajectories: n, accepted: 0, rejected: 0, fEvals: 0, vjpEvals: 0, checkpoints: 0, peakBytes: 0, ms: 0 };
  const sharedLoss = gradientMode && !lossNeedsTrajectory(requireLossSpec(job)) ? buildLoss(job.loss!, { dim: d, nTimes: K }) : null;
  let loss = 0;

  for (let i = 0; i < n; i++) {
    const index = task.first + i;
    maybeShardFault(job, task, i);
    const trajectory = trajectories[i];
    try {
      const params = trajectory.params ?? job.params;
      if (gradientMode) {
        const trajectoryLoss: Loss =
          sharedLoss ?? buildLoss(job.loss!, { dim: d, nTimes: K, target: trajectory.target });
        const r = gradient(field, trajectory.y0, {
          ...job.solver,
          params,
          loss: trajectoryLoss,
          gradient: job.gradient,
        });
        loss += r.loss;
        losses[i] = r.loss;
        dy0.set(r.dy0, i * d);
        for (let j = 0; j < P; j++) dp[j] += r.dp[j];
        stats.accepted += r.stats.accepted;
        stats.rejected += r.stats.rejected;
        stats.fEvals += r.stats.fEvals;
        stats.vjpEvals += r.stats.vjpEvals;
        stats.checkpoints += r.stats.checkpoints;
        stats.peakBytes = Math.max(stats.peakBytes, r.stats.peakBytes);
      } else {
        const sol = solve(field, trajectory.y0, { ...job.solver, params });
        outputs.set(sol.y, i * K * d);
        stats.accepted += sol.stats.accepted;
        stats.rejected += sol.stats.rejected;
        stats.fEvals += sol.stats.fEvals;
      }
    } catch (error) {
      // Name the trajectory; the error keeps its class and code.
      if (error instanceof Error) Object.assign(error, { trajectory: index });
      throw error;
    }
  }
  stats.ms = performance.now() - start;
  return { shard: task.shard, count: n, loss, losses, dy0, dp, outputs, stats };
}

/** A short stable hash of a field spec: the cache key of its compiled field. */
export function fieldKey(spec: FieldSpec): string {
  return createHash('sha256').update(stableJson(spec)).digest('hex').slice(0, 24);
}

const FIELD_CACHE_LIMIT = 32;
const fieldCache = new Map<string, Field>();

/** The compiled field of a spec, built once per thread (the oldest entry goes past 32). */
export function cachedField(spec: FieldSpec, key: string = fieldKey(spec)): Field {
  let field = fieldCache.get(key);
  if (!field) {
    field = buildField(spec);
    if (fieldCache.size >= FIELD_CACHE_LIMIT) fieldCache.delete(fieldCache.keys().next().value!);
    fieldCache.set(key, field);
  }
  return field;
}

/** How many fields this thread has compiled so far (for tests of the cache). */
export function fieldCacheSize(): number {
  return fieldCache.size;
}

function requireLossSpec(job: ShardJob): NonNullable<BatchJob['loss']> {
  if (!job.loss || typeof job.loss !== 'object') {
    throw new InvalidArgumentError('job.loss', job.loss, "a loss description, e.g. { kind: 'sum_squares' } (see losses/registry.ts)");
  }
  return job.loss;
}

/** JSON with object keys sorted, so that equal specs hash equally whatever their key order. */
function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    return `[${Array.from(value as ArrayLike<unknown>, stableJson).join(',')}]`;
  }
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}
