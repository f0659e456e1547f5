/**
 * The spiral neural ODE, full run: torchdiffeq's ode_demo in float64.
 *
 * Data: the cubic spiral of data/problems/spiral.json (dy/dt = (y^3) A, y0 = (2, 0)) at its 1,000
 * evenly spaced times on [0, 25], solved with rtol 1e-10. Model: dy/dt = nn(y^3), a 2-50-2 tanh
 * network. Training, two phases (train.ts trainInPhases):
 *   A. mini-batches as in ode_demo: 20 random subsequences of 10 points, Adam, lr 3e-2 with a
 *      cosine schedule: the local vector field;
 *   B. the whole series as one trajectory from y0, Adam lr 1e-3 (cosine, 50 warm-up
 *      iterations): the long-horizon fit, which short subsequences alone leave loose (small
 *      errors in the rotation speed add up over the many turns).
 * Prints the progress, the final mean squared error over the whole trajectory on [0, 25] from y0,
 * and the time; writes out/spiral.svg (truth, data, fit, forecast to t = 30) and
 * out/spiral-model.json (the fitted model).
 *
 *   node --import tsx scripts/spiral.ts [--quick] [--method aca|adjoint|naive] [--seed N]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mlpField } from '../src/fields/mlp.ts';
import type { GradientMethodName } from '../src/gradients/types.ts';
import { solve } from '../src/solvers/solve.ts';
import { forecast } from '../src/timeseries/forecast.ts';
import { loadFittedModel, saveFittedModel } from '../src/timeseries/model-file.ts';
import { forecastPlot } from '../src/timeseries/plot.ts';
import { seriesMse } from '../src/timeseries/series.ts';
import { spiralField, spiralSeries, type SpiralProblem } from '../src/timeseries/spiral.ts';
import { trainInPhases } from '../src/timeseries/train.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    method: { type: 'string', default: 'aca' },
    seed: { type: 'string', default: '0' },
  },
});
const seed = Number(args.seed);
const quick = args.quick ?? false;
const problem = JSON.parse(readFileSync(join(root, 'data/problems/spiral.json'), 'utf8')) as SpiralProblem;
const series = spiralSeries(problem);
const field = mlpField({ sizes: [2, 50, 2], activation: 'tanh', inputTransform: 'cube', seed });
const K = series.times.length;
const phaseA = quick ? 1500 : 3000;
const phaseB = quick ? 500 : 1000;

console.log(`spiral neural ODE: 2-50-2 tanh on y^3 (${field.nParams} parameters), ${K} points on [${problem.span.join(', ')}], gradient '${args.method}'`);
const started = performance.now();
let phase = -1; // counted by the validation each phase runs at its start
const result = await trainInPhases(
  {
    field,
    series,
    params: field.initParams(seed),
    seed,
    gradient: { method: args.method as GradientMethodName },
    schedule: { kind: 'cosine' },
    onIteration: (r) => {
      if (r.iteration % 250 === 0) {
        const s = ((performance.now() - started) / 1000).toFixed(1);
        console.log(`  phase ${phase === 0 ? 'A' : 'B'} iteration ${String(r.iteration).padStart(5)}  batch loss ${r.loss.toExponential(3)}  lr ${r.lr.toExponential(2)}  ${s} s`);
      }
    },
    onValidation: (v) => {
      if (v.iteration === 0) phase++;
    },
  },
  [
    { iterations: phaseA, batchSize: 20, batchLength: 10, lr: 3e-2, validateEvery: 50 },
    { iterations: phaseB, batchSize: 1, batchLength: K, lr: 1e-3, schedule: { kind: 'cosine', warmup: 50 }, validateEvery: 25 },
  ],
);
const seconds = (performance.now() - started) / 1000;
const [a, b] = result.phases;
console.log(`phase A: ${a.iterations} iterations, ${a.msPerIteration.toFixed(2)} ms/iteration, best whole-trajectory MSE ${a.validationLoss.toExponential(3)} (iteration ${a.bestIteration})`);
console.log(`phase B: ${b.iterations} iterations, ${b.msPerIteration.toFixed(2)} ms/iteration, best whole-trajectory MSE ${b.validationLoss.toExponential(3)} (iteration ${b.bestIteration})`);

// The final error, by a solve independent of training's tolerances.
const fit = solve(field, result.y0, { times: series.times, params: result.params, rtol: 1e-10, atol: 1e-12 });
const mse = seriesMse(series, fit.y);
console.log(`final MSE over the whole trajectory on [0, 25] from y0 (rtol 1e-10): ${mse.toExponential(3)}  (target < 1e-2: ${mse < 1e-2 ? 'met' : 'NOT met'})`);
console.log(`iterations ${result.iterations}, training ${(result.trainMs / 1000).toFixed(1)} s, total ${seconds.toFixed(1)} s, f evals ${result.stats.fEvals}, vjp evals ${result.stats.vjpEvals}`);

// Save, reload, forecast past the data's end, plot.
mkdirSync(join(root, 'out'), { recursive: true });
const modelFile = join(root, 'out/spiral-model.json');
await saveFittedModel(modelFile, {
  field,
  params: result.params,
  y0: result.y0,
  t0: series.times[0],
  training: { ...result.settings, iterations: result.iterations, mse, seconds },
});
const loaded = await loadFittedModel(modelFile);
const until = 30;
const fc = forecast(loaded.field, loaded.params, loaded.y0, series, { until, points: 1200, t0: loaded.t0 });
const truth = solve(spiralField(problem.A), problem.y0, { times: fc.times, rtol: 1e-10, atol: 1e-12 });
writeFileSync(
  join(root, 'out/spiral.svg'),
  forecastPlot(series, fc, { title: `Spiral neural ODE (MSE on [0, 25]: ${mse.toExponential(2)})`, reference: { name: 'truth', states: truth.y } }),
);
console.log(`reloaded model: MSE on the data ${fc.mseOnData.toExponential(3)}; forecast to t = ${until}; wrote out/spiral.svg and out/spiral-model.json`);
