/**
 * Atomic file writes: the content goes to a temporary file in the same folder, which is then
 * renamed over the target (rename within one file system is atomic on POSIX). A reader sees the
 * old file or the new one, never half of one; a failure or an interrupt leaves the old file (or
 * none) and removes the temporary file.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, lstatSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AcaError } from '../errors.ts';

/**
 * A file that could not be written: names the file (not the temporary one) and the errno. A path
 * that cannot be a file (through a file, onto a folder) is bad input; a full disk or a read-only
 * file system is a failure.
 */
export class OutputWriteError extends AcaError {
  readonly file: string;
  readonly errno?: string;
  readonly badPath: boolean;
  constructor(file: string, cause: unknown) {
    const errno = (cause as NodeJS.ErrnoException)?.code;
    const detail = errno ? `${errno}: ${ERRNO_WORDS[errno] ?? 'system error'}` : String((cause as Error)?.message ?? cause);
    super('ERR_OUTPUT', `cannot write '${file}' (${detail})`);
    this.file = file;
    this.errno = errno;
    this.badPath = errno === undefined || errno === 'ENOTDIR' || errno === 'EISDIR' || errno === 'EEXIST' || errno === 'ENAMETOOLONG';
  }
}

const ERRNO_WORDS: Readonly<Record<string, string>> = Object.freeze(Object.assign(Object.create(null), {
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a part of the path is a file, not a folder',
  ENOENT: 'no such folder',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'the name is too long',
  EIO: 'input/output error',
}));

/** Creates `folder` (and its parents) for output, as OutputWriteError on failure. */
export async function makeOutputFolder(folder: string): Promise<void> {
  try {
    await mkdir(folder, { recursive: true });
  } catch (error) {
    throw new OutputWriteError(folder, error);
  }
}

/**
 * Refuses a target that exists and is not a regular file: the rename would replace a device
 * (/dev/null, as root) or a FIFO with a plain file.
 */
export function checkRegularTarget(file: string): void {
  let stats;
  try {
    stats = lstatSync(file);
  } catch {
    return; // absent (or unreadable: the write itself will say why)
  }
  if (stats.isDirectory()) throw new OutputWriteError(file, Object.assign(new Error('is a folder'), { code: 'EISDIR' }));
  if (!stats.isFile()) throw new OutputWriteError(file, new Error('not a regular file; give a file path, or - for stdout'));
}

/** Writes `content` to `file` atomically. */
export async function writeFileAtomic(file: string, content: string | Uint8Array): Promise<void> {
  checkRegularTarget(file);
  try {
    await writeAtomic(file, content);
  } catch (error) {
    throw new OutputWriteError(file, error);
  }
  removeStaleTemps(file);
}

async function writeAtomic(file: string, content: string | Uint8Array): Promise<void> {
  const temp = tempName(file);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** The same, synchronously (for exit paths where the event loop may not run again). */
export function writeFileAtomicSync(file: string, content: string | Uint8Array): void {
  checkRegularTarget(file);
  try {
    writeAtomicSync(file, content);
  } catch (error) {
    throw new OutputWriteError(file, error);
  }
  removeStaleTemps(file);
}

function writeAtomicSync(file: string, content: string | Uint8Array): void {
  const temp = tempName(file);
  try {
    const fd = openSync(temp, 'wx');
    try {
      const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * Removes the temporary files of `file` left by processes that no longer run (a kill -9 between
 * creating one and renaming it). Best effort: a failure here never fails the write.
 */
export function removeStaleTemps(file: string): void {
  const folder = dirname(file);
  const prefix = `.${basename(file)}.`;
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const match = /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name.slice(prefix.length));
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || isRunning(pid)) continue;
    try {
      rmSync(join(folder, name), { force: true });
    } catch {
      // Left for the next write.
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `.name.<pid>.<random>.tmp` next to the target: same folder, so the rename stays on one device. */
function tempName(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}
