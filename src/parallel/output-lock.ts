/**
 * An exclusive lock on a batch's results file: `RESULTS.jsonl.lock`, created with O_EXCL and
 * holding the holder's pid. A second `aca batch` on the same output finds it and refuses
 * (OutputLockedError) instead of running every run again into the same file.
 *
 * Stale locks: a batch killed with -9 leaves its lock behind. A lock whose pid is no longer a
 * running process (kill(pid, 0) fails with ESRCH), or whose content is not a pid (a crash between
 * create and write), is stale and taken over. A recycled pid would make a stale lock look held;
 * the message names the pid, so the user can check and delete the file.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { OutputLockedError, ResultsWriteError } from './errors.ts';

export interface OutputLock {
  readonly file: string;
  release(): void;
}

export function lockOutput(outFile: string): OutputLock {
  const file = `${outFile}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new ResultsWriteError(file, error);
      const holder = readHolder(file);
      if (holder !== undefined && isRunning(holder)) throw new OutputLockedError(outFile, holder);
      // Stale: its holder is gone. Remove it and try again (another batch may win the race).
      rmSync(file, { force: true });
      continue;
    }
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    let released = false;
    return {
      file,
      release() {
        if (released) return;
        released = true;
        // Only our own lock: a stale-lock takeover by another process must not be undone.
        if (readHolder(file) === process.pid) rmSync(file, { force: true });
      },
    };
  }
  const holder = readHolder(file);
  throw new OutputLockedError(outFile, holder ?? -1);
}

function readHolder(file: string): number | undefined {
  try {
    const text = readFileSync(file, 'utf8').trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else; only ESRCH says it is gone.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
