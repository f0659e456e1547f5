/**
 * The fit's checkpoint: everything the loop needs to go on exactly where it stopped (theta, the
 * optimizer's state, the loss and gradient there, the loss history), keyed by a hash of the spec
 * and the data, so that a checkpoint is never applied to a different problem. JSON numbers
 * round-trip doubles exactly, so a resumed fit repeats the uninterrupted one bit for bit.
 */
import { AcaError } from '../errors.ts';
import type { AdamState } from './adam.ts';
import type { LBFGSState } from './lbfgs.ts';

export const CHECKPOINT_FORMAT = 'aca-ode/fit-checkpoint@1';
/** What version 0.1 wrote (with version: 1); still read, so that a fit started then resumes. */
const LEGACY_CHECKPOINT_FORMAT = 'aca-fit-checkpoint';
export const CHECKPOINT_VERSION = 1;

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
  readonly method: 'adam' | 'lbfgs';
  /** Iterations completed. */
  readonly iteration: number;
  readonly theta: number[];
  /** L-BFGS: the loss and gradient at theta (Adam evaluates them again on resume). */
  readonly loss: number | null;
  readonly gradient: number[] | null;
  readonly optimizer: AdamState | LBFGSState;
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
  if ((format !== CHECKPOINT_FORMAT && format !== LEGACY_CHECKPOINT_FORMAT) || value.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(file, `not an aca fit checkpoint (version ${CHECKPOINT_VERSION}); delete it to start over`);
  }
  return value;
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
