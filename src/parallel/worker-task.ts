/**
 * What a worker thread does with a message: a shard of a batch job (run-shard.ts), one run of an
 * `aca batch` file (run-spec.ts), or a ping (warmPool). Every reply is data: { ok, value } or
 * { ok: false, error } with the error as plain fields (errors.ts), so that the main thread keeps
 * its code and knows whether a retry can help. The Float64Arrays of a reply are listed in
 * `transfer`; the worker file moves their buffers instead of copying them.
 */
import { threadId } from 'node:worker_threads';
import { toWorkerErrorInfo } from './errors.ts';
import type { WorkerReply, WorkerTask } from './job-types.ts';
import { progressContext } from './progress-port.ts';
import { runShard } from './run-shard.ts';
import { runSpec } from './run-spec.ts';

export type { PingTask, WorkerReply, WorkerTask } from './job-types.ts';


export async function handleTask(task: WorkerTask): Promise<{ reply: WorkerReply<unknown>; transfer: ArrayBuffer[] }> {
  try {
    const value = await perform(task);
    return { reply: { ok: true, value }, transfer: buffersOf(value) };
  } catch (error) {
    return { reply: { ok: false, error: toWorkerErrorInfo(error) }, transfer: [] };
  }
}

async function perform(task: WorkerTask): Promise<unknown> {
  switch (task?.kind) {
    case 'shard':
      return runShard(task);
    case 'run': {
      if (!task.port) return runSpec(task);
      // Progress and cancel go through comlink on the port the task brought (progress-port.ts).
      const { context, release } = progressContext(task.port);
      try {
        return await runSpec(task, context);
      } finally {
        release();
      }
    }
    case 'ping':
      if (task.holdMs) await new Promise((resolve) => setTimeout(resolve, task.holdMs));
      return { threadId };
    default:
      throw new Error(`unknown worker task kind ${JSON.stringify((task as { kind?: unknown })?.kind)}`);
  }
}

/** The distinct ArrayBuffers behind the Float64Arrays among a value's own fields. */
function buffersOf(value: unknown): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) {
      if (v instanceof Float64Array && v.buffer instanceof ArrayBuffer && v.buffer.byteLength > 0) buffers.add(v.buffer);
    }
  }
  return [...buffers];
}
