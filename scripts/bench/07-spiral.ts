/**
 * Spiral neural-ODE training (torchdiffeq's ode_demo batches: 20 subsequences of 10 points of the
 * 1,000-point spiral; 2-50-2 tanh on y^3; Adam lr 1e-2), side by side:
 *   1. the gradient methods 'aca', 'adjoint' and 'naive': milliseconds per iteration, f and VJP
 *      evaluations per iteration, the batch loss (mean of the last 50 iterations) and the
 *      whole-trajectory error after the same number of iterations with the same batches;
 *   2. where the batches run ('aca'): the calling thread, the worker pool with 1 worker and with
 *      2 workers (src/parallel through timeseries/pool-evaluator.ts), for two shard sizes;
 *   3. the same for a batch of 200 subsequences (ten times the work per task).
 * Prints tables of ratios; asserts nothing.
 *
 *   node --import tsx scripts/bench/07-spiral.ts [ITERATIONS]
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { mlpField } from '../../src/fields/mlp.ts';
import { GRADIENT_METHODS, type GradientMethodName } from '../../src/gradients/settings.ts';
import { closePool, warmPool } from '../../src/parallel/pool.ts';
import { solve } from '../../src/solvers/solve.ts';
import type { BatchEvaluator } from '../../src/timeseries/evaluate.ts';
import { poolEvaluator } from '../../src/timeseries/pool-evaluator.ts';
import { seriesMse } from '../../src/timeseries/series.ts';
import { spiralSeries, type SpiralProblem } from '../../src/timeseries/spiral.ts';
import { trainTimeSeries, type TrainResult } from '../../src/timeseries/train.ts';

const ITERATIONS = Number(process.argv[2] ?? 300);
const ROUNDS = 3;
const problem = JSON.parse(readFileSync(new URL('../../data/problems/spiral.json', import.meta.url), 'utf8')) as SpiralProblem;
const series = spiralSeries(problem);
const field = mlpField({ sizes: [2, 50, 2], activation: 'tanh', inputTransform: 'cube', seed: 0 });
const initial = field.initParams(0);

function run(method: GradientMethodName, evaluateBatch?: BatchEvaluator, iterations = ITERATIONS): Promise<TrainResult> {
  return trainTimeSeries({
    field,
    series,
    params: initial,
    iterations,
    batchSize: 20,
    batchLength: 10,
    lr: 1e-2,
    seed: 0,
    gradient: { method },
    evaluateBatch,
  });
}

function wholeMse(params: Float64Array): number {
  try {
    return seriesMse(series, solve(field, problem.y0, { times: series.times, params, rtol: 1e-8, atol: 1e-10 }).y);
  } catch {
    return Infinity;
  }
}

/** Median of the per-iteration times, skipping the first 10% (JIT warm-up). */
function medianMs(r: TrainResult): number {
  const ms = r.history.slice(Math.floor(r.history.length / 10)).map((h) => h.ms).sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)];
}

function lastLoss(r: TrainResult): number {
  const tail = r.history.slice(-50).filter((h) => Number.isFinite(h.loss));
  return tail.reduce((s, h) => s + h.loss, 0) / tail.length;
}

console.log(`spiral neural ODE: 2-50-2 tanh on y^3 (${field.nParams} parameters), ${series.times.length} points, ` +
  `batch 20 x 10 points, Adam lr 1e-2, ${ITERATIONS} iterations, Node ${process.version}, ${availableParallelism()} cores`);

// Warm-up of the JIT on every path, so the first measured method pays no compile cost.
await run('aca', undefined, 30);

console.log('\n1. Gradient methods (same seed, same batches; batches on the calling thread)');
console.log(`${'method'.padEnd(8)} ${'ms/iter'.padStart(8)} ${'x aca'.padStart(6)} ${'f/iter'.padStart(8)} ${'vjp/iter'.padStart(9)} ${'batch loss'.padStart(11)} ${'whole-trajectory MSE'.padStart(21)}`);
const byMethod = new Map<string, TrainResult>();
for (const method of GRADIENT_METHODS) byMethod.set(method, await run(method));
const acaMs = medianMs(byMethod.get('aca')!);
for (const [method, r] of byMethod) {
  const ms = medianMs(r);
  console.log(
    `${method.padEnd(8)} ${ms.toFixed(2).padStart(8)} ${(ms / acaMs).toFixed(2).padStart(6)} ` +
      `${(r.stats.fEvals / r.iterations).toFixed(0).padStart(8)} ${(r.stats.vjpEvals / r.iterations).toFixed(0).padStart(9)} ` +
      `${lastLoss(r).toExponential(3).padStart(11)} ${wholeMse(r.params).toExponential(3).padStart(21)}`,
  );
}

const machine = await threadScaling();
console.log(`\n0. The machine itself: two CPU-bound threads (no pool) run ${machine.toFixed(2)}x as fast as one ` +
  '(2.00 on two idle cores; below that, other load shares the cores, and no pool can do better)');
const threads = await warmPool({ workers: 2 });
await placesTable('2. Where the batches run (aca, batch 20 x 10 points)', 20, ITERATIONS, [5, 10]);
await placesTable('3. The same with ten times the work per iteration (batch 200 x 10 points)', 200, Math.max(20, Math.round(ITERATIONS / 5)), [50]);
await closePool();
console.log(`pool threads: ${threads}`);

/**
 * Training on the calling thread against the pool with 1 and 2 workers, for each shard size:
 * ms per iteration, speed-ups, and whether 1 and 2 workers end with bitwise the same parameters.
 */
async function placesTable(title: string, batchSize: number, iterations: number, shardSizes: readonly number[]): Promise<void> {
  console.log(`\n${title}, ${iterations} iterations, median of ${ROUNDS} interleaved rounds`);
  const places: [string, BatchEvaluator | undefined][] = [['calling thread', undefined]];
  for (const shardSize of shardSizes) {
    places.push([`pool 1 worker, shards of ${shardSize}`, poolEvaluator({ workers: 1, inline: false, shardSize })]);
    places.push([`pool 2 workers, shards of ${shardSize}`, poolEvaluator({ workers: 2, shardSize })]);
  }
  const train = (evaluateBatch: BatchEvaluator | undefined, n: number) =>
    trainTimeSeries({ field, series, params: initial, iterations: n, batchSize, batchLength: 10, lr: 1e-2, seed: 0, evaluateBatch });
  for (const [, evaluate] of places) await train(evaluate, 10); // warm every path (worker JIT, field cache)
  // ROUNDS rounds, the places interleaved in each, so that a change in the machine's load hits
  // every place alike; each place's time is the median of its rounds' medians.
  const rounds: number[][] = places.map(() => []);
  const results: [string, TrainResult][] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < places.length; i++) {
      const r = await train(places[i][1], iterations);
      rounds[i].push(medianMs(r));
      results[i] = [places[i][0], r];
    }
  }
  const msOf = (i: number) => rounds[i].slice().sort((a, b) => a - b)[Math.floor(ROUNDS / 2)];
  const threadMs = msOf(0);
  console.log(`${'where'.padEnd(28)} ${'ms/iter'.padStart(8)} ${'vs thread'.padStart(10)} ${'1 -> 2 workers'.padStart(15)} ${'batch loss'.padStart(11)}`);
  results.forEach(([name, r], i) => {
    const ms = msOf(i);
    const workerSpeedup = i > 0 && i % 2 === 0 ? (msOf(i - 1) / ms).toFixed(2) : '';
    console.log(`${name.padEnd(28)} ${ms.toFixed(2).padStart(8)} ${(threadMs / ms).toFixed(2).padStart(10)} ${workerSpeedup.padStart(15)} ${lastLoss(r).toExponential(3).padStart(11)}`);
  });
  for (let i = 1; i + 1 < results.length; i += 2) {
    const a = results[i][1].params;
    const b = results[i + 1][1].params;
    console.log(`  ${results[i][0]} and 2 workers: parameters bitwise equal: ${a.every((v, j) => Object.is(v, b[j]))}`);
  }
}

/**
 * Throughput of two plain worker threads against one on the same fixed CPU-bound work (median of
 * 3 rounds): the parallelism the machine gives this process right now, the ceiling for the pool.
 */
async function threadScaling(): Promise<number> {
  const source = `const { parentPort } = require('node:worker_threads');
    parentPort.on('message', (n) => { let s = 0; for (let i = 0; i < n; i++) s += Math.sqrt(i); parentPort.postMessage(s); });`;
  const workers = [new Worker(source, { eval: true }), new Worker(source, { eval: true })];
  const work = (w: Worker, n: number) => new Promise((done) => { w.once('message', done); w.postMessage(n); });
  const n = 5e7;
  await Promise.all(workers.map((w) => work(w, 1e6)));
  const ratios: number[] = [];
  for (let round = 0; round < 3; round++) {
    let t = performance.now();
    await work(workers[0], n);
    await work(workers[0], n);
    const one = performance.now() - t;
    t = performance.now();
    await Promise.all(workers.map((w) => work(w, n)));
    ratios.push(one / (performance.now() - t));
  }
  await Promise.all(workers.map((w) => w.terminate()));
  return ratios.sort((a, b) => a - b)[1];
}
