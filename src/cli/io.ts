/**
 * Where a command writes: stdout for results, stderr for progress and messages. main() takes them
 * as arguments so that tests can run commands in-process and read what they wrote.
 */
import { dirname } from 'node:path';
import { makeOutputFolder, writeFileAtomic } from '../io/atomic.ts';
import type { ProgressStream } from './progress.ts';

export interface CliIO {
  readonly stdout: ProgressStream;
  readonly stderr: ProgressStream;
}

export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr };
}

/** Writes a command's result to `file` atomically (creating its folder), or to stdout. */
export async function writeResult(io: CliIO, file: string | undefined, content: string): Promise<void> {
  if (file === undefined || file === '-') {
    io.stdout.write(content);
    return;
  }
  await makeOutputFolder(dirname(file));
  await writeFileAtomic(file, content);
}
