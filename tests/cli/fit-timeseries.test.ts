/**
 * `aca fit` on specs whose model has a network, in-process through main(argv, io): the hybrid
 * Lotka-Volterra model of data/lv_hybrid.yaml (its whole schedule) and the spiral neural ODE of
 * data/spiral.yaml (a short schedule), each writing report.json with a forecast, fit.svg, fit.csv and
 * model.json; a series with gaps and an explicit initial state on two worker threads; an
 * interrupt (a child process sent SIGINT); and the command-line errors of a network fit.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { parseCsv } from '../../src/io/csv.ts';
import { solve } from '../../src/solvers/solve.ts';
import { loadProblem } from '../../src/spec/load.ts';
import { loadFittedModel } from '../../src/timeseries/model-file.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const HYBRID_SPEC = join(ROOT, 'data/lv_hybrid.yaml');
const SPIRAL_SPEC = join(ROOT, 'data/spiral.yaml');
const LV_DATA = join(ROOT, 'data/lotka_volterra.csv');
/** The rates the LV data were made with (scripts/make-lv-data.ts); 1% multiplicative noise. */
const TRUE = { a: 1.5, b: 1, c: 3, d: 1 };

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'aca-fit-ts-'));
}

function readJson(file: string): any {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Mean squared error over the data's observed cells of the trajectory `y` (K x 2) at its times. */
function mse(values: Float64Array, y: Float64Array): number {
  let total = 0;
  let cells = 0;
  values.forEach((v, q) => {
    if (Number.isNaN(v)) return;
    total += (y[q] - v) ** 2;
    cells++;
  });
  return total / cells;
}

describe('aca fit: hybrid Lotka-Volterra (data/lv_hybrid.yaml)', () => {
  it('trains the learned term, forecasts to t = 15, writes report.json, fit.svg and model.json', async () => {
    const out = tempDir();
    const result = await run('fit', HYBRID_SPEC, '--out', out);
    expect(result.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['fit.csv', 'fit.svg', 'model.json', 'report.json']);
    expect(result.stdout).toMatch(/^trained hybrid model: 65 network weights and 0 model parameters in 1500 iterations \(iterations\)/);
    expect(result.stdout).toContain(`report: ${join(out, 'report.json')}\n`);

    // The batch loss (progress lines on a non-terminal stream) fell by far more than 10x.
    const losses = [...result.stderr.matchAll(/loss=(\S+)/g)].map((m) => Number(m[1]));
    expect(result.stderr.match(/^fit \[/gm)!.length).toBe(11); // a line per tenth; the last once
    expect(losses[0] / losses[losses.length - 1]).toBeGreaterThan(100);

    const data = parseCsv(readFileSync(LV_DATA, 'utf8'));
    const report = readJson(join(out, 'report.json'));
    expect(report.name).toBe('lv_hybrid');
    expect(report.states).toEqual(['x', 'y']);
    expect(report.params).toMatchObject({ a: TRUE.a, c: TRUE.c, d: TRUE.d });
    expect(report.y0).toEqual({ x: data.values[0], y: data.values[1] });
    // Close to the noise: 1% multiplicative noise has a mean square of 1e-4 times that of the data.
    const noise = (1e-4 * data.values.reduce((s, v) => s + v * v, 0)) / data.values.length;
    expect(report.mseOnData).toBeLessThan(3 * noise);

    // The forecast: 500 points from the first data time to 15, what the saved model predicts.
    const fc = report.forecast;
    expect(fc).toMatchObject({ t0: data.times[0], dataEnd: data.times[data.times.length - 1], until: 15 });
    expect(fc.times.length).toBe(500);
    expect(fc.times[499]).toBe(15);
    const model = await loadFittedModel(join(out, 'model.json'));
    const truth = solve(model.field, model.y0, { times: [15], t0: model.t0, params: model.params, rtol: 1e-10, atol: 1e-12 });
    expect(Math.abs(fc.states.x[499] - truth.y[0])).toBeLessThan(1e-3 * Math.abs(truth.y[0]) + 1e-4);
    expect(Math.abs(fc.states.y[499] - truth.y[1])).toBeLessThan(1e-3 * Math.abs(truth.y[1]) + 1e-4);

    // The learned term a*x - f_x(x, y) against the true b*x*y at the data's states.
    const f = new Float64Array(2);
    let err = 0;
    let ref = 0;
    for (let k = 0; k < data.times.length; k++) {
      const y = data.values.subarray(2 * k, 2 * k + 2);
      model.field.f(data.times[k], y, model.params, f);
      const exact = TRUE.b * y[0] * y[1];
      err += (TRUE.a * y[0] - f[0] - exact) ** 2;
      ref += exact ** 2;
    }
    expect(Math.sqrt(err / ref)).toBeLessThan(0.1);

    const svg = readFileSync(join(out, 'fit.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('forecast');
  }, 60_000);
});

describe('aca fit: spiral neural ODE (data/spiral.yaml)', () => {
  it('a short schedule (--iterations 300) exits 0 with a forecast to --until and a much smaller error', async () => {
    const out = tempDir();
    const result = await run('fit', SPIRAL_SPEC, '--out', out, '--iterations', '300', '--until', '32', '--quiet');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^trained neural ODE: 252 network weights and 0 model parameters in 300 iterations/);
    const report = readJson(join(out, 'report.json'));
    expect(report.field).toBe('mlp');
    expect(report.training.iterations).toBe(300);
    expect(report.forecast.until).toBe(32);
    expect(report.forecast.times[report.forecast.times.length - 1]).toBe(32);
    expect(report.forecast.states.x.every(Number.isFinite)).toBe(true);

    // The untrained network's error on the data, by an independent solve, against the fitted one.
    const { problem } = await loadProblem(SPIRAL_SPEC);
    const data = problem.data!;
    const before = mse(data.values, solve(problem.field, problem.y0, { times: data.times, params: problem.params }).y);
    expect(report.mseOnData).toBeLessThan(before / 10);
    const model = await loadFittedModel(join(out, 'model.json'));
    const after = mse(data.values, solve(model.field, model.y0, { times: data.times, params: model.params, rtol: 1e-10, atol: 1e-12 }).y);
    expect(after).toBeCloseTo(report.mseOnData, 3);
  }, 60_000);
});

describe('aca fit: a network model on a series with gaps', () => {
  it('missing cells, an explicit initial state and two worker threads', async () => {
    const dir = tempDir();
    // The LV data with every 7th x and every 5th y missing, the first y among them.
    const lines = readFileSync(LV_DATA, 'utf8').split('\n');
    let row = 0;
    const gappy = lines
      .map((line) => {
        if (line.startsWith('#') || line.startsWith('t,') || line === '') return line;
        const [t, x, y] = line.split(',');
        const cells = [t, row % 7 === 3 ? '' : x, row % 5 === 0 ? '' : y];
        row++;
        return cells.join(',');
      })
      .join('\n');
    writeFileSync(join(dir, 'gappy.csv'), gappy);
    // Only the subsequence phase: a whole-series phase after 60 iterations would blow up.
    const spec = readFileSync(HYBRID_SPEC, 'utf8')
      .replace('data: lotka_volterra.csv', 'data: gappy.csv\ninitial: { x: 1.017421, y: 0.9789328 }')
      .replace(/\n    - \{ iterations: 500, .*/, '');
    expect(spec).not.toContain('iterations: 500');
    writeFileSync(join(dir, 'spec.yaml'), spec);

    // Without `initial`, the first row's gap is reported.
    writeFileSync(join(dir, 'no-initial.yaml'), readFileSync(HYBRID_SPEC, 'utf8').replace('data: lotka_volterra.csv', 'data: gappy.csv'));
    const missing = await run('fit', join(dir, 'no-initial.yaml'), '--out', join(dir, 'x'));
    expect(missing).toEqual({
      code: 2,
      stdout: '',
      stderr:
        `aca fit: invalid spec ${join(dir, 'no-initial.yaml')}:\n` +
        "  initial: missing (the data's first row, gappy.csv line 5, does not observe y; give the state at t = 0.01)\n",
    });

    const out = join(dir, 'out');
    const result = await run('fit', join(dir, 'spec.yaml'), '--out', out, '--iterations', '60', '--workers', '2', '-q');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = readJson(join(out, 'report.json'));
    expect(report.observed).toEqual(['x', 'y']);
    expect(report.y0).toEqual({ x: 1.017421, y: 0.9789328 });
    expect(report.training.iterations).toBe(60);
    expect(Number.isFinite(report.mseOnData)).toBe(true);
    expect(report.forecast.until).toBe(15);
  }, 60_000);
});

describe('aca fit: an interrupted network fit (child process)', () => {
  it('SIGINT stops the training, writes the files with the best parameters so far, exits with 1', async () => {
    const out = tempDir();
    const child = spawn(process.execPath, [join(ROOT, 'bin/aca.mjs'), 'fit', SPIRAL_SPEC, '--out', out], { cwd: ROOT });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const started = new Promise<void>((done) =>
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        if (stderr.includes('fit [')) done();
      }),
    );
    await Promise.race([started, exited]);
    child.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(stderr).toMatch(/aca fit: training interrupted after \d+ iterations; the files hold the best parameters so far\n$/);
    expect(readdirSync(out).sort()).toEqual(['fit.csv', 'fit.svg', 'model.json', 'report.json']);
    const report = readJson(join(out, 'report.json'));
    expect(report.training.reason).toBe('interrupted');
    expect(report.training.iterations).toBeLessThan(4000);
    expect(report.forecast.until).toBe(30);
    expect(stdout).toContain('(interrupted)');
  }, 60_000);
});

describe('aca fit: command-line errors of a network fit', () => {
  it('exit 2 with the reason, and no files', async () => {
    const out = join(tempDir(), 'out');
    expect(await run('fit', HYBRID_SPEC, '--out', out, '--until', '5')).toEqual({
      code: 2,
      stdout: '',
      stderr: "aca fit: --until 5 is before the data's end 9.991 (the forecast runs past it)\n",
    });
    expect((await run('fit', HYBRID_SPEC, '--out', out, '--until', 'soon')).stderr).toBe("aca fit: --until must be a number, got 'soon'\n");
    expect((await run('fit', HYBRID_SPEC, '--out', out, '--resume')).stderr).toBe(
      "aca fit: --resume is for equation models (a network's training keeps no checkpoint)\n",
    );
    const equation = await run('fit', join(ROOT, 'data/lotka_volterra.yaml'), '--out', out, '--workers', '2');
    expect(equation).toEqual({ code: 2, stdout: '', stderr: 'aca fit: --workers is for a model with a network (model.network)\n' });
    expect(() => readdirSync(out)).toThrow();
  });

  it('aca check summarizes the training', async () => {
    const result = await run('check', SPIRAL_SPEC);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("  fitted: the network's 252 weights\n");
    expect(result.stdout).toContain('  solver: dopri5, gradient: aca, training: neural model, 2 phases, 4000 iterations, forecast to t = 30\n');
  });
});
