/**
 * `aca batch` as a child process: the JSONL output, failed runs recorded while the others go on,
 * a worker killed mid-run, and restarts. A restarted batch (after SIGKILL or Ctrl-C) skips the
 * runs already done and ends with the same lines as a batch that was never stopped.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { batchGradient } from '../../src/parallel/batch.ts';
import { runBatchFile, type RunLine } from '../../src/parallel/batch-runs.ts';
import { closePool } from '../../src/parallel/pool.ts';
import { figureEightJob } from './helpers/jobs.ts';

const ACA = fileURLToPath(new URL('../../bin/aca.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'aca-batch-'));
afterAll(async () => {
  await closePool({ force: true });
  rmSync(dir, { recursive: true, force: true });
});

/** Twelve grad runs (with ids) and a solve run, each heavy enough to take some 100 ms. */
function writeRuns(file: string, extra: object[] = []): void {
  const runs: object[] = [];
  for (let i = 0; i < 12; i++) {
    runs.push({ id: `g${i}`, kind: 'grad', ...figureEightJob(128, { seed: 100 + i, tEnd: 6, outputs: 6 }) });
  }
  const { loss: _loss, ...solveJob } = figureEightJob(2, { seed: 9 });
  runs.push({ kind: 'solve', ...solveJob });
  writeFileSync(file, [...runs, ...extra].map((r) => JSON.stringify(r)).join('\n') + '\n');
}

function aca(args: string[]) {
  return spawnSync(process.execPath, [ACA, 'batch', ...args], { encoding: 'utf8', timeout: 60_000 });
}

function lines(file: string): RunLine[] {
  const text = readFileSync(file, 'utf8');
  expect(text === '' || text.endsWith('\n')).toBe(true); // no partial line
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as RunLine);
}

/** The lines without their timings, in id order: what must not depend on interruptions. */
function canonical(file: string): unknown[] {
  return lines(file)
    .map(({ elapsedMs: _t, ...rest }) => rest)
    .sort((a, b) => String(a.id).localeCompare(String(b.id)));
}

async function waitForLines(file: string, n: number): Promise<void> {
  for (let i = 0; i < 1500; i++) {
    if (existsSync(file) && readFileSync(file, 'utf8').split('\n').filter(Boolean).length >= n) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no ${n} lines in ${file}`);
}

describe('aca batch', () => {
  const runs = join(dir, 'runs.jsonl');
  const reference = join(dir, 'reference.jsonl');
  writeRuns(runs);

  it('writes one line per run; a grad line holds the numbers of batchGradient on the same job', async () => {
    const r = aca([runs, '--out', reference, '--workers', '2']);
    expect(r.stderr).toContain('13 ok, 0 failed');
    expect(r.status).toBe(0);
    const out = lines(reference);
    expect(out).toHaveLength(13);
    expect(out.every((l) => l.ok)).toBe(true);
    const g3 = out.find((l) => l.id === 'g3')!.result as { loss: number; dp: number[]; dy0: number[][] };
    const direct = await batchGradient(figureEightJob(128, { seed: 103, tEnd: 6, outputs: 6 }), { inline: true });
    expect(g3.loss).toBe(direct.loss);
    expect(g3.dp).toEqual(Array.from(direct.dp));
    expect(g3.dy0[127]).toEqual(Array.from(direct.dy0.subarray(127 * 18)));
    // The solve run has no id: its line number is its id.
    expect(out.find((l) => l.id === 13)).toMatchObject({ ok: true, kind: 'solve' });
    // Rerunning a finished batch does nothing.
    const again = aca([runs, '--out', reference, '--workers', '2']);
    expect(again.stderr).toContain('0 ok, 0 failed, 13 skipped');
    expect(lines(reference)).toHaveLength(13);
  });

  it.each(['SIGKILL', 'SIGINT'] as const)('restarted after %s mid-batch, skips the runs done and ends with the same lines', async (signal) => {
    const out = join(dir, `restart-${signal}.jsonl`);
    const child = spawn(process.execPath, [ACA, 'batch', runs, '--out', out, '--workers', '1'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitForLines(out, 3);
    child.kill(signal);
    const code = await exited;
    if (signal === 'SIGINT') expect(code).toBe(1);
    const partial = lines(out);
    expect(partial.length).toBeGreaterThanOrEqual(3);
    expect(partial.length).toBeLessThan(13);

    const resumed = aca([runs, '--out', out, '--workers', '2']);
    expect(resumed.status).toBe(0);
    expect(resumed.stderr).toContain(`${13 - partial.length} ok, 0 failed, ${partial.length} skipped`);
    expect(canonical(out)).toEqual(canonical(reference));
  });

  it('records a failed run in its line and goes on; a worker killed mid-run is retried once', () => {
    const faulty = join(dir, 'faulty.jsonl');
    const out = join(dir, 'faulty-out.jsonl');
    writeRuns(faulty, [
      { id: 'dies-once', kind: 'grad', ...figureEightJob(4, { seed: 1 }), testFault: { kind: 'exit' } },
      { id: 'dies-always', kind: 'grad', ...figureEightJob(4, { seed: 1 }), testFault: { kind: 'exit', attempts: 'always' } },
      { id: 'throws-always', kind: 'grad', ...figureEightJob(4, { seed: 1 }), testFault: { kind: 'throw', attempts: 'always' } },
      { id: 'bad-input', kind: 'grad', ...figureEightJob(4, { seed: 1 }), trajectories: [{ y0: [1, 2] }] },
      { id: 'no-such-kind', kind: 'dance' },
    ]);
    appendFileSync(faulty, '{"id": "broken", \n');
    const r = aca([faulty, '--out', out, '--workers', '2']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('14 ok, 5 failed');
    const byId = new Map(lines(out).map((l) => [String(l.id), l]));
    expect(byId.size).toBe(19);
    expect(byId.get('dies-once')).toMatchObject({ ok: true });
    expect(byId.get('dies-always')).toMatchObject({ ok: false, error: { code: 'ERR_WORKER_EXITED', attempts: 2, message: 'worker exited with code 3' } });
    expect(byId.get('throws-always')).toMatchObject({ ok: false, error: { code: 'ERR_WORKER_THREW', attempts: 2 } });
    expect(byId.get('bad-input')).toMatchObject({ ok: false, error: { code: 'ERR_SHARD_FAILED', attempts: 1 } });
    expect(byId.get('bad-input')!.error!.message).toMatch(/trajectory 0: .*invalid y0/);
    expect(byId.get('no-such-kind')).toMatchObject({ ok: false, error: { code: 'ERR_INVALID_ARGUMENT' } });
    expect(byId.get('19')).toMatchObject({ ok: false, error: { code: 'ERR_INVALID_JSON', attempts: 0 } });
    expect(canonical(out).filter((l) => String((l as RunLine).id).startsWith('g'))).toEqual(
      canonical(reference).filter((l) => String((l as RunLine).id).startsWith('g')),
    );
  });

  it('cuts off a partial last line before resuming, and --retry-failed reruns failed runs', async () => {
    const out = join(dir, 'repair.jsonl');
    const good = readFileSync(reference, 'utf8').split('\n').filter(Boolean);
    const failedG0 = JSON.stringify({ id: 'g0', ok: false, kind: 'grad', error: { code: 'ERR_WORKER_EXITED', message: 'x', attempts: 2 }, elapsedMs: 1 });
    const kept = good.filter((l) => !l.includes('"id":"g0"') && !l.includes('"id":"g1"'));
    writeFileSync(out, [...kept, failedG0].join('\n') + '\n' + good.find((l) => l.includes('"id":"g1"'))!.slice(0, 40));
    const summary = await runBatchFile({ runsFile: runs, outFile: out, workers: 2 });
    expect(summary).toMatchObject({ total: 1, done: 1, failed: 0, skipped: 12, interrupted: false });
    const retried = await runBatchFile({ runsFile: runs, outFile: out, workers: 2, retryFailed: true });
    expect(retried).toMatchObject({ total: 1, done: 1, failed: 0, skipped: 12 });
    const last = new Map(lines(out).map((l) => [String(l.id), l]));
    expect(last.get('g0')).toMatchObject({ ok: true });
    expect(last.get('g1')).toEqual(lines(reference).map((l) => ({ ...l, elapsedMs: last.get('g1')!.elapsedMs })).find((l) => l.id === 'g1'));
  });

  it('runs problem specs (solve, grad, fit) with paths relative to the runs file', async () => {
    const data = fileURLToPath(new URL('../../data/', import.meta.url));
    copyFileSync(join(data, 'lotka_volterra.yaml'), join(dir, 'lv.yaml'));
    copyFileSync(join(data, 'lotka_volterra.csv'), join(dir, 'lotka_volterra.csv'));
    const specRuns = join(dir, 'spec-runs.jsonl');
    writeFileSync(
      specRuns,
      [
        { id: 's', kind: 'solve', spec: 'lv.yaml' },
        { id: 'g', kind: 'grad', spec: 'lv.yaml' },
        { id: 'f', kind: 'fit', spec: 'lv.yaml', iterations: 3 },
        { id: 'missing', kind: 'solve', spec: 'nope.yaml' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const out = join(dir, 'spec-out.jsonl');
    const summary = await runBatchFile({ runsFile: specRuns, outFile: out, workers: 2 });
    expect(summary).toMatchObject({ total: 4, done: 4, failed: 1 });
    const byId = new Map(lines(out).map((l) => [String(l.id), l]));
    const s = byId.get('s')!.result as { times: number[]; outputs: number[]; stateNames: string[] };
    expect(s.times).toHaveLength(101);
    expect(s.outputs.slice(0, 2)).toEqual([1, 1]);
    expect(s.stateNames).toEqual(['x', 'y']);
    const g = byId.get('g')!.result as { loss: number; dp: Record<string, number> };
    expect(Object.keys(g.dp)).toEqual(['a', 'b', 'c', 'd']);
    expect(g.loss).toBeGreaterThan(0);
    const f = byId.get('f')!.result as { iterations: number; loss: number; stats: object };
    expect(f.iterations).toBe(3);
    expect(f.loss).toBeLessThan(g.loss);
    expect(f.stats).not.toHaveProperty('elapsedMs');
    expect(byId.get('missing')).toMatchObject({ ok: false, error: { code: 'ERR_SPEC', attempts: 1 } });
    expect(byId.get('missing')!.error!.message).toMatch(/nope\.yaml/);
  });

  it('rejects duplicate ids before running anything, and bad options with status 2', () => {
    const dup = join(dir, 'dup.jsonl');
    writeFileSync(dup, '{"id": "a", "kind": "solve"}\n{"id": "a", "kind": "solve"}\n');
    const r = aca([dup, '--out', join(dir, 'dup-out.jsonl')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/run id "a".*lines 1 and 2/);
    expect(aca([runs]).status).toBe(2);
    expect(aca([runs, '--out', 'x', '--workers', 'many']).stderr).toMatch(/--workers must be a positive integer, got 'many'/);
  });
});
