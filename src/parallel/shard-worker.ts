/**
 * The worker thread of the pool (pool.ts): Piscina calls the default export with each task. From
 * the package this is the compiled dist/parallel/shard-worker.js; in a checkout, where the
 * sources are TypeScript, workers/shard-worker.mjs registers tsx first and re-exports this.
 * The work itself lives in importable modules (worker-task.ts).
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { handleTask, type WorkerTask } from './worker-task.ts';

export default async function shardWorker(task: WorkerTask): Promise<unknown> {
  const { reply, transfer } = await handleTask(task);
  // Float64Array results travel by transfer: their buffers move to the main thread, not copied.
  return transfer.length > 0 ? move({ [transferableSymbol]: transfer, [valueSymbol]: reply }) : reply;
}
