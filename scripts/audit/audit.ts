/**
 * The reliability audit (issue 16), re-runnable: a few hundred hostile inputs and faults through
 * the library and the `aca` command, each classified as
 *
 *   ok      accepted, and rightly so (a valid input, a correct result)
 *   clean   refused or failed with exit 1 or 2 and a short message, no stack trace
 *   stack   a stack trace (or an error that is not the library's own)
 *   hang    not finished within its time limit
 *   silent  a wrong outcome without an error: bad input accepted, valid input refused, a wrong
 *           value printed
 *   lost    a result lost or a results file left invalid
 *
 * and printed as a table per category. Run: node --import tsx scripts/audit/audit.ts [--quick]
 * (about a minute on two cores; --quick skips the subprocess and fault cases). Not part of
 * `npm test`; tests/reliability holds the fast property tests and the fault tests.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main.ts';
import { AcaError } from '../../src/errors.ts';
import { expressionField } from '../../src/fields/expression/compile.ts';
import { nbodyField } from '../../src/fields/nbody.ts';
import { parseCsv } from '../../src/io/csv.ts';
import { squaredError } from '../../src/losses/loss.ts';
import { parseRunLine, runBatchFile } from '../../src/parallel/batch-runs.ts';
import { closePool } from '../../src/parallel/pool.ts';
import { solve } from '../../src/solvers/solve.ts';
import { csvText, expression, runLine, spec } from '../../tests/reliability/hostile.ts';

type Outcome = 'ok' | 'clean' | 'stack' | 'hang' | 'silent' | 'lost';
const COLUMNS: Outcome[] = ['ok', 'clean', 'stack', 'hang', 'silent', 'lost'];

const ROOT = resolve(import.meta.dirname, '../..');
// The batch faults below use test faults (a run that hangs), which fire only with this set.
process.env.ACA_TEST_FAULTS = '1';
const ACA = join(ROOT, 'bin/aca.mjs');
const dir = mkdtempSync(join(tmpdir(), 'aca-audit-'));
const quick = process.argv.includes('--quick');
const table = new Map<string, Record<Outcome, number>>();
const notes: string[] = [];
const STACK = /\n\s+at .+[(:]\d+/;
/** Longer than any case here needs by far: a case past it has run away. */
const HANG_MS = 30_000;

function record(category: string, outcome: Outcome, what: string): void {
  const row = table.get(category) ?? { ok: 0, clean: 0, stack: 0, hang: 0, silent: 0, lost: 0 };
  row[outcome]++;
  table.set(category, row);
  if (outcome !== 'ok' && outcome !== 'clean') notes.push(`${category}: ${outcome}: ${what.slice(0, 200)}`);
}

/** A library call: its value, or the error it threw, classified. */
function libraryCase(category: string, what: string, call: () => unknown, expectReject: boolean | ((value: unknown) => boolean | Outcome)): void {
  const start = performance.now();
  let outcome: Outcome;
  try {
    const value = call();
    const judged = typeof expectReject === 'function' ? expectReject(value) : expectReject;
    outcome = typeof judged === 'string' ? judged : judged ? 'silent' : 'ok';
  } catch (error) {
    outcome = error instanceof AcaError && !STACK.test(error.message) && error.message.length <= 8000 ? 'clean' : 'stack';
    if (outcome === 'stack') what += ` -> ${(error as Error)?.stack?.split('\n').slice(0, 3).join(' | ')}`;
  }
  if (performance.now() - start > HANG_MS) outcome = 'hang';
  record(category, outcome, what);
}

/** The command in-process (main with captured streams). */
async function commandCase(category: string, what: string, argv: string[], expect: 'reject' | 'accept'): Promise<void> {
  let stdout = '';
  let stderr = '';
  const start = performance.now();
  const code = await main(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  record(category, classify(code, stdout, stderr, expect, performance.now() - start > HANG_MS), `${what} (exit ${code}) ${stderr}`);
}

/** The command as a child process, as a user runs it. */
function processCase(category: string, what: string, argv: string[], expect: 'reject' | 'accept', check?: (out: string, err: string) => boolean): void {
  const r = spawnSync(process.execPath, [ACA, ...argv], { encoding: 'utf8', timeout: HANG_MS, cwd: dir, maxBuffer: 1 << 28 });
  const hung = r.error !== undefined || r.status === null;
  let outcome = classify(r.status ?? -1, r.stdout ?? '', r.stderr ?? '', expect, hung);
  if (outcome === 'ok' && check && !check(r.stdout, r.stderr)) outcome = 'silent';
  record(category, outcome, `${what} (exit ${r.status}) ${(r.stderr ?? '').slice(0, 300)}`);
}

function classify(code: number, stdout: string, stderr: string, expect: 'reject' | 'accept', hung: boolean): Outcome {
  if (hung) return 'hang';
  if (STACK.test(stderr) || stderr.length > 8000 || ![0, 1, 2].includes(code)) return 'stack';
  if (code === 0) return expect === 'accept' ? 'ok' : 'silent';
  return expect === 'reject' ? 'clean' : 'silent';
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** What a generated spec holds that must be refused (the audit's oracle for "silent"). */
function mustRefuse(value: Record<string, unknown>): boolean {
  const text = JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? '__nonfinite__' : v));
  if (text.includes('__nonfinite__')) return true;
  if ('iteration' in value) return true;
  const solver = value.solver as Record<string, unknown> | undefined;
  if (solver && ('rtoll' in solver || (solver.rtol !== undefined && !((solver.rtol as number) >= 1e-14)) || (solver.atol !== undefined && !((solver.atol as number) > 0)))) return true;
  const times = value.times as unknown;
  if (typeof times === 'string') return true;
  if (times && typeof times === 'object' && !Array.isArray(times) && !((times as { count: number }).count <= 1e6)) return true;
  const model = value.model as Record<string, unknown>;
  if (model.builtin === 'nbody' && !((model.bodies as number) <= 1000)) return true;
  return false;
}

async function generated(): Promise<void> {
  let n = 0;
  for (const value of fc.sample(spec, { numRuns: 200, seed: 2026 })) {
    const path = file(`gen-${n++}.yaml`, stringify(value, { aliasDuplicateObjects: false }));
    let stdout = '';
    let stderr = '';
    const code = await main(['check', path], { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
    const outcome = classify(code, stdout, stderr, 'reject', false);
    // Accepted: right unless the oracle says it must be refused.
    record('generated specs (aca check)', outcome === 'silent' && !mustRefuse(value) ? 'ok' : outcome, `${JSON.stringify(value).slice(0, 150)} ${stderr}`);
    if (code === 0 && (value.times !== undefined)) {
      // Checked and valid: it must also solve, or fail cleanly (exit 1) at run time.
      stdout = '';
      stderr = '';
      const start = performance.now();
      const solved = await main(['solve', path], { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
      const o = classify(solved, stdout, stderr, 'accept', performance.now() - start > HANG_MS);
      record('generated valid specs (aca solve)', o === 'silent' && solved === 1 ? 'clean' : o, `${JSON.stringify(value).slice(0, 150)} ${stderr}`);
    }
  }
  for (const source of fc.sample(expression, { numRuns: 300, seed: 2026 })) {
    libraryCase('generated expressions', source, () => expressionField({ states: ['x', 'y'], params: [], equations: { x: source, y: '1' } }), () =>
      /\b(toString|constructor|__proto__|valueOf|hasOwnProperty|eval|require|import)\s*\(/.test(source),
    );
  }
  for (const text of fc.sample(csvText, { numRuns: 300, seed: 2026 })) {
    libraryCase('generated CSV files', text, () => parseCsv(text, { name: 'data.csv' }), (table) => {
      const t = table as ReturnType<typeof parseCsv>;
      return !t.values.every((v) => Number.isNaN(v) || Number.isFinite(v)) || t.values.every((v) => Number.isNaN(v));
    });
  }
  for (const text of fc.sample(runLine, { numRuns: 300, seed: 2026 })) {
    libraryCase('generated batch run lines', text, () => parseRunLine(text, 1, dir), (entry): Outcome => {
      const e = entry as { run?: Record<string, unknown>; invalid?: { message: string } } | undefined;
      // A refused line is recorded as that run's failure: a clean error.
      if (e?.invalid) return e.invalid.message.startsWith('line 1: ') ? 'clean' : 'silent';
      const run = e?.run;
      return run !== undefined && ('iteration' in run || (run.timeoutSeconds !== undefined && !((run.timeoutSeconds as number) > 0))) ? 'silent' : 'ok';
    });
  }
}

const EQ = (equations: string, extra = '') => `model: { states: [x], equations: { x: '${equations}' } }\ninitial: { x: 1 }\ntimes: [0, 1]\n${extra}`;

async function namedInputs(): Promise<void> {
  const c = 'named hostile inputs (aca check)';
  const cases: [string, string][] = [
    ['bodies 1e9', 'model: { builtin: nbody, bodies: 1000000000 }\n'],
    ['bodies 1e6', 'model: { builtin: nbody, bodies: 1000000 }\n'],
    ['bodies 1e15', 'model: { builtin: nbody, bodies: 1e15 }\n'],
    ['network sizes 1e10', 'model: { states: [x, y], network: { sizes: [2, 10000000000, 2] } }\n'],
    ['times.count 1e12', EQ('-x').replace('times: [0, 1]', 'times: { start: 0, stop: 1, count: 1e12 }')],
    ['times.count 1e8', EQ('-x').replace('times: [0, 1]', 'times: { start: 0, stop: 1, count: 1e8 }')],
    ...['toString', 'constructor', '__proto__', 'valueOf', 'hasOwnProperty'].map((f): [string, string] => [`${f}(x)`, EQ(`${f}(x)`)]),
    ['a 1,260-term sum', EQ(Array.from({ length: 1260 }, (_, i) => `${i + 1}*x`).join(' + '))],
    ['a 1,000-level power tower', EQ(Array(1000).fill('x').join('^'))],
    ['a chain of 2,000 definitions', `model: { states: [x], definitions: { ${Array.from({ length: 2000 }, (_, i) => `d${i}: '${i === 0 ? 'x' : `sin(d${i - 1})`}'`).join(', ')} }, equations: { x: d1999 } }\ninitial: { x: 1 }\n`],
    ['a YAML alias bomb', 'a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n'],
    ['rtol 0, atol 0', EQ('-x', 'solver: { rtol: 0, atol: 0 }\n')],
    ['nn(x, y)[1]2', "model: { states: [x, y], network: { sizes: [2, 4, 2] }, equations: { x: 'nn(x, y)[1]2', y: '-y' } }\ninitial: { x: 1, y: 1 }\n"],
    ['a misspelt key', EQ('-x', 'solver: { rtoll: 1e-6 }\n')],
    ['an Infinity in the spec', EQ('-x', 't0: .inf\n')],
    ['a JSON spec nested 100,000 deep', `{"model": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`],
    ['a YAML spec nested 200 deep', `model: { states: [x], equations: { x: -x } }\ninitial: ${'['.repeat(200)}1${']'.repeat(200)}\n`],
    ['a spec over 10 MB', `# ${'x'.repeat(10_000_100)}\n${EQ('-x')}`],
  ];
  for (const [what, text] of cases) await commandCase(c, what, ['check', file(`named-${what.replace(/\W/g, '_')}.yaml`, text)], 'reject');
  const csv = (what: string, data: string) => commandCase('named hostile data (aca check --data)', what, ['check', file('lv.yaml', EQ('-x')), '--data', file(`${what.replace(/\W/g, '_')}.csv`, data)], 'reject');
  await csv('1e999 in a cell', 't,x\n0,1\n1,1e999\n');
  await csv('every cell missing', 't,x\n0,\n1,NA\n');
  await csv('times not increasing', 't,x\n1,1\n0,1\n');

  // Valid specs that must pass, and give finite numbers.
  const proto = file('proto.csv', 't,valueOf,constructor\n0,1,0\n1,0.5,0.5\n');
  for (const names of [['valueOf', 'constructor'], ['toString', 'hasOwnProperty']]) {
    const [a, b] = names;
    const spec = file(
      `valid-${a}.yaml`,
      `model: { states: [${a}, ${b}], params: [k], equations: { ${a}: -k*${a}, ${b}: k*${a} } }\ninitial: { ${a}: 1, ${b}: 0 }\nparams: { k: { value: 0.5, bounds: [0, 5] } }\n` +
        `observations: { total: ${a} + ${b} }\nloss: { weights: { ${a}: 2 } }\n`,
    );
    const data = file(`valid-${a}.csv`, readFileSync(proto, 'utf8').replace('valueOf', a).replace('constructor', b));
    let stdout = '';
    const code = await main(['grad', spec, '--data', data], { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => 0 } });
    record('valid specs with prototype names (aca grad)', code === 0 && !/NaN|null/.test(stdout) ? 'ok' : 'silent', `${a}, ${b}: exit ${code} ${stdout.slice(0, 200)}`);
  }

  // The library directly.
  const L = 'library options';
  const field = nbodyField({ bodies: 2, dims: 2 });
  const y0 = [1, 0, -1, 0, 0, 0.5, 0, -0.5];
  libraryCase(L, "times: '01'", () => solve(field, y0, { times: '01' as never, params: [1, 1] }), true);
  libraryCase(L, 'unknown controller key', () => solve(field, y0, { times: [0, 1], params: [1, 1], controller: { factorMaxx: 5 } as never }), true);
  libraryCase(L, 'rtol 0', () => solve(field, y0, { times: [0, 1], params: [1, 1], rtol: 0 }), true);
  libraryCase(L, 'squaredError negative weight', () => squaredError(2, { target: [1, 1], weights: [-1, 1] }), true);
  libraryCase(L, 'squaredError Infinity target', () => squaredError(2, { target: [Infinity, 1] }), true);
  libraryCase(L, 'nbody 1e9 bodies', () => nbodyField({ bodies: 1e9 }), true);
  libraryCase(L, 'a valid solve', () => solve(field, y0, { times: [0, 1], params: [1, 1] }), false);
}

async function commandLine(): Promise<void> {
  const C = 'command line and outputs (child process)';
  const ok = file('ok.yaml', EQ('-x'));
  const plain = file('plain.txt', 'x');
  mkdirSync(join(dir, 'folder'), { recursive: true });
  processCase(C, '--out inside a file', ['solve', ok, '--out', join(plain, 'out.csv')], 'reject');
  processCase(C, '--out an existing folder', ['solve', ok, '--out', join(dir, 'folder')], 'reject');
  processCase(C, '--out on a read-only file system', ['solve', ok, '--out', '/proc/aca-audit.csv'], 'reject');
  processCase(C, 'three-body --data missing.csv', ['three-body', '--data', 'missing.csv', '--initial', file('init.json', '{"masses":[1,1],"y0":[0,0,0,1,0,0,0,0,0,0,0,0]}')], 'reject');
  processCase(C, '--weight-base 0', ['three-body', '--weight-base', '0'], 'reject');
  processCase(C, 'negative masses', ['three-body', '--data', file('tb.csv', 't,x1,y1,z1,x2,y2,z2\n0,0,0,0,1,0,0\n1,0,0,0,1,0,0\n'), '--initial', file('neg.json', '{"masses":[-1,1],"y0":[0,0,0,1,0,0,0,0,0,0,0,0]}')], 'reject');
  // A FIFO: reading one with no writer would block for ever; renaming onto one would replace it.
  const fifo = join(dir, 'fifo');
  spawnSync('mkfifo', [fifo]);
  processCase(C, 'a FIFO as the spec', ['check', fifo], 'reject');
  processCase(C, 'a FIFO as --out', ['solve', ok, '--out', fifo], 'reject');
  processCase(C, 'a FIFO as the batch output', ['batch', file('one.jsonl', JSON.stringify({ kind: 'solve', spec: ok }) + '\n'), '--out', fifo], 'reject');
  processCase(C, 'a FIFO as --data', ['check', ok, '--data', fifo], 'reject');
  processCase(C, '--iterations -1', ['fit', ok, '--iterations', '-1'], 'reject', undefined);
  processCase(C, 'unknown command', ['frobnicate'], 'reject');
  processCase(C, 'checkpoint with the right hash, fields missing', ['fit', ...(await brokenCheckpoint())], 'reject');
  // A fit whose picture cannot be written: the values and report.json still come out.
  const { spec, out } = lvFit('fit-nopic', 60);
  mkdirSync(join(out, 'fit.svg'), { recursive: true });
  processCase(C, 'fit with an unwritable fit.svg', ['fit', spec, '--out', out, '--quiet'], 'accept', (stdout, stderr) => /params\.a/.test(stdout) && /warning: no plot/.test(stderr) && readFileSync(join(out, 'report.json'), 'utf8').includes('"fitted"'));
}

function lvFit(name: string, iterations: number): { spec: string; out: string } {
  const text = readFileSync(join(ROOT, 'data/lotka_volterra.yaml'), 'utf8')
    .replace('data: lotka_volterra.csv', `data: ${join(ROOT, 'data/lotka_volterra.csv')}`)
    .replace(/optimizer: .*/, `optimizer: { method: adam, lr: 0.02, iterations: ${iterations}, checkpointEvery: 5 }`);
  return { spec: file(`${name}.yaml`, text), out: join(dir, name) };
}

async function brokenCheckpoint(): Promise<string[]> {
  const { spec, out } = lvFit('fit-ckpt', 400);
  const child = spawnSync(process.execPath, [ACA, 'fit', spec, '--out', out, '--quiet', '--iterations', '5'], { encoding: 'utf8', timeout: HANG_MS });
  void child;
  // A checkpoint of this problem (its hash) with the optimizer state and theta cut out.
  const { fitHash } = await import('../../src/fit/checkpoint-file.ts');
  const { loadProblem } = await import('../../src/spec/load.ts');
  const { spec: parsed, data } = await loadProblem(spec);
  writeFileSync(join(out, 'checkpoint.json'), JSON.stringify({ format: 'aca-ode/fit-checkpoint@1', version: 1, hash: fitHash(parsed, data), method: 'adam', iteration: 3 }));
  return [spec, '--out', out, '--resume'];
}

async function faults(): Promise<void> {
  const F = 'batch and fit faults';
  const { figureEightJob } = await import('../../tests/parallel/helpers/jobs.ts');
  const runs = file('runs.jsonl', Array.from({ length: 6 }, (_, i) => JSON.stringify({ id: `g${i}`, kind: 'grad', ...figureEightJob(16, { seed: i, tEnd: 3 }) })).join('\n') + '\n');
  const reference = join(dir, 'reference.jsonl');
  await runBatchFile({ runsFile: runs, outFile: reference, workers: 2 });
  const canonical = (path: string) =>
    JSON.stringify(
      readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => { const { elapsedMs: _e, ...r } = JSON.parse(l); return r; })
        .filter((r) => r.id !== 'hang')
        .sort((a, b) => String(a.id).localeCompare(String(b.id))),
    );
  const same = (path: string) => {
    try {
      return canonical(path) === canonical(reference) && readFileSync(path, 'utf8').endsWith('\n');
    } catch {
      return false;
    }
  };

  // A transient ENOSPC mid-record, at each of the six records in turn.
  for (let at = 1; at <= 6; at++) {
    const out = join(dir, `enospc-${at}.jsonl`);
    let calls = 0;
    const error = await runBatchFile({
      runsFile: runs,
      outFile: out,
      workers: 2,
      writeSync: (fd, bytes, offset, length) => {
        if (++calls === at) {
          writeSync(fd, bytes, offset, Math.floor(length / 2));
          throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC', syscall: 'write' });
        }
        return writeSync(fd, bytes, offset, length);
      },
    }).then(() => undefined, (e: unknown) => e);
    const stopped = error instanceof AcaError && (error as AcaError).code === 'ERR_RESULTS_WRITE';
    await runBatchFile({ runsFile: runs, outFile: out, workers: 2 });
    record(F, stopped && same(out) ? 'clean' : stopped ? 'lost' : 'silent', `ENOSPC at record ${at}`);
  }
  // kill -9 at random points, then restart.
  for (let k = 0; k < 3; k++) {
    const out = join(dir, `killed-${k}.jsonl`);
    const child = spawnSync('bash', ['-c', `node ${ACA} batch ${runs} --out ${out} --workers 2 --quiet & p=$!; sleep ${(1.2 + 0.4 * k).toFixed(1)}; kill -9 $p; wait $p`], { encoding: 'utf8', timeout: HANG_MS });
    void child;
    const again = spawnSync(process.execPath, [ACA, 'batch', runs, '--out', out, '--quiet'], { encoding: 'utf8', timeout: HANG_MS });
    record(F, again.status === 0 && same(out) ? 'clean' : 'lost', `kill -9 after ${1.2 + 0.4 * k} s: ${again.stderr}`);
  }
  // Two batches at once on one output: the second starts once the first holds the lock (a run
  // that hangs for its 4 s time limit keeps the first busy).
  const shared = join(dir, 'shared.jsonl');
  const slow = file('slow.jsonl', readFileSync(runs, 'utf8') + JSON.stringify({ id: 'hang', kind: 'grad', timeoutSeconds: 4, testFault: { kind: 'hang', attempts: 'always' }, ...figureEightJob(2, { seed: 1 }) }) + '\n');
  const both = spawnSync(
    'bash',
    ['-c', `node ${ACA} batch ${slow} --out ${shared} --quiet 2>${dir}/a.err & p=$!; while [ ! -e ${shared}.lock ]; do sleep 0.05; done; node ${ACA} batch ${slow} --out ${shared} --quiet 2>${dir}/b.err; echo $?; wait $p; echo $?`],
    { encoding: 'utf8', timeout: HANG_MS },
  );
  const [second, first] = both.stdout.trim().split('\n').map(Number);
  const hangLines = readFileSync(shared, 'utf8').split('\n').filter((l) => l.includes('"id":"hang"'));
  record(F, second === 2 && first === 1 && same(shared) && hangLines.length === 1 ? 'clean' : 'lost', `two batches: exits ${first}, ${second}: ${readFileSync(join(dir, 'b.err'), 'utf8')}`);
  // A run that would hold the batch for ever: Van der Pol, mu = 1e6, maxSteps 1e9, 2 s limit.
  const vdp = file('vdp.jsonl', JSON.stringify({ id: 'vdp', kind: 'solve', timeoutSeconds: 2, spec: { model: { states: ['x', 'v'], params: ['mu'], equations: { x: 'v', v: 'mu*(1 - x^2)*v - x' } }, initial: { x: 2, v: 0 }, params: { mu: 1e6 }, times: [0, 3000], solver: { maxSteps: 1e9 } } }) + '\n');
  const vdpOut = join(dir, 'vdp-out.jsonl');
  const r = spawnSync(process.execPath, [ACA, 'batch', vdp, '--out', vdpOut, '--quiet'], { encoding: 'utf8', timeout: HANG_MS });
  const line = r.status === null ? undefined : JSON.parse(readFileSync(vdpOut, 'utf8').trim());
  // Stopped by its time limit, or (since the stiffness test) as stiff: either is a clean error.
  const stopped = (line?.error?.code === 'ERR_RUN_TIMEOUT' || line?.error?.code === 'ERR_STIFF') && line.error.attempts === 1;
  record(F, r.status === null ? 'hang' : stopped ? 'clean' : 'silent', `vdp: ${JSON.stringify(line)}`);
  // A batch line with a typo: refused, not run with the default count.
  const typo = file('typo.jsonl', JSON.stringify({ id: 't', kind: 'fit', spec: lvFit('typo', 5).spec, iteration: 2 }) + '\n');
  const typoOut = join(dir, 'typo-out.jsonl');
  spawnSync(process.execPath, [ACA, 'batch', typo, '--out', typoOut, '--quiet'], { encoding: 'utf8', timeout: HANG_MS });
  const typoLine = JSON.parse(readFileSync(typoOut, 'utf8').trim());
  record(F, typoLine.ok === false && /did you mean "iterations"/.test(typoLine.error.message) ? 'clean' : 'silent', `typo: ${JSON.stringify(typoLine)}`);
}

try {
  await generated();
  await namedInputs();
  if (!quick) {
    await commandLine();
    await faults();
  }
} finally {
  await closePool({ force: true });
  rmSync(dir, { recursive: true, force: true });
}

const header = ['category', 'inputs', 'accepted (right)', 'clean error', 'stack trace', 'hang', 'silent wrong result', 'data lost'];
const rows = [...table].map(([category, r]) => [category, String(COLUMNS.reduce((s, k) => s + r[k], 0)), ...COLUMNS.map((k) => String(r[k]))]);
const totals = COLUMNS.map((k) => [...table.values()].reduce((s, r) => s + r[k], 0));
rows.push(['total', String(totals.reduce((a, b) => a + b, 0)), ...totals.map(String)]);
const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
const line = (cells: string[]) => `| ${cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w, j) => (j === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
for (const r of rows) console.log(line(r));
if (notes.length > 0) console.log(`\nNot clean:\n${notes.map((n) => `  ${n}`).join('\n')}`);
process.exitCode = totals[2] + totals[3] + totals[4] + totals[5] > 0 ? 1 : 0;
