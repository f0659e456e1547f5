/**
 * What travels through Redis: a job's data (a run of an `aca batch` file, or one shard of a batch
 * gradient / solve), its result, and its error. All plain JSON: BullMQ stores data and results
 * with JSON.stringify, which writes every finite double in the shortest form that reads back to
 * the same bits (ECMA-262 Number::toString), so run results cross the queue exactly. A shard's
 * Float64Arrays go as base64 of their bytes ({ f64: ... }): exact for -0, NaN and infinities too,
 * which JSON would turn into 0 and null, and a third of the size.
 *
 * A failure is stored by BullMQ as a message string; the worker writes it as `[CODE] message`
 * so that the result line keeps the error's code, as a local batch's does.
 */
import type { RunSpec, ShardResult, ShardTask } from '../parallel/job-types.ts';

/** Tries of a job: the first and one retry, as a local batch (pool.ts runTasks). */
export const JOB_ATTEMPTS = 2;

export interface RunJobData {
  readonly kind: 'run';
  readonly runId: string | number;
  readonly run: RunSpec;
  /** Time limit of a run without its own `timeoutSeconds` (`aca batch --timeout`). */
  readonly timeoutSeconds?: number;
  /** aca-ode version of the submitter (version.ts). */
  readonly version: string;
}

export interface ShardJobData {
  readonly kind: 'shard';
  /** The shard task without its attempt (the worker sets it from BullMQ's attemptsMade). */
  readonly task: Omit<ShardTask, 'attempt'>;
  readonly version: string;
}

export type QueueJobData = RunJobData | ShardJobData;

/** A shard result as JSON: its Float64Arrays as { f64: base64 of their bytes }. */
export function encodeShardResult(result: ShardResult): unknown {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(result)) {
    out[key] = value instanceof Float64Array ? { f64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') } : value;
  }
  return out;
}

export function decodeShardResult(json: unknown): ShardResult {
  const out: Record<string, unknown> = { ...(json as Record<string, unknown>) };
  for (const [key, value] of Object.entries(out)) {
    const f64 = (value as { f64?: unknown } | null)?.f64;
    if (typeof f64 === 'string') {
      const bytes = Buffer.from(f64, 'base64');
      // A copy into its own buffer: Buffer.from may share a pool whose offset is not 8-aligned.
      const array = new Float64Array(bytes.length / 8);
      new Uint8Array(array.buffer).set(bytes);
      out[key] = array;
    }
  }
  return out as unknown as ShardResult;
}

/** An error as BullMQ's failedReason: `[CODE] message`. */
export function failedReasonOf(code: string, message: string): string {
  return `[${code}] ${message}`;
}

/** A failedReason read back: its code (ERR_JOB_FAILED when it has none, e.g. BullMQ's own). */
export function errorOfFailedReason(reason: string | undefined): { code: string; message: string } {
  const m = /^\[([A-Z0-9_]+)\] ([\s\S]*)$/.exec(reason ?? '');
  if (m) return { code: m[1], message: m[2] };
  if (reason && /stalled/i.test(reason)) return { code: 'ERR_JOB_STALLED', message: reason };
  return { code: 'ERR_JOB_FAILED', message: reason || 'the job failed' };
}
