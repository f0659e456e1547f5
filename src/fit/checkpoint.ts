/**
 * The fit's checkpoint: everything the loop needs to go on exactly where it stopped (theta, the
 * optimizer's state, the loss and gradient there, the loss history), keyed by a hash of the spec
 * and the data, so that a checkpoint is never applied to a different problem. JSON numbers
 * round-trip doubles exactly, so a resumed fit repeats the uninterrupted one bit for bit.
 */
import { AcaError } from '../errors.ts';
import type { AdamState } from './adam.ts';
import type { LBFGSState } from './lbfgs.ts';
import type { LMState } from './least-squares.ts';

/**
 * Version 2 (the least-squares fitter: the optimizer's scale and LM's state). A version-1
 * checkpoint (this format at @1, or 'aca-fit-checkpoint' of version 0.1) is refused with a message:
 * its coordinates are unscaled, so resuming it would not repeat the fit it came from.
 */
export const CHECKPOINT_FORMAT = 'aca-ode/fit-checkpoint@2';
export const CHECKPOINT_VERSION = 2;

export interface FitCounters {
  evaluations: number;
  fEvals: number;
  vjpEvals: number;
  accepted: number;
  rejected: number;
  elapsedMs: number;
}

export interface FitCheckpoint {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly version: number;
  readonly hash: string;
  readonly method: 'adam' | 'lbfgs' | 'lm';
  /** Iterations completed. */
  readonly iteration: number;
  /** The optimizer's coordinates: theta / scale (fit.ts, "Scaling"). */
  readonly theta: number[];
  /** The per-value scale of the optimizer's coordinates (absent: all 1). */
  readonly scale?: number[];
  /** L-BFGS: the loss and gradient at theta (Adam and LM evaluate them again on resume). */
  readonly loss: number | null;
  readonly gradient: number[] | null;
  readonly optimizer: AdamState | LBFGSState | LMState;
  readonly history: number[];
  readonly counters: FitCounters;
  readonly written: string;
}

/** A checkpoint that cannot be read or belongs to another problem. */
export class CheckpointError extends AcaError {
  readonly file: string;
  constructor(file: string, cause: string) {
    super('ERR_CHECKPOINT', `checkpoint ${file}: ${cause}`);
    this.file = file;
  }
}

/**
 * Where checkpoints are kept: a file system in Node (checkpoint-file.ts, aca-ode/node), or
 * anything else a caller provides (a browser's storage). `read` gives undefined when there is none.
 * fit() is handed one rather than importing node:fs, so that the library bundles for a browser.
 */
export interface CheckpointStore {
  read(file: string): Promise<string | undefined>;
  write(file: string, text: string): Promise<void>;
}

/** A checkpoint's text, checked to be one of ours. */
export function parseCheckpoint(text: string, file: string): FitCheckpoint {
  let value: FitCheckpoint;
  try {
    value = JSON.parse(text) as FitCheckpoint;
  } catch (error) {
    throw new CheckpointError(file, `not JSON (${(error as Error).message}); delete it to start over`);
  }
  const format: string | undefined = value?.format;
  if (format !== CHECKPOINT_FORMAT || value.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(file, `not an aca fit checkpoint (version ${CHECKPOINT_VERSION}); delete it to start over`);
  }
  const problem = shapeProblem(value);
  if (problem !== undefined) throw new CheckpointError(file, `${problem}; delete it to start over`);
  return value;
}

/**
 * What is wrong with a checkpoint's fields, or undefined. A file with the right format and hash
 * may still be hand-edited or cut short: every field the loop reads is checked before it is used.
 */
function shapeProblem(c: FitCheckpoint): string | undefined {
  const numbers = (v: unknown, nullable = false) =>
    (nullable && v === null) || (Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x)));
  if (typeof c.hash !== 'string') return 'no "hash"';
  if (c.method !== 'adam' && c.method !== 'lbfgs' && c.method !== 'lm') return `"method" is ${JSON.stringify(c.method)}, not 'lm', 'lbfgs' or 'adam'`;
  if (!Number.isInteger(c.iteration) || c.iteration < 0) return `"iteration" is ${JSON.stringify(c.iteration)}, not an integer >= 0`;
  if (!numbers(c.theta)) return '"theta" is not a list of finite numbers';
  if (c.scale !== undefined && (!numbers(c.scale) || c.scale.length !== c.theta.length)) return '"scale" is not a list of finite numbers as long as theta';
  if (!(c.loss === null || (typeof c.loss === 'number' && Number.isFinite(c.loss)))) return '"loss" is not a finite number or null';
  if (!numbers(c.gradient, true) || (c.gradient !== null && c.gradient.length !== c.theta.length)) {
    return '"gradient" is not null or a list of finite numbers as long as theta';
  }
  if (!Array.isArray(c.history) || !c.history.every((x) => typeof x === 'number')) return '"history" is not a list of numbers';
  const counters = c.counters as unknown as Record<string, unknown> | null;
  if (counters === null || typeof counters !== 'object') return 'no "counters"';
  for (const key of ['evaluations', 'fEvals', 'vjpEvals', 'accepted', 'rejected', 'elapsedMs']) {
    if (typeof counters[key] !== 'number' || !Number.isFinite(counters[key])) return `"counters.${key}" is not a number`;
  }
  const o = c.optimizer as unknown as Record<string, unknown> | null;
  if (o === null || typeof o !== 'object' || o.kind !== c.method) return `"optimizer" is not the state of ${c.method}`;
  const n = c.theta.length;
  if (c.method === 'adam') {
    if (typeof o.lr !== 'number' || !Number.isInteger(o.t) || !numbers(o.m) || !numbers(o.v)) return '"optimizer" lacks lr, t, m or v';
    if ((o.m as number[]).length !== n || (o.v as number[]).length !== n) return '"optimizer.m" and "optimizer.v" are not as long as theta';
  } else if (c.method === 'lm') {
    if (typeof o.delta !== 'number' || typeof o.lambda !== 'number' || !numbers(o.D) || (o.D as number[]).length !== n) return '"optimizer" lacks delta, lambda or D as long as theta';
  } else {
    const pairs = (v: unknown) => Array.isArray(v) && v.every((row) => numbers(row) && (row as number[]).length === n);
    if (!pairs(o.s) || !pairs(o.y) || (o.s as unknown[]).length !== (o.y as unknown[]).length) return '"optimizer" lacks s or y pairs as long as theta';
  }
  return undefined;
}


/** The checkpoint in `file` of `store`, or undefined if there is none. */
export async function readCheckpointFrom(store: CheckpointStore, file: string): Promise<FitCheckpoint | undefined> {
  let text: string | undefined;
  try {
    text = await store.read(file);
  } catch (error) {
    throw new CheckpointError(file, (error as Error).message);
  }
  return text === undefined ? undefined : parseCheckpoint(text, file);
}

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
