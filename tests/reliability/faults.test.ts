/**
 * Faults around `aca batch` and `aca fit`: a write that fails mid-record (an injected ENOSPC), a
 * results file left torn by an older version, two batches on one output, a stale lock, a run
 * past its time limit, and kill -9 at random points of a batch and of a fit. After each, the
 * results are whole JSON lines, and a restart ends with what an uninterrupted run gives, bit for
 * bit.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBatchFile, type RunLine } from '../../src/parallel/batch-runs.ts';
import { ResultsWriteError } from '../../src/parallel/errors.ts';
import { closePool } from '../../src/parallel/pool.ts';
import { createRng } from '../../src/util/random.ts';
import { figureEightJob } from '../parallel/helpers/jobs.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const ACA = join(ROOT, 'bin/aca.mjs');
const dir = mkdtempSync(join(tmpdir(), 'aca-faults-'));
afterAll(async () => {
  await closePool({ force: true });
  rmSync(dir, { recursive: true, force: true });
});

/** n grad runs with ids, each some tens of ms. */
function writeRuns(file: string, n: number, extra: object[] = []): void {
  const runs: object[] = [];
  for (let i = 0; i < n; i++) runs.push({ id: `g${i}`, kind: 'grad', ...figureEightJob(32, { seed: 200 + i, tEnd: 4, outputs: 4 }) });
  writeFileSync(file, [...runs, ...extra].map((r) => JSON.stringify(r)).join('\n') + '\n');
}

/** Every line whole JSON (throws otherwise), and the file ends with a newline. */
function lines(file: string): RunLine[] {
  const text = readFileSync(file, 'utf8');
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as RunLine);
}

function canonical(file: string): unknown[] {
  return lines(file)
    .map(({ elapsedMs: _t, ...rest }) => rest)
    .sort((a, b) => String(a.id).localeCompare(String(b.id)));
}

function aca(args: string[]) {
  return spawnSync(process.execPath, [ACA, ...args], { encoding: 'utf8', timeout: 120_000 });
}

const runs = join(dir, 'runs.jsonl');
writeRuns(runs, 6);
const reference = join(dir, 'reference.jsonl');

describe('batch faults', () => {
  it('reference: the uninterrupted batch', async () => {
    const summary = await runBatchFile({ runsFile: runs, outFile: reference, workers: 2 });
    expect(summary.failed).toBe(0);
    expect(lines(reference)).toHaveLength(6);
    expect(existsSync(`${reference}.lock`)).toBe(false);
  }, 120_000);

  it('a write that fails mid-record stops the batch with ResultsWriteError; no torn line; a rerun completes the same lines', async () => {
    const out = join(dir, 'enospc.jsonl');
    let calls = 0;
    // The third record: half its bytes reach the file, then the disk is full.
    const failing = (fd: number, bytes: Uint8Array, offset: number, length: number): number => {
      calls++;
      if (calls === 3) {
        writeSync(fd, bytes, offset, Math.floor(length / 2));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
      }
      return writeSync(fd, bytes, offset, length);
    };
    const error = await runBatchFile({ runsFile: runs, outFile: out, workers: 2, writeSync: failing }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResultsWriteError);
    expect((error as ResultsWriteError).errno).toBe('ENOSPC');
    expect((error as Error).message).toContain(out);
    // The two records written before stay; the torn third was cut off; nothing was retried.
    expect(lines(out)).toHaveLength(2);
    expect(calls).toBe(3);
    expect(existsSync(`${out}.lock`)).toBe(false);

    const resumed = await runBatchFile({ runsFile: runs, outFile: out, workers: 2 });
    expect(resumed.skipped).toBe(2);
    expect(canonical(out)).toEqual(canonical(reference));
  }, 120_000);

  it('a torn line glued to the next record, and a partial last line, are repaired on restart', async () => {
    const out = join(dir, 'torn.jsonl');
    const whole = readFileSync(reference, 'utf8').split('\n').filter(Boolean);
    // Records 0 and 1 as an older version could leave them: half of 0 glued to 1; then half of 2.
    writeFileSync(out, `${whole[0].slice(0, 40)}${whole[1]}\n${whole[3]}\n${whole[2].slice(0, 30)}`);
    const summary = await runBatchFile({ runsFile: runs, outFile: out, workers: 2 });
    expect(summary.repaired).toBe(2);
    expect(summary.skipped).toBe(1);
    expect(canonical(out)).toEqual(canonical(reference));
  }, 120_000);

  it('two batches on one output: the second refuses with exit 2; a run past its time limit fails once with ERR_RUN_TIMEOUT', async () => {
    const slowRuns = join(dir, 'slow.jsonl');
    writeRuns(slowRuns, 2, [{ id: 'hang', kind: 'grad', timeoutSeconds: 3, testFault: { kind: 'hang', attempts: 'always' }, ...figureEightJob(2, { seed: 1 }) }]);
    const out = join(dir, 'shared.jsonl');
    const first = spawn(process.execPath, [ACA, 'batch', slowRuns, '--out', out, '--workers', '2', '--quiet'], { cwd: ROOT });
    let firstErr = '';
    first.stderr.on('data', (c) => (firstErr += c));
    const firstExit = new Promise<number | null>((done) => first.on('exit', (code) => done(code)));
    for (let i = 0; !existsSync(`${out}.lock`); i++) {
      if (i > 1500) throw new Error(`no lock: ${firstErr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const second = aca(['batch', slowRuns, '--out', out, '--quiet']);
    expect(second.status).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`^aca batch: '.*shared\\.jsonl' is in use by another aca batch \\(pid ${first.pid}\\)`));
    expect(second.stderr.trim().split('\n')).toHaveLength(1);

    expect(await firstExit).toBe(1); // the timed-out run failed
    const all = lines(out);
    expect(all).toHaveLength(3);
    const hang = all.filter((l) => l.id === 'hang');
    expect(hang).toHaveLength(1);
    expect(hang[0].error).toMatchObject({ code: 'ERR_RUN_TIMEOUT', attempts: 1 });
    expect(existsSync(`${out}.lock`)).toBe(false);
  }, 120_000);

  it('a stale lock (its pid is gone) is taken over', async () => {
    const out = join(dir, 'stale.jsonl');
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(`${out}.lock`, `${gone}\n`);
    const summary = await runBatchFile({ runsFile: runs, outFile: out, workers: 2 });
    expect(summary.failed).toBe(0);
    expect(canonical(out)).toEqual(canonical(reference));
    expect(existsSync(`${out}.lock`)).toBe(false);
  }, 120_000);

  it('kill -9 at random points, then restarts: the same lines as the uninterrupted batch, never a torn one', async () => {
    const rng = createRng(16);
    const out = join(dir, 'killed.jsonl');
    for (let round = 0; round < 2; round++) {
      const child = spawn(process.execPath, [ACA, 'batch', runs, '--out', out, '--workers', '2', '--quiet'], { cwd: ROOT });
      const exited = new Promise<void>((done) => child.on('exit', () => done()));
      // A random moment after the workers have started writing.
      const before = existsSync(out) ? lines(out).length : 0;
      for (let i = 0; i < 3000 && (!existsSync(out) || readFileSync(out, 'utf8').split('\n').filter(Boolean).length <= before); i++) {
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await new Promise((r) => setTimeout(r, Math.floor(rng.next() * 150)));
      child.kill('SIGKILL');
      await exited;
      lines(out); // whole lines only
    }
    const final = aca(['batch', runs, '--out', out, '--quiet']);
    expect(final.status, final.stderr).toBe(0);
    expect(canonical(out)).toEqual(canonical(reference));
  }, 180_000);
});

describe('fit faults', () => {
  it('kill -9 at a random point of a fit, then the same command: report.json equals the uninterrupted fit bit for bit', async () => {
    const data = join(ROOT, 'data/lotka_volterra.csv');
    const text = readFileSync(join(ROOT, 'data/lotka_volterra.yaml'), 'utf8')
      .replace('data: lotka_volterra.csv', `data: ${data}`)
      .replace(/optimizer: .*/, 'optimizer: { method: adam, lr: 0.02, iterations: 150, checkpointEvery: 3 }');
    const spec = join(dir, 'fit.yaml');
    writeFileSync(spec, text);
    const whole = join(dir, 'fit-whole');
    expect(aca(['fit', spec, '--out', whole, '--quiet']).status).toBe(0);

    const out = join(dir, 'fit-killed');
    const rng = createRng(7);
    const child = spawn(process.execPath, [ACA, 'fit', spec, '--out', out, '--quiet'], { cwd: ROOT });
    const exited = new Promise<void>((done) => child.on('exit', () => done()));
    for (let i = 0; i < 3000 && !existsSync(join(out, 'checkpoint.json')) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, Math.floor(rng.next() * 200)));
    child.kill('SIGKILL');
    await exited;
    expect(child.signalCode).toBe('SIGKILL'); // killed while fitting, not after it ended
    const resumed = aca(['fit', spec, '--out', out, '--quiet']);
    expect(resumed.status, resumed.stderr).toBe(0);
    const strip = (file: string) => {
      const report = JSON.parse(readFileSync(file, 'utf8'));
      // Timings, the resume point and file names differ; the numbers must not.
      delete report.stats;
      delete report.files;
      return report;
    };
    expect(strip(join(out, 'report.json'))).toEqual(strip(join(whole, 'report.json')));
    // No temporary file of a killed write is left next to the outputs.
    expect(readFileSync(join(out, 'report.json'), 'utf8').length).toBeGreaterThan(0);
    const leftovers = spawnSync('ls', ['-a', out], { encoding: 'utf8' }).stdout.split('\n').filter((n) => n.endsWith('.tmp'));
    expect(leftovers).toEqual([]);
  }, 180_000);
});
