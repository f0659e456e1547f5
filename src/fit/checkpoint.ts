/**
 * The fit's checkpoint: everything the loop needs to go on exactly where it stopped (theta, the
 * optimizer's state, the loss and gradient there, the loss history), keyed by a hash of the spec
 * and the data, so that a checkpoint is never applied to a different problem. JSON numbers
 * round-trip doubles exactly, so a resumed fit repeats the uninterrupted one bit for bit.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AcaError } from '../errors.ts';
import type { DataTable } from '../io/csv.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import type { Spec } from '../spec/schema.ts';
import type { AdamState } from './adam.ts';
import type { LBFGSState } from './lbfgs.ts';
import type { LMState } from './least-squares.ts';

export const CHECKPOINT_FORMAT = 'aca-fit-checkpoint';
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
 * Hash of what determines a fit's path: the spec (less optimizer.iterations, so that a fit can be
 * resumed with more of them, and less the data file's name) and the data's numbers.
 */
export function fitHash(spec: Spec, data?: DataTable): string {
  const { data: _file, optimizer, ...rest } = spec;
  const { iterations: _iterations, ...optimizerRest } = optimizer ?? {};
  const key = {
    spec: { ...rest, optimizer: optimizerRest },
    data: data ? { times: Array.from(data.times), columns: data.columns, values: Array.from(data.values, nullIfNaN) } : null,
  };
  return createHash('sha256').update(canonicalJson(key)).digest('hex');
}

export async function writeCheckpoint(file: string, checkpoint: FitCheckpoint): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(checkpoint) + '\n');
}

/** The checkpoint in `file`, or undefined if there is none. */
export async function readCheckpoint(file: string): Promise<FitCheckpoint | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CheckpointError(file, (error as Error).message);
  }
  let value: FitCheckpoint;
  try {
    value = JSON.parse(text) as FitCheckpoint;
  } catch (error) {
    throw new CheckpointError(file, `not JSON (${(error as Error).message}); delete it to start over`);
  }
  if (value?.format !== CHECKPOINT_FORMAT || value.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(file, `not an aca fit checkpoint (version ${CHECKPOINT_VERSION}); delete it to start over`);
  }
  return value;
}

function nullIfNaN(v: number): number | null {
  return Number.isNaN(v) ? null : v;
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
