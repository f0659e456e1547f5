/**
 * One problem, one gradient: a spec with a log-transformed and a bounded parameter gives bitwise
 * the same loss and gradient, with the same result shape, through the library
 * (evaluateProblem), `aca grad`, an `aca batch` grad run (in a worker thread) and the first
 * evaluation of `aca fit`. They all go through fit/objective.ts's evaluateProblem with the
 * spec's GradientSettings unchanged; this test keeps them there.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateProblem, gradientReport, initialTheta } from '../../src/fit/objective.ts';
import { loadProblem } from '../../src/spec/load.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const ACA = join(ROOT, 'bin/aca.mjs');
const dir = mkdtempSync(join(tmpdir(), 'aca-paths-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SPEC = `
name: lv_paths
model:
  states: [x, y]
  params: [a, b, c, d]
  equations:
    x: a*x - b*x*y
    y: -c*y + d*x*y
initial: { x: 1, y: { value: 1.1, bounds: [0.5, 2] } }
params:
  a: { value: 2.9, transform: log }
  b: { value: 0.8, bounds: [0.01, 10] }
  c: 3
  d: { value: 0.8 }
t0: 0
data: lotka_volterra.csv
solver: { method: dopri5, rtol: 1.0e-7, atol: 1.0e-9 }
gradient: { method: aca, keepStages: false }
`;

function aca(args: string[]) {
  const r = spawnSync(process.execPath, [ACA, ...args], { encoding: 'utf8', timeout: 120_000, cwd: dir });
  expect(r.status, r.stderr).toBe(0);
  return r;
}

describe('the same spec on every path', () => {
  writeFileSync(join(dir, 'lv.yaml'), SPEC);
  copyFileSync(join(ROOT, 'data/lotka_volterra.csv'), join(dir, 'lotka_volterra.csv'));

  it('gives bitwise the same loss and gradient through the library, aca grad, aca batch and aca fit', async () => {
    const { problem } = await loadProblem(join(dir, 'lv.yaml'));
    const library = JSON.parse(JSON.stringify(gradientReport(problem, evaluateProblem(problem, initialTheta(problem)))));
    expect(Object.keys(library.gradient)).toEqual(['initial.y', 'params.a', 'params.b', 'params.d']);

    aca(['grad', 'lv.yaml', '--out', 'grad.json']);
    // The command's document adds its format key (docs/formats.md) to the library's report.
    const { format, ...cli } = JSON.parse(readFileSync(join(dir, 'grad.json'), 'utf8'));
    expect(format).toBe('aca-ode/gradient@1');

    writeFileSync(join(dir, 'runs.jsonl'), JSON.stringify({ id: 'g', kind: 'grad', spec: 'lv.yaml' }) + '\n');
    aca(['batch', 'runs.jsonl', '--out', 'results.jsonl', '--workers', '1']);
    const batch = JSON.parse(readFileSync(join(dir, 'results.jsonl'), 'utf8').trim()).result;

    // JSON keeps every double exactly (shortest round-trip form), so equal text is equal bits.
    for (const other of [cli, batch]) {
      expect(Object.keys(other)).toEqual(Object.keys(library));
      expect(other).toEqual(library);
      expect(Object.is(other.loss, library.loss)).toBe(true);
    }

    aca(['fit', 'lv.yaml', '--iterations', '1', '--out', 'fit', '-q']);
    const report = JSON.parse(readFileSync(join(dir, 'fit', 'report.json'), 'utf8'));
    expect(report.history[0]).toBe(library.loss);
    expect(report.gradient).toEqual({ method: 'aca', keepStages: false });
  });
});
