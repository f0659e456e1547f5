/**
 * The worker thread of the pool (parallel/pool.ts): Piscina calls the default export with each
 * task. It is the top of the worker's import graph, so it installs the built-in run kinds here.
 * From the package this is the compiled dist/runs/worker.js; in a checkout, where the sources are
 * TypeScript, workers/shard-worker.mjs registers tsx first and re-exports this.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import type { WorkerTask } from '../parallel/job-types.ts';
import { handleTask } from '../parallel/worker-task.ts';
import { installBuiltinRunKinds } from './builtin.ts';

installBuiltinRunKinds();

export default async function shardWorker(task: WorkerTask): Promise<unknown> {
  const { reply, transfer } = await handleTask(task);
  // Float64Array results travel by transfer: their buffers move to the main thread, not copied.
  return transfer.length > 0 ? move({ [transferableSymbol]: transfer, [valueSymbol]: reply }) : reply;
}
