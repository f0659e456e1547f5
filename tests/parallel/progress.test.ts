/**
 * Live progress of local runs: a fit run reports its iterations and losses from its worker thread
 * through a comlink port (progress-port.ts), and `aca batch` shows them (batch-progress.ts).
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchProgressView, describeProgress } from '../../src/cli/batch-progress.ts';
import { runBatchFile, type RunLine } from '../../src/parallel/batch-runs.ts';
import { closePool } from '../../src/parallel/pool.ts';
import type { RunProgress } from '../../src/parallel/job-types.ts';

const dir = mkdtempSync(join(tmpdir(), 'aca-progress-'));
afterAll(async () => {
  await closePool({ force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe('run progress from worker threads', () => {
  it('streams a fit\'s iterations and losses to the main thread while it runs', async () => {
    const data = fileURLToPath(new URL('../../data/', import.meta.url));
    copyFileSync(join(data, 'lotka_volterra.yaml'), join(dir, 'lv.yaml'));
    copyFileSync(join(data, 'lotka_volterra.csv'), join(dir, 'lotka_volterra.csv'));
    const runs = join(dir, 'runs.jsonl');
    writeFileSync(runs, [{ id: 'g', kind: 'grad', spec: 'lv.yaml' }, { id: 'f', kind: 'fit', spec: 'lv.yaml', iterations: 8 }].map((r) => JSON.stringify(r)).join('\n'));
    const out = join(dir, 'out.jsonl');
    const reports: { id: string | number; p: RunProgress | null; at: number }[] = [];
    await runBatchFile({ runsFile: runs, outFile: out, workers: 2, onRunProgress: (id, p) => reports.push({ id, p, at: reports.length }) });
    const byId = new Map(readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RunLine).map((l) => [l.id, l]));
    const start = (byId.get('g')!.result as { loss: number }).loss;
    const end = (byId.get('f')!.result as { loss: number }).loss;
    const fit = reports.filter((r) => r.id === 'f' && r.p !== null).map((r) => r.p!);
    // The first report is iteration 0 at the start values: the grad run's loss, bit for bit.
    expect(fit[0]).toMatchObject({ iteration: 0, iterations: 8, loss: start });
    for (const p of fit) {
      expect(p.loss!).toBeGreaterThanOrEqual(end);
      expect(p.loss!).toBeLessThanOrEqual(start);
      expect(p.elapsedMs).toBeGreaterThanOrEqual(0);
    }
    // Each run's progress ends with null once its line is written.
    const last = reports.filter((r) => r.id === 'f').at(-1)!;
    expect(last.p).toBeNull();
  });
});

describe('BatchProgressView', () => {
  function stream(tty: boolean) {
    const chunks: string[] = [];
    return { chunks, isTTY: tty, write: (s: string) => chunks.push(s) };
  }

  it('prints plain lines off a terminal: the bar by tenths, a run at most every plainEveryMs', () => {
    const s = stream(false);
    const view = new BatchProgressView({ stream: s, plainEveryMs: 60_000 });
    view.overall(4, 0, 0);
    view.run('f', { iteration: 2, iterations: 10, loss: 0.5, elapsedMs: 1234 });
    view.run('f', { iteration: 3, iterations: 10, loss: 0.25, elapsedMs: 1500 }); // too soon: not printed
    view.overall(4, 2, 1);
    view.run('f', null);
    view.overall(4, 4, 1);
    view.finish(false);
    expect(s.chunks).toEqual([
      'batch [------------------------] 0/4\n',
      'run f: iteration 2/10  loss=5.0000e-1  1.2 s\n',
      'batch [############------------] 2/4  failed=1\n',
      'batch [########################] 4/4  failed=1\n',
    ]);
  });

  it('redraws one block on a terminal: the bar and a line per active run', () => {
    const s = stream(true);
    const view = new BatchProgressView({ stream: s, maxRuns: 1 });
    view.overall(3, 1, 0);
    view.run('a', { steps: 64, total: 128, elapsedMs: 800 });
    view.run('b', { iteration: 1, elapsedMs: 100 });
    expect(view.lines()).toEqual(['batch [########----------------] 1/3', '  a: steps 64/128  0.8 s', '  ... and 1 more running']);
    view.finish(false);
    const text = s.chunks.join('');
    expect(text.endsWith('batch [########----------------] 1/3\n')).toBe(true);
    expect(text).toContain('\x1b[J');
  });

  it('describes only the fields a run reported', () => {
    expect(describeProgress({ elapsedMs: 50 })).toBe('0.1 s');
    expect(describeProgress({ iteration: 4, loss: NaN, elapsedMs: 2000 })).toBe('iteration 4  loss=NaN  2.0 s');
  });
});
