/**
 * The `aca` command: exit codes (0 ok, 1 failure while running, 2 bad input), messages, output
 * files. Most commands run in-process through main(argv, io); the fit runs end to end as a child
 * process (bin/aca.mjs), once to completion and once interrupted with SIGINT and resumed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, main } from '../../src/cli/main.ts';
import { fit } from '../../src/fit/fit.ts';
import { evaluateProblem, initialTheta } from '../../src/fit/objective.ts';
import { parseCsv } from '../../src/io/csv.ts';
import { solve } from '../../src/solvers/solve.ts';
import { loadProblem } from '../../src/spec/load.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const LV_SPEC = join(ROOT, 'data/lotka_volterra.yaml');
const LV_DATA = join(ROOT, 'data/lotka_volterra.csv');
const TRUE_PARAMS: Record<string, number> = { 'params.a': 1.5, 'params.b': 1, 'params.c': 3, 'params.d': 1 };

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'aca-cli-'));
}

/** The LV spec with changes, written to a temporary folder (data by absolute path). */
function lvSpec(dir: string, replace: [RegExp, string][] = []): string {
  let text = readFileSync(LV_SPEC, 'utf8').replace('data: lotka_volterra.csv', `data: ${LV_DATA}`);
  for (const [pattern, value] of replace) text = text.replace(pattern, value);
  const file = join(dir, 'spec.yaml');
  writeFileSync(file, text);
  return file;
}

describe('usage', () => {
  it('aca --help lists the commands; no command is a usage error', async () => {
    const help = await run('--help');
    expect(help.code).toBe(0);
    for (const name of ['check', 'solve', 'grad', 'fit', 'demo']) expect(help.stdout).toContain(`  ${name}`);
    const none = await run();
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: aca-ode COMMAND');
  });

  it('--help on each command', async () => {
    for (const name of ['check', 'solve', 'grad', 'fit', 'demo']) {
      const result = await run(name, '--help');
      expect(result.code).toBe(0);
      expect(result.stdout.startsWith(`Usage: aca ${name}`)).toBe(true);
    }
  });

  it('bad command lines exit with 2 and say why', async () => {
    expect(await run('fitt')).toEqual({
      code: 2,
      stdout: '',
      stderr: `aca: unknown command 'fitt' (did you mean 'fit'?); see aca --help\n`,
    });
    expect((await run('fit', LV_SPEC, '--dta', 'x.csv')).stderr).toBe("aca fit: unknown option '--dta' (did you mean '--data'?)\n");
    expect((await run('check')).stderr).toBe('aca check: missing SPEC (see aca check --help)\n');
    expect((await run('solve', LV_SPEC, '--format', 'xml')).stderr).toBe("aca solve: --format must be csv or json, got 'xml'\n");
    expect((await run('fit', LV_SPEC, '--iterations', 'many')).stderr).toBe("aca fit: --iterations must be a positive integer, got 'many'\n");
    expect(await run('check', 'no/such/spec.yaml')).toEqual({
      code: 2,
      stdout: '',
      stderr: "aca check: cannot read spec file 'no/such/spec.yaml': no such file\n",
    });
  });
});

describe('aca check', () => {
  it('a valid spec and its data', async () => {
    const result = await run('check', LV_SPEC);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('model: 2 states (x, y), 4 parameters (a, b, c, d)');
    expect(result.stdout).toContain('(100 rows; series x, y)');
  });

  it('a bad spec: exit 2 and each problem as path: cause', async () => {
    const dir = tempDir();
    const both = lvSpec(dir, [[/x: a\*x - b\*x\*y/, 'x: aa*x - b*x*y'], [/bounds: \[0.01, 10\] \}\n  b/, 'bounds: [2, 1] }\n  b']]);
    const result = await run('check', both);
    expect(result.code).toBe(2);
    // The spec's shape is checked first, the model's equations once the shape is right.
    expect(result.stderr).toBe(`aca check: invalid spec ${both}:\n  params.a.bounds: lower 2 > upper 1\n`);
    const model = lvSpec(dir, [[/x: a\*x - b\*x\*y/, 'x: aa*x - b*x*y']]);
    expect((await run('check', model)).stderr).toBe(
      `aca check: invalid spec ${model}:\n  model.equations.x: unknown symbol 'aa' (did you mean 'a'?)\n`,
    );
  });

  it('bad data: exit 2 and each bad row with its line', async () => {
    const dir = tempDir();
    const data = join(dir, 'bad.csv');
    writeFileSync(data, 't,x,y\n0.1,1,1\n0.2,1,abc\n0.15,1,1\n');
    const result = await run('check', LV_SPEC, '--data', data);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `aca check: invalid data:\n  ${data} line 3: column 'y' has 'abc', not a number\n` +
        `  ${data} line 4: time 0.15 is not after 0.2 (line 3); times must increase\n`,
    );
  });
});

describe('aca solve', () => {
  it('writes the trajectory as CSV (atomically, to --out) and as JSON', async () => {
    const dir = tempDir();
    const out = join(dir, 'sub', 'traj.csv');
    const result = await run('solve', LV_SPEC, '--out', out);
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
    const table = parseCsv(readFileSync(out, 'utf8'));
    const { problem } = await loadProblem(LV_SPEC);
    const reference = solve(problem.field, problem.y0, { ...problem.solver, times: problem.times!, params: problem.params });
    expect(Array.from(table.times)).toEqual(Array.from(reference.t));
    expect(Array.from(table.values)).toEqual(Array.from(reference.y));
    expect(readdirSync(join(dir, 'sub'))).toEqual(['traj.csv']);

    const json = await run('solve', LV_SPEC, '--format', 'json');
    const parsed = JSON.parse(json.stdout);
    expect(parsed.states).toEqual(['x', 'y']);
    expect(parsed.y[5]).toEqual(Array.from(reference.y.subarray(10, 12)));
    expect(parsed.stats).toEqual(reference.stats);
  });

  it('a solver failure exits with 1 and leaves no output file', async () => {
    const dir = tempDir();
    const spec = lvSpec(dir, [[/rtol: 1.0e-8, atol: 1.0e-10/, 'rtol: 1.0e-8, atol: 1.0e-10, maxSteps: 5']]);
    const out = join(dir, 'traj.csv');
    const result = await run('solve', spec, '--out', out);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^aca solve: maximum number of steps \(5\) exceeded at t = .* before reaching t = 10 \(raise maxSteps, or loosen rtol\/atol\)\n$/);
    expect(readdirSync(dir)).toEqual(['spec.yaml']);
  });
});

describe('aca grad', () => {
  it('the loss and its gradient by fitted entry, state and parameter', async () => {
    const result = await run('grad', LV_SPEC);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    const { problem } = await loadProblem(LV_SPEC);
    const { f, g } = evaluateProblem(problem, initialTheta(problem));
    expect(report.loss).toBe(f);
    expect(report.method).toBe('aca');
    expect(report.gradient).toEqual({ 'params.a': g[0], 'params.b': g[1], 'params.c': g[2], 'params.d': g[3] });
    expect(Object.keys(report.dy0)).toEqual(['x', 'y']);
    expect(report.dp.a).toBe(g[0]);
  });
});

describe('aca fit', () => {
  it('end to end: recovers the Lotka-Volterra parameters to within 2% (child process)', () => {
    const out = tempDir();
    const child = spawnSync(process.execPath, ['bin/aca.mjs', 'fit', 'data/lotka_volterra.yaml', '--data', 'data/lotka_volterra.csv', '--out', out], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(child.stderr).toContain('fit [');
    expect(child.stderr).toMatch(/loss=\d\.\d{4}e[-+]\d+/);
    expect(child.status).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    for (const [path, truth] of Object.entries(TRUE_PARAMS)) {
      expect(Math.abs(report.fitted[path].value / truth - 1)).toBeLessThan(0.02);
    }
    expect(report.history.length).toBe(report.iterations + 1);
    expect(report.converged).toBe(true);
    expect(report.residuals.x.count).toBe(100);
    expect(readdirSync(out).sort()).toEqual(['fit.csv', 'fit.svg', 'report.json']);
    const svg = readFileSync(join(out, 'fit.svg'), 'utf8');
    expect(svg).toContain('<svg');
    // Two series: a phase-plane panel whose fit curve has the dense grid's 400 points, not the data's 100 times.
    const phase = svg.slice(svg.indexOf('>y against x</text>'));
    expect(phase.length).toBeLessThan(svg.length);
    const fitPath = phase.match(/<path d="([^"]*)" fill="none"/)![1];
    expect(fitPath.split(/[ML]/).filter(Boolean).length).toBe(400);
    expect(child.stdout).toContain('params.a');
  });

  it('interrupted by SIGINT: exit 1 with a checkpoint; the same command resumes to the uninterrupted result', async () => {
    const dir = tempDir();
    const spec = lvSpec(dir, [[/optimizer: .*/, 'optimizer: { method: adam, lr: 0.02, iterations: 400, checkpointEvery: 5 }']]);
    const out = join(dir, 'out');
    const args = ['fit', spec, '--out', out];
    const child = spawn(process.execPath, [join(ROOT, 'bin/aca.mjs'), ...args], { cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const checkpoint = join(out, 'checkpoint.json');
    while (!existsSync(checkpoint)) {
      if (child.exitCode !== null) throw new Error(`fit ended before its first checkpoint: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(stderr).toMatch(/aca fit: fit interrupted after \d+ iterations; checkpoint written to .*checkpoint\.json\naca fit: to resume, run the same command again\n$/);
    const stoppedAt = JSON.parse(readFileSync(checkpoint, 'utf8')).iteration;
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(400);

    const resumed = await run(...args, '--quiet');
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toBe(`aca fit: resuming from ${checkpoint} at iteration ${stoppedAt}\n`);
    expect(existsSync(checkpoint)).toBe(false);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.stats.resumedFrom).toBe(stoppedAt);

    const { problem } = await loadProblem(spec);
    const whole = await fit(problem);
    expect(report.iterations).toBe(whole.iterations);
    expect(report.history).toEqual(whole.history);
    whole.fitted.forEach((v) => expect(report.fitted[v.path].value).toBe(v.value));
  });

  it('--resume without a checkpoint, and data that does not fit the model, exit with 2', async () => {
    const out = tempDir();
    const resume = await run('fit', LV_SPEC, '--out', out, '--resume');
    expect(resume.code).toBe(2);
    expect(resume.stderr).toBe(`aca fit: checkpoint ${join(out, 'checkpoint.json')}: not found (nothing to resume)\n`);
    const data = join(out, 'z.csv');
    writeFileSync(data, 't,x,z\n1,1,1\n');
    const bad = await run('fit', LV_SPEC, '--data', data, '--out', out);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(`aca fit: invalid data:\n  ${data} line 1: unknown column 'z' (the series are x, y)\n`);
    expect(readdirSync(out)).toEqual(['z.csv']);
  });

  it('a solver failure during the fit exits with 1', async () => {
    const dir = tempDir();
    const spec = lvSpec(dir, [[/rtol: 1.0e-8, atol: 1.0e-10/, 'rtol: 1.0e-8, atol: 1.0e-10, maxSteps: 5']]);
    const result = await run('fit', spec, '--out', join(dir, 'out'), '--quiet');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^aca fit: maximum number of steps \(5\) exceeded/);
    expect(readdirSync(join(dir, 'out'))).toEqual([]);
  });
});

describe('aca demo', () => {
  it('prints the figure-eight table and closes the orbit to about 4e-8', async () => {
    const result = await run('demo');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[2]).toBe('  0.0000   0.970004  -0.243088  -0.970004   0.243088   0.000000   0.000000');
    const gap = Number(/max \|y\(T\) - y\(0\)\| = (\S+)/.exec(result.stdout)![1]);
    expect(gap).toBeLessThan(1e-7);
  });
});
