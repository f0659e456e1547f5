/**
 * aca-ode/node: everything in the main entry (aca-ode), plus what needs Node: spec and data
 * files, fit checkpoints and fitted models as files, atomic writes, the worker pool, batches and
 * `aca batch` run files, the pool-backed time-series evaluator, and batches on a BullMQ queue (src/queue).
 */
export * from './index.ts';
export { loadSpec, loadProblem, type LoadedProblem, type LoadOptions } from './spec/load.ts';
export { writeFileAtomic, writeFileAtomicSync } from './io/atomic.ts';
export { fileCheckpointStore, fitHash, readCheckpoint } from './fit/checkpoint-file.ts';
export { saveFittedModel, loadFittedModel } from './timeseries/model-file.ts';
export {
  batchGradient,
  batchSolve,
  cutShards,
  DEFAULT_SHARD_SIZE,
  type BatchJob,
  type BatchTrajectory,
  type BatchSolverOptions,
  type BatchOptions,
  type BatchStats,
  type BatchGradientResult,
  type BatchSolveResult,
} from './parallel/batch.ts';
export { warmPool, closePool, defaultWorkers, resolveWorkers, type PoolOptions } from './parallel/pool.ts';
export { runBatchFile, type BatchRunsOptions, type BatchRunsSummary, type BatchRunsProgress, type RunLine } from './parallel/batch-runs.ts';
export { registerRunKind, type RunSpec, type RunRunner, type RunContext, type RunProgress } from './parallel/run-spec.ts';
export { ShardFailedError, WorkerFaultError, InterruptedError } from './parallel/errors.ts';
export { runBatchOnQueue, type QueueBatchOptions, type QueueBatchSummary } from './queue/collector.ts';
export { queueShards } from './queue/shards.ts';
export { startQueueWorker, type QueueWorker, type QueueWorkerOptions } from './queue/worker.ts';
export { DEFAULT_QUEUE_NAME, redisUnreachable, type QueueTarget } from './queue/connection.ts';
export { runJobId } from './queue/job-id.ts';
export { poolEvaluator, type PoolEvaluatorOptions } from './timeseries/pool-evaluator.ts';
export { runTimeSeriesJob, TIMESERIES_FILES, type TimeSeriesJob, type TimeSeriesJobResult } from './timeseries/job.ts';
