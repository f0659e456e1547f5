/**
 * Atomic file writes: the content goes to a temporary file in the same folder, which is then
 * renamed over the target (rename within one file system is atomic on POSIX). A reader sees the
 * old file or the new one, never half of one; a failure or an interrupt leaves the old file (or
 * none) and removes the temporary file.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Writes `content` to `file` atomically. */
export async function writeFileAtomic(file: string, content: string | Uint8Array): Promise<void> {
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

/** `.name.<random>.tmp` next to the target: same folder, so the rename stays on one device. */
function tempName(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}
