/**
 * The data that travels between the main thread and the workers: a batch job (plain JSON, so that
 * it can also sit in files), a shard of one, a run of an `aca batch` file, and the replies. In a
 * module of their own so that batch.ts, run-shard.ts, run-spec.ts, worker-task.ts and pool.ts all
 * depend on these types and none of them on another for its types.
 */
import type { MessagePort } from 'node:worker_threads';
import type { FieldSpec } from '../fields/field.ts';
import type { GradientSettings } from '../gradients/settings.ts';
import type { JsonSeries, LossSpec } from '../losses/registry.ts';
import type { SolveOptions } from '../solvers/options.ts';
import type { WorkerErrorInfo, WorkerFaultError } from './errors.ts';

/** Solver options of a job: plain JSON, so no events or dense saving; `times` is required. */
export type BatchSolverOptions = Omit<SolveOptions, 'params' | 'times' | 'save' | 'events'> & { readonly times: ArrayLike<number> };

export interface BatchTrajectory {
  readonly y0: ArrayLike<number>;
  /** This trajectory's parameters (default: job.params). */
  readonly params?: ArrayLike<number>;
  /** This trajectory's observations for a 'squared_error' loss (K x m, flat or rows). */
  readonly target?: JsonSeries;
}

export interface BatchJob {
  readonly field: FieldSpec;
  readonly solver: BatchSolverOptions;
  /** Parameters shared by the trajectories (length field.nParams). */
  readonly params?: ArrayLike<number>;
  /** Needed by batchGradient: e.g. { kind: 'sum_squares', components: [0, 1, 2] }. */
  readonly loss?: LossSpec;
  /** How the gradient is computed (default { method: 'aca' }). */
  readonly gradient?: GradientSettings;
  readonly trajectories: readonly BatchTrajectory[];
}

/** One shard as it travels to a worker: the job without its trajectories, and its own slice. */
export interface ShardTask {
  readonly kind: 'shard';
  /** 'gradient': loss and gradients; 'solve': the outputs only. */
  readonly mode: 'gradient' | 'solve';
  readonly job: ShardJob;
  readonly shard: number;
  /** Index in the whole batch of this shard's first trajectory. */
  readonly first: number;
  readonly trajectories: readonly BatchTrajectory[];
  /** 0 for the first try, 1 for the retry (test faults use it to fail only the first try). */
  readonly attempt: number;
}

/** A job without its trajectories, plus the hash of its field spec. */
export type ShardJob = Omit<BatchJob, 'trajectories'> & { readonly fieldKey?: string };

export interface ShardStats {
  trajectories: number;
  accepted: number;
  rejected: number;
  fEvals: number;
  vjpEvals: number;
  checkpoints: number;
  /** The largest peak storage of one trajectory's gradient method, in bytes. */
  peakBytes: number;
  /** Milliseconds of work in the thread that ran the shard. */
  ms: number;
}

export interface ShardResult {
  readonly shard: number;
  readonly count: number;
  /** Sum of the trajectories' losses, in order (0 in solve mode). */
  readonly loss: number;
  /** Per trajectory: loss (count), dL/dy0 (count x d); dL/dp summed (P). Empty in solve mode. */
  readonly losses: Float64Array;
  readonly dy0: Float64Array;
  readonly dp: Float64Array;
  /** Solve mode: the outputs, count x K x d; empty in gradient mode. */
  readonly outputs: Float64Array;
  readonly stats: ShardStats;
}

/**
 * Runs a batch's shards somewhere other than this process's pool: BatchOptions.queue, made by
 * queueShards (src/queue/shards.ts) for the `aca worker` processes of a BullMQ queue. Passed in,
 * so that parallel/ does not depend on queue/. Resolves with the first shard that failed for
 * good, if any.
 */
export interface ShardRunner {
  runShards(options: {
    readonly count: number;
    task(index: number): Omit<ShardTask, 'attempt'>;
    onResult(index: number, result: ShardResult): void;
    readonly signal?: AbortSignal;
  }): Promise<{ failure: { readonly index: number; readonly attempts: number; readonly error: WorkerFaultError } | null; retries: number }>;
}

export interface RunTask {
  readonly kind: 'run';
  /** The run as parsed from its line. */
  readonly run: RunSpec;
  readonly attempt: number;
  /** The worker's end of a progress channel (progress-port.ts), transferred with the task. */
  readonly port?: MessagePort;
}

export interface RunSpec {
  readonly id?: string | number;
  readonly kind: string;
  readonly [key: string]: unknown;
}

/** What a run reports while it runs; every field but elapsedMs is optional. */
export interface RunProgress {
  /** A fit's iteration and its planned number of iterations. */
  readonly iteration?: number;
  readonly iterations?: number;
  readonly loss?: number;
  /** Work units done (a grad or solve run: trajectories done; a fit: loss evaluations). */
  readonly steps?: number;
  readonly total?: number;
  /** Since the run started in its worker. */
  readonly elapsedMs: number;
}

/** A run's view of its caller: report progress, and a signal that aborts when the caller cancels. */
export interface RunContext {
  progress(progress: Omit<RunProgress, 'elapsedMs'>): void;
  readonly signal?: AbortSignal;
}

/** Computes a run's JSON result; throws to fail it. `context` reports progress (optional). */
export type RunRunner = (run: RunSpec, context: RunContext) => unknown | Promise<unknown>;

export interface PingTask {
  readonly kind: 'ping';
  /** Keep the worker busy this long, so that concurrent pings reach different workers. */
  readonly holdMs?: number;
}

export type WorkerTask = ShardTask | RunTask | PingTask;

export type WorkerReply<R> =
  | { readonly ok: true; readonly value: R }
  | { readonly ok: false; readonly error: WorkerErrorInfo };
