/** Atomic writes: the target holds the old content or the new, and a failure leaves no debris. */
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { OutputWriteError, writeFileAtomic, writeFileAtomicSync } from '../../src/io/atomic.ts';

describe('writeFileAtomic', () => {
  it('writes and replaces a file, leaving no temporary file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aca-atomic-'));
    const file = join(dir, 'out.json');
    await writeFileAtomic(file, 'first');
    await writeFileAtomic(file, 'second');
    writeFileAtomicSync(file, 'third');
    expect(readFileSync(file, 'utf8')).toBe('third');
    expect(readdirSync(dir)).toEqual(['out.json']);
  });

  it('a failed write leaves the old file and no temporary file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aca-atomic-'));
    // The target is a non-empty folder: the rename fails after the content was written.
    const target = join(dir, 'taken');
    mkdirSync(target);
    writeFileSync(join(target, 'keep'), 'x');
    await expect(writeFileAtomic(target, 'new')).rejects.toThrow();
    expect(() => writeFileAtomicSync(target, 'new')).toThrow();
    expect(readdirSync(dir)).toEqual(['taken']);
    expect(readdirSync(target)).toEqual(['keep']);
  });

  it('a write into a missing folder fails and creates nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aca-atomic-'));
    await expect(writeFileAtomic(join(dir, 'no', 'such', 'file'), 'x')).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a failed write is an OutputWriteError naming the target (not the temporary file) and the errno', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aca-atomic-'));
    writeFileSync(join(dir, 'plain'), 'x');
    const error = await writeFileAtomic(join(dir, 'plain', 'out.json'), 'new').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputWriteError);
    expect((error as OutputWriteError).errno).toBe('ENOTDIR');
    expect((error as Error).message).toBe(`cannot write '${join(dir, 'plain', 'out.json')}' (ENOTDIR: a part of the path is a file, not a folder)`);
    expect((error as OutputWriteError).badPath).toBe(true);
  });

  it('removes the temporary files of killed processes on the next write, not those of running ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aca-atomic-'));
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const orphan = `.out.json.${dead}.0123abcd.tmp`;
    const live = `.out.json.${process.ppid}.89abcdef.tmp`;
    const other = `.other.json.${dead}.0123abcd.tmp`;
    for (const name of [orphan, live, other]) writeFileSync(join(dir, name), 'half');
    await writeFileAtomic(join(dir, 'out.json'), 'done');
    expect(readdirSync(dir).sort()).toEqual([live, other, 'out.json'].sort());
  });
});

