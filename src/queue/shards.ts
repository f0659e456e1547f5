/**
 * A batch gradient (or solve) whose shards run on queue workers:
 * batchGradient(job, { queue: queueShards({ url, name }) }).
 * Each shard of the job (batch.ts cutShards: a fixed size, whatever the workers) becomes a BullMQ
 * job; the results come back exactly (jobs.ts: Float64Arrays as their bytes) and batch.ts adds
 * them in shard order on this side, as for the local pool. So a queued gradient is bitwise the
 * local one, on any number of workers and machines.
 *
 * Shard job ids are `shard.<random>.<index>`: one batch's shards are its own (two callers of the
 * same job do not share jobs), and they are removed from Redis once read.
 */
import { randomBytes } from 'node:crypto';
import { Job, Queue, QueueEvents } from 'bullmq';
import { InterruptedError, WorkerFaultError } from '../parallel/errors.ts';
import type { ShardResult, ShardRunner, ShardTask } from '../parallel/job-types.ts';
import { queueName, redisOptions, type QueueTarget } from './connection.ts';
import { canonicalJson } from './job-id.ts';
import { decodeShardResult, errorOfFailedReason, JOB_ATTEMPTS, type ShardJobData } from './jobs.ts';
import { acaVersion } from './version.ts';
import { JobWatch } from './watch.ts';

export interface QueueShardsOptions {
  readonly count: number;
  task(index: number): Omit<ShardTask, 'attempt'>;
  onResult(index: number, result: ShardResult): void;
  readonly signal?: AbortSignal;
  readonly pollMs?: number;
}

/** A shard that failed for good on the queue: its index, tries, and error. */
export interface QueueShardFailure {
  readonly index: number;
  readonly attempts: number;
  readonly error: WorkerFaultError;
}

/** The shards of a batchGradient / batchSolve on the queue's workers (BatchOptions.queue). */
export function queueShards(target: QueueTarget, options: { pollMs?: number } = {}): ShardRunner {
  return { runShards: (shards) => runShardsOnQueue(target, { ...shards, pollMs: options.pollMs }) };
}

/** Runs the shards on the queue's workers; resolves with the failure of the first shard that failed, if any. */
export async function runShardsOnQueue(target: QueueTarget, options: QueueShardsOptions): Promise<{ failure: QueueShardFailure | null; retries: number }> {
  if (options.signal?.aborted) throw new InterruptedError('the batch');
  const name = queueName(target);
  const connection = redisOptions(target.url);
  const queue = new Queue<ShardJobData>(name, { connection });
  const events = new QueueEvents(name, { connection });
  queue.on('error', () => {});
  events.on('error', () => {});
  const batch = randomBytes(6).toString('hex');
  const outstanding = new Map<string, number>();
  const version = acaVersion();
  let failure: QueueShardFailure | null = null;
  let retries = 0;
  try {
    await events.waitUntilReady();
    const jobs = Array.from({ length: options.count }, (_, j) => {
      const jobId = `shard.${batch}.${j}`;
      outstanding.set(jobId, j);
      // Plain JSON (Float64Array initial states as arrays) so that the job reads back as sent.
      const task = JSON.parse(canonicalJson(options.task(j))) as ShardJobData['task'];
      return { name: `shard ${j}`, data: { kind: 'shard' as const, task, version }, opts: { jobId, attempts: JOB_ATTEMPTS } };
    });
    for (let k = 0; k < jobs.length; k += 500) await queue.addBulk(jobs.slice(k, k + 500));

    const watch = new JobWatch(events, options.pollMs ?? 1000, options.signal);
    try {
      while (outstanding.size > 0 && !failure && !options.signal?.aborted) {
        const ids = watch.due(outstanding);
        const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
        for (let k = 0; k < ids.length; k++) {
          if (states[k] !== 'completed' && states[k] !== 'failed') continue;
          const job = await Job.fromId(queue, ids[k]);
          const j = outstanding.get(ids[k]);
          if (!job || j === undefined) continue;
          outstanding.delete(ids[k]);
          retries += Math.max(0, job.attemptsMade - 1);
          if (states[k] === 'completed') options.onResult(j, decodeShardResult(job.returnvalue));
          else {
            const e = errorOfFailedReason(job.failedReason);
            failure ??= { index: j, attempts: Math.max(1, job.attemptsMade), error: new WorkerFaultError(e.code, e.message) };
          }
          await job.remove().catch(() => {});
        }
        if (outstanding.size === 0 || failure) break;
        await watch.next();
      }
    } finally {
      watch.close();
    }
  } finally {
    // Whatever is left (a failure or an interrupt): take it out of the queue; a shard that a
    // worker holds cannot be removed, and finishes for nobody (it expires with the queue's jobs).
    for (const id of outstanding.keys()) await queue.remove(id).catch(() => 0);
    await Promise.allSettled([events.close(), queue.close()]);
  }
  if (!failure && options.signal?.aborted) throw new InterruptedError('the batch');
  return { failure, retries };
}
