/**
 * Reading an input file whole, bounded: a device (/dev/zero never ends), a FIFO or a file larger
 * than `maxBytes` is refused before any byte is read, so that no input path can exhaust memory.
 * Failures are InputFileErrors whose message reads after "cannot read FILE: ".
 */
import { readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';

export class InputFileError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export async function readTextFile(file: string, maxBytes: number): Promise<string> {
  try {
    checkSize(await stat(file), maxBytes);
    return await readFile(file, 'utf8');
  } catch (error) {
    throw asInputError(error);
  }
}

export function readTextFileSync(file: string, maxBytes: number): string {
  try {
    checkSize(statSync(file), maxBytes);
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw asInputError(error);
  }
}

function checkSize(stats: { isFile(): boolean; isDirectory(): boolean; size: number }, maxBytes: number): void {
  if (stats.isDirectory()) throw new InputFileError('EISDIR', 'is a directory');
  if (!stats.isFile()) throw new InputFileError('ENOTREG', 'not a regular file');
  if (stats.size > maxBytes) throw new InputFileError('ETOOBIG', `${stats.size} bytes, more than the limit of ${maxBytes}`);
}

function asInputError(error: unknown): InputFileError {
  if (error instanceof InputFileError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
  const words: Record<string, string> = { ENOENT: 'no such file', EISDIR: 'is a directory', EACCES: 'permission denied' };
  return new InputFileError(code, Object.hasOwn(words, code) ? words[code] : (error as Error).message);
}
