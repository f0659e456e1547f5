/**
 * The worker loop of `aca worker`: takes jobs from a BullMQ queue and runs each on this process's
 * Piscina pool (src/parallel/pool.ts), through the same run kinds (run-spec.ts) and shard code
 * (run-shard.ts) as a local batch, so a queued run computes what a local one would.
 *
 * - concurrency: jobs taken at once (default: the pool's threads); the pool runs them on threads,
 *   so the worker's own event loop stays free to renew BullMQ's job locks while they compute.
 * - Progress: a run's progress (progress-port.ts, from its thread) goes to the job with
 *   job.updateProgress, at most 4 times a second; the submitter reads it from BullMQ's events.
 * - A job that fails is retried by BullMQ (JOB_ATTEMPTS tries in all), on any worker, unless its
 *   error is the library's own (AcaError: invalid input, step-size underflow...), which would fail
 *   the same way again: that one fails at once (UnrecoverableError), as in a local batch.
 * - A job submitted by another aca-ode version is refused: the worker says so on its log and puts
 *   the job back, delayed by a second, for a worker of that version; it is never run here.
 * - A worker that dies (SIGKILL, power) holds its jobs' locks until they expire (lockDuration);
 *   BullMQ's stalled-job check, run by every live worker each stalledInterval, then puts them back
 *   in the queue for another worker. A job that stalls twice fails (maxStalledCount 1).
 * - stop(): stops taking jobs, aborts the running ones (their threads end) and moves them back to
 *   the wait list (released, not left active), then closes.
 */
import { DelayedError, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { InterruptedError, type WorkerFaultError } from '../parallel/errors.ts';
import { closePool, resolveWorkers, runTasks } from '../parallel/pool.ts';
import type { RunProgress, WorkerTask } from '../parallel/job-types.ts';
import { queueName, redisOptions, type QueueTarget } from './connection.ts';
import { encodeShardResult, failedReasonOf, type QueueJobData } from './jobs.ts';
import { acaVersion } from './version.ts';

export interface QueueWorkerOptions extends QueueTarget {
  /** Pool threads (default: the number of cores). */
  readonly workers?: number;
  /** Jobs taken at once (default: workers). */
  readonly concurrency?: number;
  /** BullMQ's job lock, ms (default 30000): how long a dead worker's job waits to be taken back. */
  readonly lockMs?: number;
  /** Between stalled-job checks, ms (default: lockMs). */
  readonly stalledIntervalMs?: number;
  /** Where the worker says what it does (default: nothing). */
  readonly log?: (line: string) => void;
}

export interface QueueWorker {
  /** Resolves once the worker is connected and waiting for jobs. */
  readonly ready: Promise<void>;
  /** Stops taking jobs, releases the running ones to the queue, closes the pool. */
  stop(): Promise<void>;
  /** Jobs this worker finished (completed or failed), for the log and tests. */
  readonly counts: { completed: number; failed: number; refused: number };
}

const PROGRESS_EVERY_MS = 250;

export function startQueueWorker(options: QueueWorkerOptions): QueueWorker {
  const workers = resolveWorkers(options.workers, '--workers');
  const concurrency = options.concurrency === undefined ? workers : resolveWorkers(options.concurrency, '--concurrency');
  const lockMs = options.lockMs ?? 30_000;
  const version = acaVersion();
  const log = options.log ?? (() => {});
  const stopping = new AbortController();
  const refused = new Set<string>();
  const counts = { completed: 0, failed: 0, refused: 0 };

  const processor = async (job: Job<QueueJobData>, token?: string): Promise<unknown> => {
    const data = job.data;
    if (data.version !== version) {
      counts.refused++;
      if (!refused.has(job.id!)) {
        refused.add(job.id!);
        log(
          `aca worker: refusing job ${job.id}: it was submitted by aca-ode ${data.version} and this worker runs ${version}; ` +
            `start a worker of aca-ode ${data.version} to run it (the job stays in the queue)`,
        );
      }
      await job.moveToDelayed(Date.now() + 1000, token);
      throw new DelayedError();
    }
    const attempt = job.attemptsMade;
    const task: WorkerTask =
      data.kind === 'run' ? { kind: 'run', run: data.run, attempt } : ({ ...data.task, attempt } as WorkerTask);
    let lastProgress = 0;
    let result: unknown;
    let failure: WorkerFaultError | null = null;
    try {
      await runTasks<unknown>({
        workers,
        count: 1,
        retries: 0, // BullMQ retries, possibly on another machine
        signal: stopping.signal,
        what: `job ${job.id}`,
        task: () => task,
        // A run's own timeoutSeconds, else the batch's (--timeout); past it the run fails for good.
        timeoutMs: () => {
          if (data.kind !== 'run') return undefined;
          const seconds = (data.run.timeoutSeconds as number | undefined) ?? data.timeoutSeconds;
          return seconds === undefined ? undefined : seconds * 1000;
        },
        onResult: (_i, value) => {
          result = value;
        },
        onFailure: (_i, error) => {
          failure = error;
          return 'stop';
        },
        onProgress: (_i, p: RunProgress) => {
          const now = Date.now();
          if (now - lastProgress < PROGRESS_EVERY_MS) return;
          lastProgress = now;
          job.updateProgress({ ...p }).catch(() => {});
        },
      });
    } catch (error) {
      if (error instanceof InterruptedError || stopping.signal.aborted) {
        // Released: back to the wait list for another worker (or this one, restarted).
        await job.moveToWait(token);
        throw new WaitingError();
      }
      const f = (failure ?? error) as WorkerFaultError;
      counts.failed++;
      const reason = failedReasonOf(f.code ?? 'ERR_JOB_FAILED', f.message);
      log(`aca worker: job ${job.id} failed (attempt ${attempt + 1}): ${reason}`);
      throw f.deterministic ? new UnrecoverableError(reason) : new Error(reason);
    }
    counts.completed++;
    return data.kind === 'shard' ? encodeShardResult(result as never) : result;
  };

  const worker = new Worker<QueueJobData>(queueName(options), processor, {
    connection: redisOptions(options.url),
    concurrency,
    lockDuration: lockMs,
    stalledInterval: options.stalledIntervalMs ?? lockMs,
    maxStalledCount: 1,
    autorun: true,
  });
  // Connection errors (Redis restarting) are retried by the client; without a listener an
  // 'error' event would end the process.
  // The same error is said once every 10 s at most (a Redis that is down repeats it fast).
  let lastError = '';
  let lastErrorAt = 0;
  worker.on('error', (error) => {
    const now = Date.now();
    if (error.message === lastError && now - lastErrorAt < 10_000) return;
    lastError = error.message;
    lastErrorAt = now;
    log(`aca worker: ${error.message}`);
  });

  let stopped: Promise<void> | null = null;
  return {
    ready: worker.waitUntilReady().then(() => undefined),
    counts,
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        await worker.close();
        await closePool({ force: true });
      })();
      return stopped;
    },
  };
}
