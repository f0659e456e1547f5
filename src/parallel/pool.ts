/**
 * The worker pool: one Piscina pool per process (docs/design.md, "Parallel batches"), and
 * `runTasks`, which runs a job's tasks on it with at most `workers` in flight, retries a failed
 * task once, and stops cleanly.
 *
 * Faults. A task fails when its worker reports an error it caught (as data: see errors.ts), or
 * when the worker dies (process.exit, an uncaught error, running out of memory under
 * resourceLimits): Piscina then rejects the task and starts a new worker in its place. The failed
 * task is tried once more, unless the error is deterministic (the library's own AcaError, e.g. a
 * step-size underflow: the retry would fail the same way). A task that fails for good goes to the
 * job's onFailure, which either goes on with the other tasks (`aca batch`) or stops the job
 * (a batch gradient): the job's other tasks are then aborted (a running one by ending its
 * worker, which the pool replaces) and runTasks rejects with the failure.
 *
 * Ctrl-C. A job given an AbortSignal stops the same way and rejects with InterruptedError. When
 * nothing else in the process listens for SIGINT, the pool's own listener stops the running jobs
 * and the workers and re-raises the signal, so the process ends as Node's default would; a
 * command with its own SIGINT handling (`aca batch`) aborts its jobs and calls closePool().
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { InvalidArgumentError } from '../errors.ts';
import { fromWorkerErrorInfo, InterruptedError, WorkerFaultError, type WorkerErrorInfo } from './errors.ts';
import type { RunProgress, WorkerReply, WorkerTask } from './job-types.ts';
import { exposeProgress } from './progress-port.ts';

/**
 * The worker's module (src/runs/worker.ts, named by path: the pool does not import it). Compiled
 * (the package's dist/), it is dist/runs/worker.js; run from the TypeScript sources (tests, tsx), a
 * small .mjs registers tsx first. Resolved when a pool
 * starts, not at load, so that importing the library never touches the file system layout.
 */
export function workerFile(): string {
  return import.meta.url.endsWith('.ts')
    ? fileURLToPath(new URL('../../workers/shard-worker.mjs', import.meta.url))
    : fileURLToPath(new URL('../runs/worker.js', import.meta.url));
}

export interface PoolOptions {
  /** Number of tasks run at once, each on its own worker thread (default: the number of cores). */
  readonly workers?: number;
  /** Limits of each worker thread (e.g. maxOldGenerationSizeMb); a different value means a new pool. */
  readonly resourceLimits?: ResourceLimits;
}

export interface RunTasksOptions<R> extends PoolOptions {
  readonly count: number;
  /** The message for task `index` on try `attempt` (0, then 1 for the retry). */
  task(index: number, attempt: number): WorkerTask;
  /** A finished task's value, in completion order. */
  onResult(index: number, value: R): void;
  /** A task that failed for good: 'continue' with the other tasks, or 'stop' the job. */
  onFailure(index: number, error: WorkerFaultError, attempts: number): 'continue' | 'stop';
  /** A run task's progress, from its worker through a comlink port (progress-port.ts). */
  onProgress?(index: number, progress: RunProgress): void;
  /** A failed try that will be retried. */
  onRetry?(index: number, error: WorkerFaultError): void;
  /** Retries of a failed task (default 1). */
  readonly retries?: number;
  /**
   * Wall-clock limit of task `index` in ms (undefined: none). A task past it has its worker ended
   * (the pool replaces it) and fails with ERR_RUN_TIMEOUT, without a retry.
   */
  timeoutMs?(index: number): number | undefined;
  readonly signal?: AbortSignal;
  /** Names the job in an InterruptedError (default 'the job'). */
  readonly what?: string;
}

/** The default number of workers: the cores Node may use. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/** Checks a `workers` option (from the API or `--workers`). */
export function resolveWorkers(workers: unknown, name = 'workers'): number {
  if (workers === undefined) return defaultWorkers();
  if (typeof workers === 'string' && /^\s*\d+\s*$/.test(workers)) workers = Number(workers);
  if (typeof workers !== 'number' || !Number.isInteger(workers) || workers < 1 || workers > 1024) {
    throw new InvalidArgumentError(name, workers, 'an integer from 1 to 1024 (the number of worker threads)');
  }
  return workers;
}

/**
 * Runs tasks 0..count-1 on the pool, at most `workers` at once. Resolves when every task has
 * finished or failed for good with 'continue'; rejects with the failure that said 'stop', or with
 * InterruptedError when the signal aborted the job.
 */
export async function runTasks<R>(options: RunTasksOptions<R>): Promise<void> {
  const workers = resolveWorkers(options.workers);
  const retries = options.retries ?? 1;
  if (options.signal?.aborted) throw new InterruptedError(options.what ?? 'the job');
  if (options.count === 0) return; // no pool to start for nothing
  const entry = acquirePool(workers, options.resourceLimits);
  const stop = new AbortController();
  let stopError: Error | null = null;
  const onOuterAbort = () => stop.abort(new InterruptedError(options.what ?? 'the job'));
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let next = 0;
  entry.active++;
  activeJobs.add(stop);

  const halt = (error: Error) => {
    stopError ??= error;
    stop.abort(error);
  };
  const runOne = async (index: number): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      let fault!: WorkerFaultError; // set on every path that reaches the retry below
      let reply: WorkerReply<R> | undefined;
      const limitMs = options.timeoutMs?.(index);
      const timer = limitMs === undefined ? undefined : AbortSignal.timeout(limitMs);
      try {
        const signal = timer ? AbortSignal.any([stop.signal, timer]) : stop.signal;
        let task = options.task(index, attempt);
        // A run's progress (and whether it was cancelled or timed out) on a comlink port moved
        // to the worker with the task (progress-port.ts).
        const onProgress = options.onProgress;
        const channel =
          onProgress && task.kind === 'run'
            ? exposeProgress({ progress: (p) => onProgress(index, p), cancelled: () => signal.aborted })
            : null;
        if (channel && task.kind === 'run') task = { ...task, port: channel.port };
        reply = (await entry.pool
          .run(task, { signal, transferList: channel ? [channel.port as never] : undefined })
          .finally(() => channel?.close())) as WorkerReply<R>;
      } catch (error) {
        if (stop.signal.aborted) return; // the job is stopping; this task's outcome no longer matters
        fault = timer?.aborted ? timeoutFault(limitMs!) : poolFault(error);
      }
      if (reply !== undefined) {
        if (stop.signal.aborted) return;
        // Outside the try: an error of the callback (the main thread's write failing) is not the
        // worker's fault, and must stop the job rather than be retried as one.
        if (reply.ok) {
          options.onResult(index, reply.value);
          return;
        }
        fault = fromWorkerErrorInfo(reply.error as WorkerErrorInfo);
      }
      if (attempt < retries && !fault.deterministic) {
        options.onRetry?.(index, fault);
        continue;
      }
      if (options.onFailure(index, fault, attempt + 1) === 'stop') halt(fault);
      return;
    }
  };

  // A callback that throws stops the job with its error.
  const lane = async (): Promise<void> => {
    while (!stop.signal.aborted && next < options.count) {
      await runOne(next++).catch((error: unknown) => halt(error instanceof Error ? error : new Error(String(error))));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(workers, options.count) }, lane));
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
    activeJobs.delete(stop);
    entry.active--;
    if (entry !== current && entry.active === 0) void entry.pool.close();
  }
  if (stopError) throw stopError;
  if (stop.signal.aborted) throw stop.signal.reason instanceof Error ? stop.signal.reason : new InterruptedError(options.what ?? 'the job');
}

/** Starts the pool's workers (if needed) and waits until each has loaded its modules. */
export async function warmPool(options: PoolOptions = {}): Promise<number> {
  const workers = resolveWorkers(options.workers);
  const entry = acquirePool(workers, options.resourceLimits);
  const seen = new Set<number>();
  // A ping holds its worker for a moment, so that concurrent pings land on different threads.
  for (let round = 0; round < 8 && seen.size < entry.threads; round++) {
    const replies = await Promise.all(
      Array.from({ length: entry.threads }, () => entry.pool.run({ kind: 'ping', holdMs: 20 } satisfies WorkerTask)),
    );
    for (const r of replies as WorkerReply<{ threadId: number }>[]) if (r.ok) seen.add(r.value.threadId);
  }
  return seen.size;
}

/**
 * Ends the pool. Jobs still running on it stop with InterruptedError; their running tasks end
 * at once with force, else the workers finish them first.
 */
export async function closePool(options: { force?: boolean } = {}): Promise<void> {
  const entry = current;
  current = null;
  removeSigintListener();
  interruptJobs('the pool was closed');
  if (!entry) return;
  if (options.force) await entry.pool.destroy();
  else await entry.pool.close();
}

/** The pool's size now (0 when there is none). */
export function poolThreads(): number {
  return current?.threads ?? 0;
}

// ---------------------------------------------------------------------------------------------
// The one pool

interface PoolEntry {
  readonly pool: Piscina;
  readonly threads: number;
  readonly limitsKey: string;
  /** Jobs running on it: a replaced pool closes once its last job is done. */
  active: number;
}

let current: PoolEntry | null = null;

/** The stop switches of the jobs running now (runTasks), for closePool and SIGINT. */
const activeJobs = new Set<AbortController>();

function interruptJobs(why: string): void {
  for (const job of activeJobs) if (!job.signal.aborted) job.abort(new InterruptedError(`the job (${why})`));
}

/**
 * The process's pool, with at least `workers` threads and the given limits. A job asking for more
 * threads or other limits replaces it; the old pool closes when its running jobs are done.
 */
function acquirePool(workers: number, resourceLimits: ResourceLimits | undefined): PoolEntry {
  const limitsKey = JSON.stringify(resourceLimits ?? {});
  if (current && current.threads >= workers && current.limitsKey === limitsKey) return current;
  const old = current;
  const threads = old && old.limitsKey === limitsKey ? Math.max(old.threads, workers) : workers;
  if (old && old.active === 0) void old.pool.close();
  const pool = new Piscina({
    filename: workerFile(),
    minThreads: threads,
    maxThreads: threads,
    concurrentTasksPerWorker: 1,
    resourceLimits,
  });
  // Piscina emits 'error' for a worker that fails with no task on it; the task path reports the
  // rest. Without a listener the event would throw.
  pool.on('error', () => {});
  current = { pool, threads, limitsKey, active: 0 };
  installSigintListener();
  return current;
}

/** A task past its time limit: deterministic enough that a retry would only double the wait. */
function timeoutFault(limitMs: number): WorkerFaultError {
  return new WorkerFaultError('ERR_RUN_TIMEOUT', `the run took longer than its time limit of ${limitMs / 1000} s (its worker was stopped)`, {
    deterministic: true,
  });
}

/** Piscina's rejection of a task whose worker died, as a WorkerFaultError. */
function poolFault(error: unknown): WorkerFaultError {
  const e = error as { code?: unknown; message?: unknown; name?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return new WorkerFaultError(code, `worker ran out of memory (${message})`);
  }
  const exited = /worker exited with code:?\s*(-?\d+)/i.exec(message);
  if (exited) return new WorkerFaultError('ERR_WORKER_EXITED', `worker exited with code ${exited[1]}`);
  return new WorkerFaultError(code ?? 'ERR_WORKER_FAILED', `worker failed: ${message}`);
}

// ---------------------------------------------------------------------------------------------
// SIGINT

let sigintListener: (() => void) | null = null;

function installSigintListener(): void {
  if (sigintListener) return;
  sigintListener = () => {
    // Another listener owns Ctrl-C (it aborts its jobs and closes the pool itself).
    if (process.listenerCount('SIGINT') > 1) return;
    const entry = current;
    current = null;
    removeSigintListener();
    interruptJobs('SIGINT');
    // With no listener left, the signal's default action ends the process and its threads.
    void entry?.pool.destroy();
    process.kill(process.pid, 'SIGINT');
  };
  process.on('SIGINT', sigintListener);
}

function removeSigintListener(): void {
  if (sigintListener) process.removeListener('SIGINT', sigintListener);
  sigintListener = null;
}
