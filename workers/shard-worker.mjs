// The worker thread of the pool (src/parallel/pool.ts). Plain node cannot load .ts files, so this
// file registers tsx's loader (as bin/aca.mjs does) and then imports the TypeScript handler; the
// work itself lives in importable modules (src/parallel/worker-task.ts).
import { register } from 'tsx/esm/api';
import { move, transferableSymbol, valueSymbol } from 'piscina';

register();
const { handleTask } = await import('../src/parallel/worker-task.ts');

export default async function shardWorker(task) {
  const { reply, transfer } = await handleTask(task);
  // Float64Array results travel by transfer: their buffers move to the main thread, not copied.
  return transfer.length > 0 ? move({ [transferableSymbol]: transfer, [valueSymbol]: reply }) : reply;
}
