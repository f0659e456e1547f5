/**
 * `aca batch RUNS.jsonl --out RESULTS.jsonl --queue redis://...`: the submitting side. Each run
 * becomes a BullMQ job (job-id.ts: its id is the run id and a hash of its content); workers on any
 * machine (`aca worker`, worker.ts) run them; this process collects their outcomes into the same
 * append-only JSONL as a local batch (src/parallel/batch-runs.ts: its parser, its restart rule
 * and its one-write-per-line writer are used as they are).
 *
 * Exactly one line per run id. Only this process writes the file, and it writes an id's line
 * once, when the job has finished for good (completed, or failed after its last try); BullMQ's
 * retries and stalled-job recoveries happen before that and leave no line. A restart reads the
 * file first: runs with a line are skipped; the others are added again, which for a job still in
 * Redis is a no-op, so a run that finished while nobody was collecting is written from Redis and
 * not run again.
 *
 * Outcomes are read from Redis (the job's state, result and failedReason) when BullMQ's queue
 * events name a finished job, and for every outstanding job each second (watch.ts), so that a
 * missed event (a Redis restart) only delays a line. Interrupted (signal): the jobs of this batch still waiting are removed from the queue;
 * the running ones finish on their workers and are collected by the next run of the command.
 */
import { Job, Queue, QueueEvents } from 'bullmq';
import {
  withResultsFile,
  type BatchRunsOptions,
  type BatchRunsSummary,
  type ResultsFile,
  type RunEntry,
  type RunLine,
} from '../parallel/batch-runs.ts';
import type { RunProgress } from '../parallel/job-types.ts';
import { DEFAULT_QUEUE_NAME, queueName, redisOptions, type QueueTarget } from './connection.ts';
import { runJobId } from './job-id.ts';
import { JobWatch } from './watch.ts';
import { errorOfFailedReason, JOB_ATTEMPTS, type RunJobData } from './jobs.ts';
import { acaVersion } from './version.ts';

export interface QueueBatchOptions extends Omit<BatchRunsOptions, 'workers' | 'resourceLimits'> {
  readonly queue: QueueTarget;
  /** A running run's progress (from its worker, through BullMQ's job progress). */
  readonly onRunProgress?: (runId: string | number, progress: RunProgress | null) => void;
  /** Between polls of the outstanding jobs, ms (default 1000). */
  readonly pollMs?: number;
  /** Notes for the user (no worker on the queue yet). */
  readonly log?: (message: string) => void;
}

/** How long the submitter waits before saying that no worker serves the queue. */
const NO_WORKER_NOTICE_MS = 5000;

export interface QueueBatchSummary extends BatchRunsSummary {
  /** Jobs of this batch removed from the queue because the batch was interrupted. */
  readonly removed: number;
}

export async function runBatchOnQueue(options: QueueBatchOptions): Promise<QueueBatchSummary> {
  // The same results file, lock and write rules as a local batch (batch-runs.ts).
  return withResultsFile(options, (results) => collectBatch(options, results));
}

async function collectBatch(options: QueueBatchOptions, results: ResultsFile): Promise<QueueBatchSummary> {
  const { pending, write } = results;
  const name = queueName(options.queue);
  const connection = redisOptions(options.queue.url);
  const queue = new Queue<RunJobData>(name, { connection });
  const events = new QueueEvents(name, { connection });
  queue.on('error', () => {}); // reconnects by itself; a lasting failure shows as no progress
  events.on('error', () => {});
  let interrupted = false;
  let removed = 0;
  try {
    await events.waitUntilReady(); // listening before the jobs start, so that no progress is missed
    const outstanding = new Map<string, RunEntry>();
    for (const e of pending) if (e.run) outstanding.set(runJobId(e.id, e.run), e);
    await submit(queue, outstanding, options.retryFailed === true, options.timeoutSeconds);

    const watch = new JobWatch(events, options.pollMs ?? 1000, options.signal);
    events.on('progress', ({ jobId, data }) => {
      const e = outstanding.get(jobId);
      if (e && data && typeof data === 'object') options.onRunProgress?.(e.id, data as unknown as RunProgress);
    });
    const started = Date.now();
    let noticed = options.log === undefined;
    try {
      while (outstanding.size > 0 && !options.signal?.aborted) {
        const lost = await collect(queue, watch.due(outstanding), outstanding, write, options.onRunProgress);
        // A job Redis lost (no persistence, a flushed database) is added again: it has no line yet.
        if (lost.length > 0) await addJobs(queue, lost, outstanding, options.timeoutSeconds);
        if (!noticed && Date.now() - started > NO_WORKER_NOTICE_MS) {
          noticed = true;
          // CLIENT LIST may be disabled on a managed Redis: then nothing is said.
          const count = await queue.getWorkersCount().catch(() => -1);
          if (count === 0) {
            options.log!(`no worker serves queue ${name} yet: start \`aca worker --queue ${options.queue.url}${name === DEFAULT_QUEUE_NAME ? '' : ` --queue-name ${name}`}\` on a machine`);
          }
        }
        if (outstanding.size === 0 || options.signal?.aborted) break;
        await watch.next();
      }
    } finally {
      watch.close();
    }
    if (outstanding.size > 0) {
      interrupted = true;
      // Write what finished meanwhile, then take the waiting jobs out of the queue.
      await collect(queue, [...outstanding.keys()], outstanding, write, options.onRunProgress);
      removed = await removeWaiting(queue, outstanding);
    }
  } finally {
    await Promise.allSettled([events.close(), queue.close()]);
  }
  return { ...results.summary(), interrupted, removed };
}

/** Adds the jobs not in Redis yet; with retryFailed, a job that failed for good is tried again. */
async function submit(queue: Queue<RunJobData>, outstanding: Map<string, RunEntry>, retryFailed: boolean, timeoutSeconds: number | undefined): Promise<void> {
  const ids = [...outstanding.keys()];
  const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
  const fresh: string[] = [];
  for (let k = 0; k < ids.length; k++) {
    if (states[k] === 'unknown') fresh.push(ids[k]);
    else if (states[k] === 'failed' && retryFailed) {
      const job = await Job.fromId(queue, ids[k]);
      await job?.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    }
  }
  await addJobs(queue, fresh, outstanding, timeoutSeconds);
}

async function addJobs(queue: Queue<RunJobData>, fresh: readonly string[], outstanding: Map<string, RunEntry>, timeoutSeconds: number | undefined): Promise<void> {
  const version = acaVersion();
  for (let k = 0; k < fresh.length; k += 500) {
    await queue.addBulk(
      fresh.slice(k, k + 500).map((jobId) => {
        const e = outstanding.get(jobId)!;
        return {
          name: String(e.id),
          data: { kind: 'run' as const, runId: e.id, run: e.run!, version, ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }) },
          opts: { jobId, attempts: JOB_ATTEMPTS, removeOnComplete: false, removeOnFail: false },
        };
      }),
    );
  }
}

/**
 * Writes the lines of the outstanding jobs that have finished for good, and forgets them.
 * Returns the ids of jobs Redis does not know (lost by a Redis without persistence).
 */
async function collect(
  queue: Queue<RunJobData>,
  ids: readonly string[],
  outstanding: Map<string, RunEntry>,
  write: (line: RunLine) => void,
  onRunProgress: QueueBatchOptions['onRunProgress'],
): Promise<string[]> {
  const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
  const lost: string[] = [];
  for (let k = 0; k < ids.length; k++) {
    if (states[k] === 'unknown') lost.push(ids[k]);
    if (states[k] !== 'completed' && states[k] !== 'failed') continue;
    const job = await Job.fromId(queue, ids[k]);
    const e = outstanding.get(ids[k]);
    if (!job || !e) continue;
    const elapsedMs = job.finishedOn && job.processedOn ? job.finishedOn - job.processedOn : 0;
    if (states[k] === 'completed') {
      write({ id: e.id, ok: true, kind: e.run!.kind, result: job.returnvalue, elapsedMs });
    } else {
      const error = errorOfFailedReason(job.failedReason);
      write({ id: e.id, ok: false, kind: e.run!.kind, error: { ...error, attempts: Math.max(1, job.attemptsMade) }, elapsedMs });
    }
    outstanding.delete(ids[k]);
    onRunProgress?.(e.id, null);
  }
  return lost;
}

/** Removes the outstanding jobs that no worker holds (waiting, delayed); returns how many. */
async function removeWaiting(queue: Queue<RunJobData>, outstanding: Map<string, RunEntry>): Promise<number> {
  let removed = 0;
  for (const id of outstanding.keys()) {
    const state = await queue.getJobState(id);
    if (state !== 'waiting' && state !== 'delayed' && state !== 'prioritized') continue;
    try {
      await queue.remove(id);
      removed++;
    } catch {
      // Taken by a worker meanwhile: it finishes there and is collected next time.
    }
  }
  return removed;
}
