/**
 * The parts of the time-series training: series checks, subsequence sampling, schedules, early
 * stopping on a held-out tail, the batch hook, saving and loading a fitted model, forecasts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.ts';
import { expressionField } from '../../src/fields/expression/compile.ts';
import { hybridField } from '../../src/fields/hybrid.ts';
import { mlpField } from '../../src/fields/mlp.ts';
import { solve } from '../../src/solvers/solve.ts';
import { createRng } from '../../src/util/random.ts';
import { evaluateInline, type SubsequenceBatch } from '../../src/timeseries/evaluate.ts';
import { forecast, forecastReport } from '../../src/timeseries/forecast.ts';
import { candidateStarts, resolveStartFrom, sampleSubsequences, subsequenceProblem } from '../../src/timeseries/minibatch.ts';
import { FittedModelError } from '../../src/timeseries/model-io.ts';
import { loadFittedModel, saveFittedModel } from '../../src/timeseries/model-file.ts';
import { runTimeSeriesJob } from '../../src/timeseries/job.ts';
import { forecastCsv, forecastPlot } from '../../src/timeseries/plot.ts';
import { checkSchedule, learningRate } from '../../src/timeseries/schedule.ts';
import { createTimeSeries, holdoutStart, seriesMse } from '../../src/timeseries/series.ts';
import { autonomousField, trainTimeSeries } from '../../src/timeseries/train.ts';

const LV = expressionField({
  states: ['x', 'y'],
  params: ['a', 'b', 'c', 'd'],
  equations: { x: 'a*x - b*x*y', y: '-c*y + d*x*y' },
});
const TRUE = [1.5, 1, 3, 1];
const TIMES = Float64Array.from({ length: 60 }, (_, k) => k / 6);
const TRUTH = solve(LV, [1, 1], { times: TIMES, params: TRUE, rtol: 1e-10, atol: 1e-12 });

const dir = mkdtempSync(join(tmpdir(), 'aca-timeseries-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('createTimeSeries', () => {
  it('accepts rows with null for missing cells and observed states by name', () => {
    const s = createTimeSeries({ times: [0, 0.5, 2], values: [[1], [null], [3]], observed: ['y'] }, LV);
    expect(s.observed).toEqual([1]);
    expect(s.columns).toEqual(['y']);
    expect(Number.isNaN(s.values[1])).toBe(true);
  });

  it('refuses bad input with the entry and what is allowed', () => {
    expect(() => createTimeSeries({ times: [0, 1, 1], values: [1, 2, 3, 4, 5, 6] }, LV)).toThrow(/series\.times\[2\].*strictly increasing/);
    expect(() => createTimeSeries({ times: [0, 1], values: [1, 2, 3] }, LV)).toThrow(/series\.values.*4 \(2 times x 2 observed states\)/);
    expect(() => createTimeSeries({ times: [0, 1], values: [1, 2], observed: ['z'] }, LV)).toThrow(/series\.observed\[0\].*one of x, y/);
    expect(() => createTimeSeries({ times: [0, 1], values: [[1, Infinity], [1, 2]] }, LV)).toThrow(/series\.values\[0\]\[1\]/);
    expect(() => createTimeSeries({ times: [0, 1], values: [NaN, NaN, NaN, NaN] }, LV)).toThrow(/at least one observed value/);
  });

  it('holds out the last fraction of the rows', () => {
    const s = createTimeSeries({ times: TIMES, values: TRUTH.y }, LV);
    expect(holdoutStart(s, 0)).toBe(60);
    expect(holdoutStart(s, 0.25)).toBe(45);
    expect(() => holdoutStart(s, 1)).toThrow(InvalidArgumentError);
  });
});

describe('subsequences', () => {
  const values = Float64Array.from(TRUTH.y);
  values[2 * 5] = NaN; // row 5 is incomplete
  const series = createTimeSeries({ times: TIMES, values }, LV);

  it("starts only at complete rows in 'data' mode, anywhere in 'prediction' mode", () => {
    const starts = candidateStarts(series, 60, 10, 'data');
    expect(Array.from(starts)).not.toContain(5);
    expect(starts.length).toBe(50);
    expect(candidateStarts(series, 60, 10, 'prediction').length).toBe(51);
    expect(resolveStartFrom(series, 60)).toBe('data');
    const xOnly = createTimeSeries({ times: [0, 1, 2], values: [1, 2, 3], observed: ['x'] }, LV);
    expect(resolveStartFrom(xOnly, 3)).toBe('prediction');
    expect(() => candidateStarts(xOnly, 3, 2, 'data')).toThrow(/startFrom 'prediction'/);
  });

  it('draws distinct starts (without replacement), the same for the same seed', () => {
    const starts = candidateStarts(series, 60, 10, 'data');
    const a = sampleSubsequences(starts, 20, 10, createRng(7));
    const b = sampleSubsequences(starts, 20, 10, createRng(7));
    expect(a).toEqual(b);
    expect(new Set(a.map((s) => s.start)).size).toBe(20);
    for (const s of a) expect(Array.from(starts)).toContain(s.start);
    // More subsequences than starts: with replacement.
    expect(sampleSubsequences(Int32Array.of(3, 4), 5, 10, createRng(1)).length).toBe(5);
  });

  it('builds a problem from the start row, shifted to t = 0, with no loss on the start row', () => {
    const p = subsequenceProblem(series, { start: 12, length: 4 }, Float64Array.of(9, 9), true);
    expect(p.times[0]).toBe(0);
    expect(p.times[3]).toBeCloseTo(TIMES[15] - TIMES[12], 14);
    expect(Number.isNaN(p.target[0]) && Number.isNaN(p.target[1])).toBe(true);
    expect(p.target[2]).toBe(TRUTH.y[26]);
    const absolute = subsequenceProblem(series, { start: 12, length: 4 }, Float64Array.of(9, 9), false);
    expect(absolute.times[0]).toBe(TIMES[12]);
  });
});

describe('learning-rate schedules', () => {
  it('steps, cosines and warms up as documented', () => {
    expect(learningRate({ kind: 'step', every: 10, factor: 0.5 }, 1, 10, 100)).toBe(1);
    expect(learningRate({ kind: 'step', every: 10, factor: 0.5 }, 1, 11, 100)).toBe(0.5);
    expect(learningRate({ kind: 'cosine' }, 1, 50, 100)).toBeCloseTo(0.5, 14);
    expect(learningRate({ kind: 'cosine', minLr: 0.1 }, 1, 100, 100)).toBeCloseTo(0.1, 14);
    expect(learningRate({ kind: 'cosine', warmup: 10 }, 1, 5, 100)).toBeCloseTo(0.5, 14);
    expect(() => checkSchedule({ kind: 'linear' }, 1)).toThrow(/schedule\.kind/);
    expect(() => checkSchedule({ kind: 'step', every: 0, factor: 0.5 }, 1)).toThrow(/schedule\.every/);
  });
});

describe('training loop', () => {
  const series = createTimeSeries({ times: TIMES, values: TRUTH.y }, LV);

  it('keeps subsequences inside the training rows and stops early on the held-out tail', async () => {
    let lastRow = 0;
    const result = await trainTimeSeries({
      field: LV,
      series,
      // The true parameters: the held-out error can only get worse as Adam takes lr-sized steps
      // on a vanishing gradient, so the best is iteration 0 and patience runs out.
      params: TRUE,
      holdout: 0.25,
      iterations: 200,
      batchSize: 5,
      batchLength: 6,
      lr: 1e-2,
      validateEvery: 5,
      patience: 3,
      evaluateBatch: (batch: SubsequenceBatch) => {
        for (const p of batch.problems) lastRow = Math.max(lastRow, p.start + p.times.length - 1);
        return evaluateInline(batch);
      },
    });
    expect(result.trainRows).toBe(45);
    expect(lastRow).toBeLessThan(45);
    expect(result.reason).toBe('early_stopping');
    expect(result.iterations).toBe(15);
    expect(result.bestIteration).toBe(0);
    expect(Array.from(result.params)).toEqual(TRUE);
    expect(result.validations.map((v) => v.iteration)).toEqual([0, 5, 10, 15]);
  });

  it('holds untrained parameters fixed and refuses bad options', async () => {
    const result = await trainTimeSeries({ field: LV, series, params: [1.2, 1, 3, 1], trainable: [0], iterations: 20, lr: 1e-2 });
    expect(result.params[0]).not.toBe(1.2);
    expect(Array.from(result.params.subarray(1))).toEqual([1, 3, 1]);
    await expect(trainTimeSeries({ field: LV, series, params: [1, 2] })).rejects.toThrow(/invalid params/);
    await expect(trainTimeSeries({ field: LV, series, params: TRUE, batchLength: 1 })).rejects.toThrow(/batchLength/);
    await expect(trainTimeSeries({ field: LV, series, params: TRUE, gradient: { method: 'mali' as never } })).rejects.toThrow(/gradient.method/);
  });

  it('stops between iterations when its signal aborts, returning what it has', async () => {
    const controller = new AbortController();
    const result = await trainTimeSeries({
      field: LV,
      series,
      params: [1.2, 1, 3, 1],
      iterations: 100,
      signal: controller.signal,
      onIteration: (r) => {
        if (r.iteration === 3) controller.abort();
      },
    });
    expect(result.reason).toBe('interrupted');
    expect(result.iterations).toBe(3);
    expect(result.history.length).toBe(3);
  });

  it('knows which fields are autonomous from their spec', () => {
    expect(autonomousField(LV)).toBe(true);
    expect(autonomousField(expressionField({ states: ['x'], params: [], equations: { x: 'sin(2t) - x' } }))).toBe(false);
    expect(autonomousField(mlpField({ sizes: [2, 4, 2] }))).toBe(true);
    expect(autonomousField(mlpField({ sizes: [3, 4, 2], timeInput: true }))).toBe(false);
    const hybrid = (args: string) =>
      hybridField({ model: { states: ['x'], params: [], equations: { x: `-nn(${args})` } }, network: { sizes: [args.split(',').length, 3, 1] } });
    expect(autonomousField(hybrid('x'))).toBe(true);
    expect(autonomousField(hybrid('x, t'))).toBe(false);
  });
});

describe('fitted models and forecasts', () => {
  const series = createTimeSeries({ times: TIMES, values: TRUTH.y }, LV);

  it('saves and loads a model that gives the same trajectory (hybrid field)', async () => {
    const field = hybridField({
      model: { states: ['x', 'y'], params: ['a', 'c', 'd'], equations: { x: 'a*x - nn(x, y)[1]', y: '-c*y + d*x*y' } },
      network: { sizes: [2, 5, 1], activation: 'tanh', seed: 3 },
    });
    const params = field.initParams([1.5, 3, 1]);
    params[4] = 0.1 + 1 / 3; // a value whose decimal form is long
    const file = join(dir, 'model.json');
    await saveFittedModel(file, { field, params, y0: [1, 1], t0: 0, training: { iterations: 7 } });
    const loaded = await loadFittedModel(file);
    expect(Array.from(loaded.params)).toEqual(Array.from(params));
    expect(loaded.training).toEqual({ iterations: 7 });
    const a = solve(field, [1, 1], { times: [0, 0.5], params }).y;
    const b = solve(loaded.field, loaded.y0, { times: [0, 0.5], params: loaded.params }).y;
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('refuses a broken model file, naming the entry', async () => {
    const file = join(dir, 'bad.json');
    const good = JSON.parse(
      JSON.stringify({ format: 'aca-ode/fitted-model', version: 1, field: LV.spec, params: TRUE, y0: [1, 1], t0: 0 }),
    );
    writeFileSync(file, JSON.stringify({ ...good, params: [1, 2] }));
    await expect(loadFittedModel(file)).rejects.toThrow(FittedModelError);
    await expect(loadFittedModel(file)).rejects.toThrow(/params: expected an array of 4 numbers/);
    writeFileSync(file, JSON.stringify({ ...good, version: 9 }));
    await expect(loadFittedModel(file)).rejects.toThrow(/version: version 9 is not supported/);
    writeFileSync(file, JSON.stringify({ ...good, field: { kind: 'nope' } }));
    await expect(loadFittedModel(file)).rejects.toThrow(/field: invalid field\.kind/);
    writeFileSync(file, '{');
    await expect(loadFittedModel(file)).rejects.toThrow(/not JSON/);
    writeFileSync(file, JSON.stringify(good));
    expect((await loadFittedModel(file)).field.nParams).toBe(4);
    expect(readFileSync(file, 'utf8')).toContain('aca-ode/fitted-model');
  });

  it('forecasts past the data with one solve that also hits the data times', () => {
    const fc = forecast(LV, TRUE, [1, 1], series, { until: 14, points: 141, solver: { rtol: 1e-10, atol: 1e-12 } });
    expect(fc.times[140]).toBe(14);
    expect(fc.dataEnd).toBe(TIMES[59]);
    const direct = solve(LV, [1, 1], { times: fc.times, params: TRUE, rtol: 1e-10, atol: 1e-12 }).y;
    for (let q = 0; q < direct.length; q++) expect(Math.abs(fc.states[q] - direct[q])).toBeLessThan(1e-7);
    expect(fc.mseOnData).toBeLessThan(1e-14);
    expect(seriesMse(series, fc.atData)).toBe(fc.mseOnData);
    const report = forecastReport(fc, LV.stateNames) as { states: Record<string, number[]>; until: number };
    expect(report.until).toBe(14);
    expect(report.states.y.length).toBe(141);
    const svg = forecastPlot(series, fc, { title: 'LV', stateNames: LV.stateNames });
    expect(svg.startsWith('<svg') || svg.startsWith('<?xml')).toBe(true);
    expect(svg).toContain('forecast');
    // The phase plane's model curve is drawn from the dense grid (141 points), not the 60 data times.
    const phase = svg.slice(svg.indexOf('>y against x</text>'));
    const modelPath = phase.match(/<path d="([^"]*)" fill="none" stroke="#[0-9a-f]+" stroke-width="1.5"/)![1];
    expect(modelPath.split(/[ML]/).filter(Boolean).length).toBe(141);
    // fit.csv: the grid rows are the forecast's states, the data rows the model and data at the data times.
    const csv = forecastCsv(series, fc, LV.stateNames).trimEnd().split('\n');
    expect(csv[0]).toBe('t,kind,x_model,x_data,y_model,y_data');
    expect(csv.length).toBe(1 + 141 + TIMES.length);
    const grid = csv.filter((r) => r.split(',')[1] === 'grid').map((r) => r.split(','));
    const rows = csv.filter((r) => r.split(',')[1] === 'data').map((r) => r.split(','));
    expect(grid.length).toBe(141);
    expect(Number(grid[140][0])).toBe(14);
    expect(Number(grid[70][4])).toBe(fc.states[70 * 2 + 1]);
    expect(Number(rows[7][0])).toBe(TIMES[7]);
    expect(Number(rows[7][2])).toBe(fc.atData[7 * 2]);
    expect(Number(rows[7][3])).toBe(series.values[7 * 2]);
    const times = csv.slice(1).map((r) => Number(r.split(',')[0]));
    for (let k = 1; k < times.length; k++) expect(times[k]).toBeGreaterThanOrEqual(times[k - 1]);
    expect(() => forecast(LV, TRUE, [1, 1], series, { until: 5 })).toThrow(/until.*at or after the data's end/);
  });

  it('runs a whole job: trains a neural ODE, forecasts, writes report, plot and model', async () => {
    const field = mlpField({ sizes: [2, 8, 2], activation: 'tanh', seed: 2 });
    const out = join(dir, 'job');
    const job = await runTimeSeriesJob({
      name: 'lv-neural',
      train: { field, series, params: field.initParams(), iterations: 30, holdout: 0.2, validateEvery: 10, lr: 1e-2, clipNorm: 1 },
      until: 14,
      points: 50,
      outDir: out,
    });
    expect(job.files.map((f) => f.slice(out.length + 1)).sort()).toEqual(['fit.csv', 'fit.svg', 'model.json', 'report.json']);
    expect(readFileSync(join(out, 'fit.csv'), 'utf8').trimEnd().split('\n').length).toBe(1 + 50 + 60);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.forecast.until).toBe(14);
    expect(report.forecast.times.length).toBe(50);
    expect(report.training.heldOutRows).toBe(12);
    expect(report.history.loss.length).toBe(30);
    expect(Object.keys(report.params).length).toBe(field.nParams);
    const loaded = await loadFittedModel(join(out, 'model.json'));
    expect(Array.from(loaded.params)).toEqual(Array.from(job.result.params));
    expect(readFileSync(join(out, 'fit.svg'), 'utf8')).toContain('training loss');
  });
});
