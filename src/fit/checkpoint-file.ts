/**
 * Fit checkpoints in files (Node): the file store that `aca fit` uses, and the problem hash that
 * keys a checkpoint to its spec and data (sha256 through node:crypto). The checkpoint's format is
 * in checkpoint.ts.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { DataTable } from '../io/csv.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import type { Spec } from '../spec/schema.ts';
import { canonicalJson, readCheckpointFrom, type CheckpointStore, type FitCheckpoint } from './checkpoint.ts';

/** Checkpoints as files, each written atomically (a crash leaves the previous one whole). */
export const fileCheckpointStore: CheckpointStore = {
  async read(file) {
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  },
  async write(file, text) {
    await writeFileAtomic(file, text);
  },
};

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

/** The checkpoint in `file`, or undefined if there is none. */
export function readCheckpoint(file: string): Promise<FitCheckpoint | undefined> {
  return readCheckpointFrom(fileCheckpointStore, file);
}

function nullIfNaN(v: number): number | null {
  return Number.isNaN(v) ? null : v;
}
