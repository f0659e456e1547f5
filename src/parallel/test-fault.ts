/**
 * Test faults: a way for tests to make a worker fail on purpose (throw, process.exit, run out of
 * heap) at a chosen point, to check retries and fault reporting. Internal: no entry exports this
 * module and the public job types have no `testFault`; a job carries one only as an extra field,
 * and it fires only when the environment says so (ACA_TEST_FAULTS=1, set by vitest.config.ts), so
 * that a stray field in a user's batch file cannot end their process.
 */
import { isMainThread, resourceLimits } from 'node:worker_threads';
import { InvalidArgumentError } from '../errors.ts';
import type { BatchJob, RunSpec, ShardJob, ShardTask } from './job-types.ts';

export interface TestFault {
  readonly kind: 'throw' | 'exit' | 'oom' | 'hang';
  readonly shard: number | 'all';
  /** Index inside the shard of the trajectory where it fails (default: the middle one). */
  readonly at?: number;
  /** Fails the first `attempts` tries (default 1, so the retry succeeds), or every try. */
  readonly attempts?: number | 'always';
}

export interface RunTestFault {
  readonly kind: 'throw' | 'exit' | 'oom' | 'hang';
  readonly attempts?: number | 'always';
}

/** A batch job with a test fault (tests only). */
export type FaultyBatchJob = BatchJob & { readonly testFault?: TestFault };
/** A run of a batch file with a test fault (tests only). */
export type FaultyRunSpec = RunSpec & { readonly testFault?: RunTestFault };

export function testFaultsEnabled(): boolean {
  return process.env.ACA_TEST_FAULTS === '1';
}

/** A run's test fault ({ kind, attempts? }), fired after its work and before its reply. */
export function maybeRunFault(run: RunSpec, attempt: number): void {
  const fault = (run as FaultyRunSpec).testFault;
  if (!fault || isMainThread || !testFaultsEnabled()) return;
  const attempts = fault.attempts ?? 1;
  if (attempts === 'always' || attempt < attempts) triggerTestFault(fault.kind, `run ${JSON.stringify(run.id)}`);
}

/**
 * Test faults (job.testFault, reserved for tests): inside a worker thread only, never on the main
 * thread, the shard `fault.shard` (or every shard with 'all') fails at its trajectory `fault.at`
 * (default: the middle one) on its first `fault.attempts` tries (default 1; 'always': every try).
 *   throw: throws an Error;  exit: process.exit(3), which in a worker ends that thread only;
 *   hang: loops forever (for the per-run timeout);
 *   oom: allocates until the thread hits its heap limit (only under a pool with resourceLimits of
 *   at most 512 MiB, so that a mistake cannot eat the machine's memory).
 */
export function maybeShardFault(job: ShardJob, task: ShardTask, i: number): void {
  const fault = (job as FaultyBatchJob).testFault;
  if (!fault || isMainThread || !testFaultsEnabled()) return;
  if (fault.shard !== 'all' && fault.shard !== task.shard) return;
  const at = fault.at ?? Math.floor(task.trajectories.length / 2);
  if (i !== Math.min(at, task.trajectories.length - 1)) return;
  const attempts = fault.attempts ?? 1;
  if (attempts !== 'always' && task.attempt >= attempts) return;
  triggerTestFault(fault.kind, `shard ${task.shard} at trajectory ${task.first + i} (attempt ${task.attempt + 1})`);
}

/** Makes the calling worker fail in the way a test asked for (see maybeShardFault). */
export function triggerTestFault(kind: TestFault['kind'], where: string): void {
  switch (kind) {
    case 'throw':
      throw new Error(`test fault: ${where} threw`);
    case 'exit':
      process.exit(3);
    case 'hang':
      // Busy, not waiting: a timeout must be able to stop a worker that never yields.
      for (;;);
    case 'oom': {
      const limit = resourceLimits.maxOldGenerationSizeMb;
      if (!(limit !== undefined && limit > 0 && limit <= 512)) {
        throw new Error('test fault oom needs a pool with resourceLimits.maxOldGenerationSizeMb <= 512');
      }
      const hog: number[][] = [];
      for (;;) hog.push(new Array(1 << 20).fill(hog.length + 0.5));
    }
    default:
      throw new InvalidArgumentError('testFault.kind', kind, "'throw', 'exit', 'oom' or 'hang'");
  }
}
