/**
 * A BatchEvaluator that runs the subsequences of a mini-batch on the worker pool, through the
 * batch API of src/parallel (batchGradient): fixed-size shards of subsequences, reduced in shard
 * order, so the gradient is bitwise the same for 1 or N workers (for a fixed shardSize).
 *
 * A batch job shares one vector of output times across its trajectories, so the subsequences are
 * grouped by their times: with an autonomous field and a regular grid the training loop shifts
 * every subsequence to start at t = 0 (train.ts), and the whole batch is one job. Times that
 * differ by less than 1e-12 of the group's span are taken as the same (the shifted times of a
 * regular grid differ in their last bits); the group uses its first subsequence's times. Groups
 * run concurrently and are added in the order of their first subsequence.
 *
 * The pool is the process's one pool (parallel/pool.ts): call closePool() when training is done.
 */
import { InvalidArgumentError } from '../errors.ts';
import { batchGradient, type BatchJob, type BatchOptions } from '../parallel/batch.ts';
import type { SubsequenceProblem } from './minibatch.ts';
import type { BatchEvaluation, BatchEvaluator, SubsequenceBatch } from './evaluate.ts';

export interface PoolEvaluatorOptions {
  /** Worker threads (default: the cores). */
  readonly workers?: number;
  /** Subsequences per task (default 5); it fixes the grouping of the sums, not the workers. */
  readonly shardSize?: number;
  /** Run on the calling thread instead ('auto': batch.ts's rule). Default: false for 2+ workers. */
  readonly inline?: BatchOptions['inline'];
  readonly signal?: AbortSignal;
}

export const DEFAULT_SUBSEQUENCE_SHARD = 5;

export function poolEvaluator(options: PoolEvaluatorOptions = {}): BatchEvaluator {
  const shardSize = options.shardSize ?? DEFAULT_SUBSEQUENCE_SHARD;
  if (!Number.isInteger(shardSize) || shardSize < 1) {
    throw new InvalidArgumentError('shardSize', shardSize, 'a positive integer (subsequences per task)');
  }
  const inline = options.inline ?? (options.workers === 1 ? 'auto' : false);
  return async (batch: SubsequenceBatch): Promise<BatchEvaluation> => {
    const spec = batch.field.spec;
    if (!spec) {
      throw new InvalidArgumentError('field.spec', spec, 'a field with a JSON spec (the workers rebuild the field from it)');
    }
    const m = batch.observed.length;
    const params = Array.from(batch.params);
    const groups = groupByTimes(batch.problems);
    const results = await Promise.all(
      groups.map((group) => {
        const job: BatchJob = {
          field: spec,
          solver: { ...batch.solver, times: Array.from(group.times) },
          params,
          gradient: batch.gradient,
          loss: { kind: 'squared_error', observed: [...batch.observed], weights: new Array(m).fill(batch.cellWeight) },
          trajectories: group.problems.map((p) => ({
            y0: Array.from(p.y0),
            target: Array.from(p.target, (v) => (Number.isNaN(v) ? null : v)),
          })),
        };
        return batchGradient(job, { workers: options.workers, shardSize, inline, signal: options.signal });
      }),
    );
    const dp = new Float64Array(batch.field.nParams);
    let loss = 0;
    let fEvals = 0;
    let vjpEvals = 0;
    let accepted = 0;
    let rejected = 0;
    for (const r of results) {
      loss += r.loss;
      for (let j = 0; j < dp.length; j++) dp[j] += r.dp[j];
      fEvals += r.stats.fEvals;
      vjpEvals += r.stats.vjpEvals;
      accepted += r.stats.accepted;
      rejected += r.stats.rejected;
    }
    return { loss, dp, fEvals, vjpEvals, accepted, rejected };
  };
}

interface TimesGroup {
  readonly times: Float64Array;
  readonly problems: SubsequenceProblem[];
}

/** Subsequences grouped by (nearly) equal output times, groups in order of first appearance. */
export function groupByTimes(problems: readonly SubsequenceProblem[]): TimesGroup[] {
  const groups: TimesGroup[] = [];
  for (const problem of problems) {
    const group = groups.find((g) => sameTimes(g.times, problem.times));
    if (group) group.problems.push(problem);
    else groups.push({ times: problem.times, problems: [problem] });
  }
  return groups;
}

function sameTimes(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  const span = Math.abs(a[a.length - 1] - a[0]) || 1;
  const tol = 1e-12 * span;
  for (let k = 0; k < a.length; k++) if (!(Math.abs(a[k] - b[k]) <= tol)) return false;
  return true;
}
