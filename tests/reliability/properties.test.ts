/**
 * Property tests over hostile input: whatever a spec, an expression, a CSV file or a batch run
 * line holds, the library answers with a value or one of its own errors (a class with a code),
 * and the command (main, in-process) ends with exit 0, 1 or 2 and a short message with no
 * stack trace. The test timeouts are the hang detector: a generated input that ran away (a
 * billion bodies, 10^12 output times) would time the test out.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { main } from '../../src/cli/main.ts';
import { AcaError } from '../../src/errors.ts';
import { expressionField } from '../../src/fields/expression/compile.ts';
import { parseCsv } from '../../src/io/csv.ts';
import { encodeRecord, parseRunLine } from '../../src/parallel/batch-runs.ts';
import { CheckpointError } from '../../src/fit/checkpoint.ts';
import { readCheckpoint } from '../../src/fit/checkpoint-file.ts';
import { csvText, expression, hostileName, runLine, spec } from './hostile.ts';

const dir = mkdtempSync(join(tmpdir(), 'aca-props-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stack frame line as Node prints it. */
const STACK = /\n\s+at .+[(:]\d+/;

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

function expectCleanError(error: unknown): void {
  expect(error, String((error as Error)?.stack)).toBeInstanceOf(AcaError);
  const e = error as AcaError;
  expect(typeof e.code).toBe('string');
  // Capped: no input may produce a message that floods a terminal.
  expect(e.message.length).toBeLessThanOrEqual(8000);
}

describe('hostile input (property tests)', () => {
  it('aca check on generated specs: exit 0 or 2, a short message, no stack trace', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(spec, async (value) => {
        const file = join(dir, `spec-${n++}.yaml`);
        writeFileSync(file, stringify(value, { aliasDuplicateObjects: false }));
        const r = await run(['check', file]);
        expect([0, 2], r.stderr).toContain(r.code);
        expect(r.stderr).not.toMatch(STACK);
        expect(r.stderr.length).toBeLessThanOrEqual(5000);
        if (r.code === 0) expect(r.stdout.startsWith('ok: ')).toBe(true);
        else expect(r.stderr.startsWith('aca check: ')).toBe(true);
      }),
      { numRuns: 150, seed: 16 },
    );
  }, 120_000);

  it('expressions compile or fail with a ModelError naming the equation', () => {
    fc.assert(
      fc.property(fc.array(hostileName, { minLength: 1, maxLength: 2 }), expression, (states, source) => {
        const equations: Record<string, string> = {};
        for (const s of states) Object.defineProperty(equations, s, { value: source, enumerable: true, configurable: true, writable: true });
        try {
          const field = expressionField({ states, params: [], equations });
          // Compiled: it evaluates without throwing (a value may be NaN, which the solver reports).
          field.f(0, new Float64Array(field.dim).fill(0.5), new Float64Array(0), new Float64Array(field.dim));
        } catch (error) {
          expectCleanError(error);
          expect((error as AcaError).code).toBe('ERR_MODEL');
        }
      }),
      { numRuns: 300, seed: 16 },
    );
  }, 60_000);

  it('CSV text gives a table of finite times and finite-or-missing values, or a CsvError', () => {
    fc.assert(
      fc.property(csvText, (text) => {
        try {
          const table = parseCsv(text, { name: 'data.csv' });
          for (let k = 0; k < table.times.length; k++) {
            expect(Number.isFinite(table.times[k])).toBe(true);
            if (k > 0) expect(table.times[k]).toBeGreaterThan(table.times[k - 1]);
          }
          for (const v of table.values) expect(Number.isNaN(v) || Number.isFinite(v)).toBe(true);
          expect(table.values.some((v) => !Number.isNaN(v))).toBe(true);
        } catch (error) {
          expectCleanError(error);
          expect((error as AcaError).code).toBe('ERR_DATA');
        }
      }),
      { numRuns: 500, seed: 16 },
    );
  });

  it('a batch run line is a run or a recorded reason, never a throw; unknown keys never run', () => {
    fc.assert(
      fc.property(runLine, (text) => {
        const entry = parseRunLine(text, 3, dir);
        if (entry === undefined) {
          expect(text.trim() === '' || text.trim().startsWith('#')).toBe(true);
          return;
        }
        if (entry.invalid) {
          expect(entry.invalid.message.startsWith('line 3: ')).toBe(true);
          expect(entry.invalid.message.length).toBeLessThanOrEqual(600);
        } else {
          const run = entry.run as Record<string, unknown>;
          expect(Object.keys(run)).not.toContain('iteration');
          expect(typeof run.kind).toBe('string');
          if (run.timeoutSeconds !== undefined) expect(run.timeoutSeconds).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500, seed: 16 },
    );
  });
});

describe('hostile input through the command (child-free, in-process main)', () => {
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it.each([
    ['a billion bodies', 'model: { builtin: nbody, bodies: 1000000000 }\n', /model.bodies: must be <= 1000/],
    ['10^12 output times', 'model: { states: [x], equations: { x: -x } }\ninitial: { x: 1 }\ntimes: { start: 0, stop: 1, count: 1e12 }\n', /times.count: must be <= 1000000/],
    ['a ten-billion-unit layer', 'model: { states: [x, y], network: { sizes: [2, 10000000000, 2] } }\n', /model.network.sizes\[1\]: must be <= 100000/],
    ['toString as a function', "model: { states: [x], equations: { x: 'toString(x)' } }\ninitial: { x: 1 }\n", /unsupported function 'toString'/],
    ['a 1,000-level power tower', `model: { states: [x], equations: { x: '${Array(1000).fill('x').join('^')}' } }\ninitial: { x: 1 }\n`, /nested 1000 levels deep/],
    ['an alias bomb', 'a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n', /too many YAML aliases/],
    ['rtol 0 and atol 0', 'model: { states: [x], equations: { x: -x } }\ninitial: { x: 1 }\nsolver: { rtol: 0, atol: 0 }\n', /solver.rtol: must be >= 1e-14/],
  ])('%s: exit 2, one clear message', async (_what, text, message) => {
    const r = await run(['check', write(`${_what.replace(/\W/g, '_')}.yaml`, text)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('states named valueOf and constructor, weighted and observed, are valid', async () => {
    const data = write('proto.csv', 't,valueOf,constructor\n0,1,0\n1,0.5,0.5\n');
    const file = write(
      'proto.yaml',
      `model: { states: [valueOf, constructor], params: [k], equations: { valueOf: -k*valueOf, constructor: k*valueOf } }\n` +
        `initial: { valueOf: 1, constructor: 0 }\nparams: { k: { value: 0.5, bounds: [0, 5] } }\ndata: ${data}\n` +
        `loss: { weights: { valueOf: 2 } }\n`,
    );
    const r = await run(['grad', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/loss/);
    expect(r.stdout).not.toMatch(/NaN/);
  });

  it('an output path through a file, onto a folder: exit 2 naming the file and errno; --debug adds the stack', async () => {
    const specFile = write('ok.yaml', 'model: { states: [x], equations: { x: -x } }\ninitial: { x: 1 }\ntimes: [0, 1]\n');
    const plain = write('plain.txt', 'a file');
    const through = await run(['solve', specFile, '--out', join(plain, 'out.csv')]);
    expect(through.code).toBe(2);
    expect(through.stderr).toMatch(/^aca solve: cannot write '.*plain\.txt' \((EEXIST|ENOTDIR): /);
    expect(through.stderr.trim().split('\n')).toHaveLength(1);
    const folder = await run(['solve', specFile, '--out', dir]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toMatch(/EISDIR/);
    const debug = await run(['solve', specFile, '--out', dir, '--debug']);
    expect(debug.stderr).toMatch(STACK);
  });

  it('--iterations -1 says how to write a value, not that the option takes none', async () => {
    const r = await run(['fit', 'x.yaml', '--iterations', '-1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs a value/);
    const eq = await run(['fit', 'x.yaml', '--iterations=-1']);
    expect(eq.stderr).toMatch(/--iterations must be a positive integer, got '-1'/);
  });
});

describe('hostile input through the real command (child processes)', () => {
  const ACA = resolve(import.meta.dirname, '../../bin/aca.mjs');
  const aca = (...args: string[]) => spawnSync(process.execPath, [ACA, ...args], { encoding: 'utf8', timeout: 60_000, cwd: dir });

  it.each([
    ['an alias bomb', ['check', 'bomb.yaml'], 2, /^aca check: .*bomb\.yaml: cannot read the YAML: too many YAML aliases \(the limit is 100\)\n$/],
    ['--data of a file that does not exist', ['three-body', '--data', 'missing.csv', '--initial', 'init.json'], 2, /^aca three-body: invalid data:\n  missing\.csv: cannot read: no such file\n$/],
    ['--out through a file', ['solve', 'ok.yaml', '--out', 'plain.txt/out.csv'], 2, /^aca solve: cannot write 'plain\.txt' \(EEXIST: a part of the path is a file, not a folder\)\n$/],
    ['a batch line with a typo', ['batch', 'typo.jsonl', '--out', 'typo-out.jsonl', '--quiet'], 1, /^aca batch: 0 ok, 1 failed\n$/],
  ])('%s: its exit code and one message, no stack trace', (_what, args, code, message) => {
    writeFileSync(join(dir, 'bomb.yaml'), 'a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n');
    writeFileSync(join(dir, 'init.json'), '{"masses": [1, 1], "y0": [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]}');
    writeFileSync(join(dir, 'ok.yaml'), 'model: { states: [x], equations: { x: -x } }\ninitial: { x: 1 }\ntimes: [0, 1]\n');
    writeFileSync(join(dir, 'plain.txt'), 'a file');
    writeFileSync(join(dir, 'typo.jsonl'), JSON.stringify({ id: 'a', kind: 'fit', spec: 'ok.yaml', iteration: 2 }) + '\n');
    const r = aca(...args);
    expect(r.stderr).toMatch(message);
    expect(r.status).toBe(code);
    expect(r.stderr).not.toMatch(STACK);
    if (args[0] === 'batch') {
      const line = JSON.parse(readFileSync(join(dir, 'typo-out.jsonl'), 'utf8'));
      expect(line.error.message).toBe('line 1: unknown key "iteration" (did you mean "iterations"?)');
    }
  }, 60_000);
});

describe('records and checkpoints that cannot be used as they are', () => {
  it('a result too large for one JSON string becomes that run\'s failure, not a failed write', () => {
    const huge = { toJSON: () => { throw new RangeError('Invalid string length'); } };
    const record = encodeRecord({ id: 'big', ok: true, kind: 'solve', result: huge, elapsedMs: 1 });
    expect(record.ok).toBe(false);
    expect(JSON.parse(record.json)).toEqual({
      id: 'big',
      ok: false,
      kind: 'solve',
      error: { code: 'ERR_RESULT_TOO_LARGE', message: 'the result is too large to write as one JSON line (Invalid string length)', attempts: 1 },
      elapsedMs: 1,
    });
  });

  it.each([
    ['no theta', { theta: undefined }, '"theta" is not a list of finite numbers'],
    ['no optimizer state', { optimizer: undefined }, '"optimizer" is not the state of adam'],
    ['moments shorter than theta', { optimizer: { kind: 'adam', lr: 0.1, t: 1, m: [0], v: [0] } }, 'not as long as theta'],
    ['no counters', { counters: null }, 'no "counters"'],
  ])('a checkpoint with the right hash and %s is refused with a CheckpointError', async (_what, change, message) => {
    const good = {
      format: 'aca-ode/fit-checkpoint@2', version: 2, hash: 'h', method: 'adam', iteration: 3, theta: [1, 2], loss: 1, gradient: [0, 0],
      optimizer: { kind: 'adam', lr: 0.1, t: 3, m: [0, 0], v: [0, 0] }, history: [2, 1.5, 1],
      counters: { evaluations: 3, fEvals: 10, vjpEvals: 10, accepted: 5, rejected: 0, elapsedMs: 1 }, written: 'now',
    };
    const file = join(dir, 'checkpoint.json');
    writeFileSync(file, JSON.stringify(good));
    await expect(readCheckpoint(file)).resolves.toMatchObject({ iteration: 3 });
    writeFileSync(file, JSON.stringify({ ...good, ...change }));
    const error = await readCheckpoint(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toContain(message);
  });
});

describe('paths that are not regular files', () => {
  it('a FIFO as a spec, as data and as an output is refused before any read or write (no hang, exit 2)', async () => {
    const fifo = join(dir, 'fifo');
    spawnSync('mkfifo', [fifo]);
    const ok = join(dir, 'fifo-ok.yaml');
    writeFileSync(ok, 'model: { states: [x], equations: { x: -x } }\ninitial: { x: 1 }\ntimes: [0, 1]\n');
    const asSpec = await run(['check', fifo]);
    expect(asSpec).toMatchObject({ code: 2, stderr: `aca check: cannot read spec file '${fifo}': not a regular file\n` });
    const asData = await run(['check', ok, '--data', fifo]);
    expect(asData.stderr).toBe(`aca check: cannot read data file '${fifo}': not a regular file\n`);
    const asOut = await run(['solve', ok, '--out', fifo]);
    expect(asOut).toMatchObject({ code: 2, stderr: `aca solve: cannot write '${fifo}' (not a regular file; give a file path, or - for stdout)\n` });
  });
});
