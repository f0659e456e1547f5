/**
 * `aca three-body` (what `npm start` runs): estimate the masses of a three-body system from its
 * observed orbits. Without --data it runs the seed paper's experiment: ground truth from the true
 * masses on [0, 1], masses fitted with each gradient method, extrapolated to [0, 2]; prints the
 * comparison table and writes the pictures. With --data it fits the user's observations.
 */
import { mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { GRADIENT_METHODS, type GradientMethodName } from '../../gradients/settings.ts';
import { makeOutputFolder, writeFileAtomic } from '../../io/atomic.ts';
import { PNG_RENDERER, svgToPng } from '../../plot/png.ts';
import { estimate } from '../../three-body/estimate.ts';
import { poolEvaluator } from '../../three-body/pool-evaluator.ts';
import { closePool } from '../../parallel/pool.ts';
import { runPaperExperiment } from '../../three-body/paper-experiment.ts';
import { comparisonTable, lossCsv, lossPlot, orbitCsv, orbitPlot, rowsFromOutcomes, type TableRow } from '../../three-body/report.ts';
import { solve } from '../../solvers/solve.ts';
import { systemField, UNIT_SYSTEMS } from '../../three-body/system.ts';
import { readObservations, readStartingValues } from '../../three-body/user-data.ts';
import type { Window } from '../../three-body/estimate.ts';
import { fitObservations, fittedPositions } from '../../three-body/least-squares.ts';
import { intOption, parseCommandArgs, UsageError } from '../args.ts';
import type { Command } from '../command.ts';
import type { CliIO } from '../io.ts';
import { ProgressBar } from '../progress.ts';

const HELP = `Usage: aca three-body [options]

Estimates the masses of a gravitating system from observed positions, with the gradient by
ACA (and, for comparison, the continuous adjoint and naive back-propagation).

Without --data: the seed paper's experiment (data/problems/three_body_paper.json). Ground truth
from the true masses (1.1, 1.1, 0.9) on 1000 times in [0, 1] (DOP853 at rtol = atol = 1e-12);
masses fitted from a seeded guess in [0.9, 1.1] with Adam (lr 0.1 x 0.95 per epoch, betas
(0.5, 0.5), 100 epochs; dopri5 at rtol = atol = 1e-7), then extrapolated to [0, 2].

With --data: your observations. Each --data CSV is one observation window: a time column (t or
time) and columns x1 y1 z1 ... for the positions of any bodies at any times (empty = missing).
Positions are inertial (barycentric) by default; with --central B they are relative to body B
(heliocentric data: B's columns are ignored, and the model includes the indirect terms).
--initial gives the masses' starting guess and each window's initial state (JSON:
{"masses": [...], "y0": [...] or [[...], ...], "t0": 0, "units": "au-day-msun" | "G": 1}),
in the same frame as the data. By default the fit is least squares (Levenberg-Marquardt, exact
Jacobians, scaled per value, so masses of 1e-3 beside positions of 5 AU need no tuning); it
prints each mass at full precision with its standard error and says whether it converged.
--optimizer adam runs the former Adam fit with each gradient method instead.

Options:
  --methods LIST     gradient methods, comma-separated (default aca,adjoint,naive)
  --epochs N         Adam epochs (default 100 for the paper, 300 for your data)
  --lr X             learning rate (default 0.1 for the paper, 0.01 for your data)
  --lr-decay X       factor on the learning rate before every epoch (default 0.95 / 1)
  --seed N           seed of the paper's initial mass guess (default 20200713)
  --data FILE        observations CSV (repeat for several windows or systems)
  --initial FILE     starting values JSON (required with --data)
  --units NAME       ${Object.entries(UNIT_SYSTEMS).map(([k, u]) => `${k} (${u.description})`).join('; ')}
  --G X              gravitational constant (overrides --units)
  --fit LIST         what to fit: masses, positions, velocities (default masses)
  --fix LIST         hold these fixed: masses m1..mN, state components x2, vy3, ... (e.g. m1)
  --central B        the data are relative to body B (1-based; e.g. the Sun); default inertial
  --optimizer NAME   lm (least squares; default) or adam (with each gradient method)
  --iterations N     LM's iteration limit (default 100)
  --time-column NAME the data's time column (default t or time)
  --weight-base B    observation weight B^(t - t0) (default 0.01 for the paper, 1 for your data)
  --rtol X, --atol X solver tolerances (default 1e-7)
  --workers N        windows on N worker threads (default 1: in this thread)
  --out DIR          folder for report.json and the SVG pictures (default out/three-body)
  --quiet            no progress bars
  -h, --help         this help

Exit codes: 0 ok, 1 failure while running, 2 bad input.`;

export const threeBody: Command = {
  name: 'three-body',
  summary: 'estimate three-body masses from observed orbits (the seed paper experiment by default)',
  help: HELP,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      'three-body',
      argv,
      {
        methods: { type: 'string' },
        epochs: { type: 'string' },
        lr: { type: 'string' },
        'lr-decay': { type: 'string' },
        seed: { type: 'string' },
        data: { type: 'string', multiple: true },
        initial: { type: 'string' },
        units: { type: 'string' },
        G: { type: 'string' },
        fit: { type: 'string' },
        'weight-base': { type: 'string' },
        rtol: { type: 'string' },
        atol: { type: 'string' },
        out: { type: 'string' },
        quiet: { type: 'boolean' },
        workers: { type: 'string' },
        fix: { type: 'string' },
        central: { type: 'string' },
        optimizer: { type: 'string' },
        iterations: { type: 'string' },
        'time-column': { type: 'string' },
      },
      [],
    );
    if (values.help) {
      io.stdout.write(HELP + '\n');
      return 0;
    }
    // B^(t - t0) weights: B <= 0 would zero (or flip the sign of) every later observation.
    if (values['weight-base'] !== undefined && !(numberOption('weight-base', values['weight-base'] as string) > 0)) {
      throw new UsageError(`aca three-body: --weight-base must be a number > 0, got '${values['weight-base']}'`);
    }
    const methods = parseMethods(values.methods as string | undefined);
    const epochs = intOption('three-body', 'epochs', values.epochs as string | undefined);
    const outDir = resolve((values.out as string | undefined) ?? join('out', 'three-body'));
    const quiet = Boolean(values.quiet);
    const data = values.data as unknown as string[] | undefined;
    if (data && data.length > 0) return userData(values, data, methods, epochs ?? 300, outDir, quiet, io);
    return paper(values, methods, epochs, outDir, quiet, io);
  },
};

async function paper(
  values: Record<string, unknown>,
  methods: GradientMethodName[],
  epochs: number | undefined,
  outDir: string,
  quiet: boolean,
  io: CliIO,
): Promise<number> {
  const seed = intOption('three-body', 'seed', values.seed as string | undefined);
  for (const name of ['initial', 'units', 'G', 'fit', 'workers', 'fix', 'central', 'optimizer', 'iterations', 'time-column']) {
    if (values[name] !== undefined) throw new UsageError(`aca three-body: --${name} applies to your own data (--data FILE); the paper experiment has its own`);
  }
  const optionalNumber = (name: string) => (values[name] === undefined ? undefined : numberOption(name, values[name] as string));
  io.stdout.write('Three-body mass estimation, the seed paper setup (Zhuang et al., ICML 2020)\n');
  const bars = new Map<string, ProgressBar>();
  const experiment = await runPaperExperiment({
    methods,
    epochs,
    seed,
    lr: optionalNumber('lr'),
    lrDecay: optionalNumber('lr-decay'),
    timeWeightBase: optionalNumber('weight-base'),
    rtol: optionalNumber('rtol'),
    atol: optionalNumber('atol'),
    onEpoch: (method, epoch, total, loss) => {
      if (quiet) return;
      let bar = bars.get(method);
      if (!bar) bars.set(method, (bar = new ProgressBar({ label: method.padEnd(7), total, stream: io.stderr })));
      if (epoch === total) bar.done(epoch, { loss });
      else bar.update(epoch, { loss });
    },
  });
  const { setup } = experiment;
  const rows = rowsFromOutcomes(experiment.outcomes);
  const lines = [
    `true masses ${Array.from(setup.trueMasses).join(' ')}; initial guess ${Array.from(experiment.initialMasses, (m) => m.toFixed(5)).join(' ')}`,
    `train: ${setup.trainTimes.length} times on [0, 1]; test: ${setup.testTimes.length} times on [0, 2]; dopri5 rtol = ${experiment.solver.rtol}, atol = ${experiment.solver.atol}`,
    '',
    comparisonTable(rows),
    '',
  ];
  io.stdout.write(lines.join('\n'));
  const files = await writePictures(
    outDir,
    setup.system.bodies,
    experiment.test,
    experiment.outcomes.map((o) => ({ name: o.method, positions: o.test.predicted, losses: o.fit.lossHistory })),
    'Three-body orbits on [0, 2] (x-y plane): truth (wide, pale) and each method (dashed); start points marked',
    { experiment: 'seed paper three-body', rows: rowsJson(rows), trueMasses: Array.from(setup.trueMasses), initialMasses: Array.from(experiment.initialMasses) },
    setup.trainTimes[setup.trainTimes.length - 1],
  );
  io.stdout.write(`\nwritten:\n${files.map((f) => `  ${f}`).join('\n')}\n`);
  return 0;
}

async function userData(
  values: Record<string, unknown>,
  dataFiles: string[],
  methods: GradientMethodName[],
  epochs: number,
  outDir: string,
  quiet: boolean,
  io: CliIO,
): Promise<number> {
  const initial = values.initial as string | undefined;
  if (!initial) throw new UsageError('aca three-body: --data needs --initial FILE (the masses guess and each window\'s initial state; see aca three-body --help)');
  const G = values.G === undefined ? undefined : numberOption('G', values.G as string);
  const start = await readStartingValues(initial, dataFiles.length, { units: values.units as string | undefined, G });
  const observations = await Promise.all(dataFiles.map((f) => readObservations(f, start.system.bodies, values['time-column'] as string | undefined)));
  const fit = parseFit(values.fit as string | undefined);
  const lr = values.lr === undefined ? 0.01 : numberOption('lr', values.lr as string);
  const lrDecay = values['lr-decay'] === undefined ? 1 : numberOption('lr-decay', values['lr-decay'] as string);
  const weightBase = values['weight-base'] === undefined ? 1 : numberOption('weight-base', values['weight-base'] as string);
  const rtol = values.rtol === undefined ? 1e-7 : numberOption('rtol', values.rtol as string);
  const atol = values.atol === undefined ? 1e-7 : numberOption('atol', values.atol as string);
  const windows = observations.map((obs, w) => ({ observations: obs, y0: start.y0s[w], t0: start.t0s[w] }));
  const optimizer = (values.optimizer as string | undefined) ?? 'lm';
  if (optimizer !== 'lm' && optimizer !== 'adam') throw new UsageError(`aca three-body: --optimizer: '${optimizer}' is not lm or adam`);
  const central = values.central === undefined ? undefined : intOption('three-body', 'central', values.central as string)! - 1;
  const fixed = ((values.fix as string | undefined) ?? '').split(',').map((v) => v.trim()).filter(Boolean);
  if (optimizer === 'lm') {
    for (const name of ['epochs', 'lr', 'lr-decay', 'workers', 'methods']) {
      if (values[name] !== undefined) throw new UsageError(`aca three-body: --${name} is for --optimizer adam (the least-squares fit has no learning rate)`);
    }
    const iterations = intOption('three-body', 'iterations', values.iterations as string | undefined) ?? 100;
    return leastSquaresData({ dataFiles, start, windows, fit, fixed, central, rtol: values.rtol === undefined ? 1e-10 : rtol, atol: values.atol === undefined ? 1e-12 : atol, weightBase, iterations, outDir, quiet, io });
  }
  for (const name of ['fix', 'central', 'iterations']) {
    if (values[name] !== undefined) throw new UsageError(`aca three-body: --${name} is for the least-squares fit (leave out --optimizer adam)`);
  }
  const workers = intOption('three-body', 'workers', values.workers as string | undefined) ?? 1;
  const rows: TableRow[] = [];
  const curves: { name: string; positions: Float64Array; losses: number[] }[] = [];
  for (const method of methods) {
    const bar = quiet ? null : new ProgressBar({ label: method.padEnd(7), total: epochs, stream: io.stderr });
    const result = await estimate(start.system, windows, {
      gradient: { method },
      epochs,
      lr,
      lrDecay,
      rtol,
      atol,
      fit,
      initialMasses: start.masses,
      timeWeightBase: weightBase,
      evaluate: workers > 1 ? poolEvaluator(start.system, windows, { workers, gradient: { method }, rtol, atol, timeWeightBase: weightBase }) : undefined,
      onEpoch: (epoch, loss) => (epoch === epochs ? bar?.done(epoch, { loss }) : bar?.update(epoch, { loss })),
    });
    rows.push({
      method,
      masses: result.masses,
      relativeErrors: null,
      testWeighted: null,
      testUnweighted: null,
      finalLoss: result.lossHistory.at(-1) ?? NaN,
      wallMs: result.wallMs,
      gradientEvaluations: result.gradientEvaluations,
      peakBytes: result.peakBytes,
    });
    // The fitted trajectory of the first window, for the picture.
    const field = systemField(start.system);
    const sol = solve(field, result.y0s[0], { times: observations[0].times, t0: start.t0s[0], params: result.masses, rtol, atol, maxSteps: 1e7 });
    const n = 3 * start.system.bodies;
    const positions = new Float64Array(observations[0].times.length * n);
    for (let k = 0; k < observations[0].times.length; k++) for (let i = 0; i < n; i++) positions[k * n + i] = sol.y[k * field.dim + i];
    curves.push({ name: method, positions, losses: result.lossHistory });
  }
  if (workers > 1) await closePool();
  for (const row of rows) {
    const losses = curves.find((c) => c.name === row.method)!.losses;
    const best = Math.min(...losses);
    const last = losses.at(-1) ?? NaN;
    if (!Number.isFinite(last) || last > 10 * best) {
      io.stderr.write(
        `aca three-body: warning: ${row.method}: the loss diverged (from ${losses[0].toExponential(2)} to ${last.toExponential(2)}, best ${best.toExponential(2)}): ` +
          'lower --lr, or use the least-squares fit (leave out --optimizer adam)\n',
      );
    }
  }
  io.stdout.write(`Mass estimation from ${dataFiles.join(', ')} (G = ${start.system.G}); fitted: ${Object.entries(fit).filter(([, v]) => v).map(([k]) => k).join(', ')}\n\n`);
  io.stdout.write(comparisonTable(rows) + '\n');
  const files = await writePictures(outDir, start.system.bodies, observations[0], curves, `${basename(dataFiles[0])}: observed (wide) and fitted (dashed)`, {
    data: dataFiles,
    rows: rowsJson(rows),
  });
  io.stdout.write(`\nwritten:\n${files.map((f) => `  ${f}`).join('\n')}\n`);
  return 0;
}

/** The `format` key of `aca three-body`'s report.json (docs/formats.md). */
export const THREE_BODY_REPORT_FORMAT = 'aca-ode/three-body-report@1';

let pngSkippedNoted = false;

interface LeastSquaresRun {
  readonly dataFiles: string[];
  readonly start: Awaited<ReturnType<typeof readStartingValues>>;
  readonly windows: Window[];
  readonly fit: { masses: boolean; positions: boolean; velocities: boolean };
  readonly fixed: string[];
  readonly central?: number;
  readonly rtol: number;
  readonly atol: number;
  readonly weightBase: number;
  readonly iterations: number;
  readonly outDir: string;
  readonly quiet: boolean;
  readonly io: CliIO;
}

/** The default fit of users' data: least squares (three-body/least-squares.ts). */
async function leastSquaresData(run: LeastSquaresRun): Promise<number> {
  const { start, windows, io } = run;
  const bar = run.quiet ? null : new ProgressBar({ label: 'lm', total: run.iterations, stream: io.stderr });
  const result = await fitObservations(start.system, windows, {
    central: run.central,
    initialMasses: start.masses,
    fit: run.fit,
    fixed: run.fixed,
    rtol: run.rtol,
    atol: run.atol,
    iterations: run.iterations,
    timeWeightBase: run.weightBase,
    onIteration: (i, loss) => bar?.update(i, { loss }),
  });
  bar?.done(result.iterations, { loss: result.lossHistory.at(-1) ?? NaN });
  const frame = run.central === undefined ? 'inertial frame' : `frame of body ${run.central + 1} (heliocentric, indirect terms included)`;
  const N = start.system.bodies;
  const lines = [
    `Mass estimation from ${run.dataFiles.join(', ')} (G = ${start.system.G}; ${frame}); least squares, ${result.iterations} iterations`,
    result.converged ? `converged (${result.reason}); loss ${result.lossHistory.at(-1)!.toExponential(6)}` : `NOT converged: ${result.message}`,
    '',
    'body  mass                     standard error   start',
    ...Array.from({ length: N }, (_, b) => {
      const fixed = !Number.isFinite(result.massErrors[b]) || result.massErrors[b] === 0;
      const se = fixed ? '(fixed)' : result.massErrors[b].toPrecision(3);
      return `${String(b + 1).padEnd(4)}  ${String(result.masses[b]).padEnd(23)}  ${se.padEnd(15)}  ${start.masses[b]}`;
    }),
  ];
  if (result.unidentifiable.length > 0) {
    lines.push('', `warning: J^T J is ill-conditioned: the data do not identify ${result.unidentifiable.join(', ')} (fix one of them with --fix)`);
  }
  io.stdout.write(lines.join('\n') + '\n');
  const positions = fittedPositions(result, windows[0], 0, { rtol: run.rtol, atol: run.atol });
  const files = await writePictures(
    run.outDir,
    N,
    windows[0].observations,
    [{ name: 'lm', positions, losses: result.lossHistory }],
    `${basename(run.dataFiles[0])} (${run.central === undefined ? 'inertial' : `relative to body ${run.central + 1}`}): observed (wide) and fitted (dashed)`,
    {
      data: run.dataFiles,
      frame: run.central === undefined ? 'inertial' : { central: run.central + 1 },
      optimizer: 'lm',
      masses: Array.from(result.masses),
      massStandardErrors: Array.from(result.massErrors, (v) => (Number.isFinite(v) ? v : null)),
      fitted: result.values.map((v) => ({ ...v, standardError: Number.isFinite(v.standardError) ? v.standardError : null })),
      correlation: result.correlation ? Array.from(result.correlation) : null,
      unidentifiable: result.unidentifiable,
      converged: result.converged,
      stopReason: result.reason,
      notConverged: result.converged ? null : result.message,
      optimality: { gaussNewtonReduction: result.certificate.gaussNewtonReduction, gradientCosine: result.certificate.gradientCosine },
      iterations: result.iterations,
      initialStates: result.y0s.map((y) => Array.from(y)),
      wallSeconds: result.wallMs / 1000,
    },
  );
  io.stdout.write(`\nwritten:\n${files.map((f) => `  ${f}`).join('\n')}\n`);
  return 0;
}

async function writePictures(
  outDir: string,
  bodies: number,
  truth: Parameters<typeof orbitPlot>[1],
  results: { name: string; positions: Float64Array; losses: readonly number[] }[],
  title: string,
  report: Record<string, unknown>,
  trainEnd?: number,
): Promise<string[]> {
  await makeOutputFolder(outDir);
  const orbits = join(outDir, 'orbits.svg');
  const loss = join(outDir, 'loss.svg');
  const json = join(outDir, 'report.json');
  const pictures: [string, string][] = [
    [orbits, orbitPlot(bodies, truth, results, title, trainEnd)],
    [loss, lossPlot(results.map((r) => ({ name: r.name, losses: r.losses })), 'Training loss by gradient method')],
  ];
  const written: string[] = [];
  for (const [file, svg] of pictures) {
    await writeFileAtomic(file, svg);
    written.push(file);
    const png = svgToPng(svg);
    if (png) {
      const pngFile = file.replace(/\.svg$/, '.png');
      await writeFileAtomic(pngFile, png);
      written.push(pngFile);
    } else if (!pngSkippedNoted) {
      // @resvg/resvg-js is an optional dependency: without it the SVGs are the pictures.
      pngSkippedNoted = true;
      process.stderr.write(`note: PNG copies skipped (${PNG_RENDERER} is not installed; npm install ${PNG_RENDERER} to get them)\n`);
    }
  }
  // The plotted numbers beside each picture, for a plot in another tool.
  const tables: [string, string][] = [
    [orbits.replace(/\.svg$/, '.csv'), orbitCsv(bodies, truth, results)],
    [loss.replace(/\.svg$/, '.csv'), lossCsv(results.map((r) => ({ name: r.name, losses: r.losses })))],
  ];
  for (const [file, csv] of tables) {
    await writeFileAtomic(file, csv);
    written.push(file);
  }
  await writeFileAtomic(json, JSON.stringify({ format: THREE_BODY_REPORT_FORMAT, ...report, lossHistory: Object.fromEntries(results.map((r) => [r.name, r.losses])) }, null, 2) + '\n');
  return [...written, json];
}

function rowsJson(rows: readonly TableRow[]) {
  return rows.map((r) => ({
    method: r.method,
    masses: Array.from(r.masses),
    relativeErrors: r.relativeErrors ? Array.from(r.relativeErrors) : null,
    testLossWeighted: r.testWeighted,
    testMse: r.testUnweighted,
    finalTrainLoss: r.finalLoss,
    wallSeconds: r.wallMs / 1000,
    gradientEvaluations: r.gradientEvaluations,
    peakBytes: r.peakBytes,
  }));
}

function parseMethods(value: string | undefined): GradientMethodName[] {
  if (value === undefined) return [...GRADIENT_METHODS];
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const m of list) {
    if (!GRADIENT_METHODS.includes(m as GradientMethodName)) {
      throw new UsageError(`aca three-body: --methods: unknown method '${m}' (allowed: ${GRADIENT_METHODS.join(', ')})`);
    }
  }
  if (list.length === 0) throw new UsageError('aca three-body: --methods: give at least one method');
  return list as GradientMethodName[];
}

function parseFit(value: string | undefined) {
  const fit = { masses: false, positions: false, velocities: false };
  for (const item of (value ?? 'masses').split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(item in fit)) throw new UsageError(`aca three-body: --fit: unknown target '${item}' (allowed: masses, positions, velocities)`);
    fit[item as keyof typeof fit] = true;
  }
  return fit;
}

function numberOption(name: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`aca three-body: --${name} must be a number, got '${value}'`);
  return n;
}
