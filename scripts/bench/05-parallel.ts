/**
 * Parallel batches: trajectory gradients per second against the number of workers.
 *
 * Problem: the figure-eight three-body orbit (data/problems) over one period with its 10
 * observation times, each trajectory's initial state perturbed by N(0, 1e-3^2) per component;
 * loss: sum of squared positions at the outputs; ACA with dopri5 at rtol = atol = 1e-6.
 * Batches of 16, 256 and 4,096 trajectories, shards of 32.
 *
 * Contenders, interleaved round by round on a warm pool (its start-up is timed apart):
 *   inline   batchGradient on the main thread (inline: true)
 *   1 w      the pool, one shard at a time (workers: 1, inline: false)
 *   2 w      the pool, two shards at a time (workers: 2, inline: false)
 *   auto     the default policy with 2 workers (inline below two shards)
 * The figure is the best (smallest) wall time over the rounds: on a shared machine other
 * processes only ever add time. Per-task overhead is (t(1 w) - t(inline)) / shards: what the
 * pool adds to each shard (clone out, transfer back, waking the threads), which 2 workers must
 * amortise; the bare round trip of an empty task through runTasks is printed too. The script
 * also checks that every contender gives bitwise the same gradient.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { batchGradient, type BatchGradientResult, type BatchJob, type BatchOptions } from '../../src/parallel/batch.ts';
import { closePool, runTasks, warmPool } from '../../src/parallel/pool.ts';
import { createRng } from '../../src/util/random.ts';

interface FigureEight {
  readonly y0: number[];
  readonly masses: number[];
  readonly G: number;
  readonly observation_times: number[];
  readonly period: number;
}
const here = dirname(fileURLToPath(import.meta.url));
const problem: FigureEight = JSON.parse(readFileSync(join(here, '../../data/problems/three_body_figure_eight.json'), 'utf8'));

function job(n: number, seed: number): BatchJob {
  const rng = createRng(seed);
  return {
    field: { kind: 'nbody', bodies: 3, dims: 3, G: problem.G },
    solver: { times: problem.observation_times, t0: 0, method: 'dopri5', rtol: 1e-6, atol: 1e-6 },
    params: problem.masses,
    loss: { kind: 'sum_squares', components: [0, 1, 2, 3, 4, 5, 6, 7, 8] },
    trajectories: Array.from({ length: n }, () => ({ y0: problem.y0.map((v) => v + rng.normal(0, 1e-3)) })),
  };
}

const CONTENDERS: { name: string; options: BatchOptions }[] = [
  { name: 'inline', options: { inline: true } },
  { name: '1 w', options: { workers: 1, inline: false } },
  { name: '2 w', options: { workers: 2, inline: false } },
  { name: 'auto', options: { workers: 2 } },
];
const SIZES = [16, 256, 4096];
/** Rounds per size: enough for about a second of work per contender on the small batches. */
const ROUNDS: Record<number, number> = { 16: 60, 256: 20, 4096: 8 };

function bits(r: BatchGradientResult): string {
  return Buffer.from(Float64Array.of(r.loss, ...r.dy0, ...r.dp).buffer).toString('base64');
}

/** Microseconds per empty task, run one after another through runTasks on one worker. */
async function roundTripMicros(tasks: number): Promise<number> {
  const start = performance.now();
  await runTasks({ workers: 1, count: tasks, task: () => ({ kind: 'ping' }), onResult: () => {}, onFailure: () => 'stop' });
  return ((performance.now() - start) / tasks) * 1000;
}

const t0 = performance.now();
await warmPool({ workers: 2 });
const startupMs = performance.now() - t0;
// Warm the JIT of the main thread and both workers on the same code paths.
const warm = job(512, 99);
for (let i = 0; i < 3; i++) {
  await batchGradient(warm, { inline: true });
  await batchGradient(warm, { workers: 2, inline: false });
}

await roundTripMicros(500);
const roundTrip = Math.min(await roundTripMicros(2000), await roundTripMicros(2000));

const rows: string[][] = [];
for (const n of SIZES) {
  const batch = job(n, n);
  const times: number[][] = CONTENDERS.map(() => []);
  const reference: string[] = [];
  let shards = 0;
  let usedInline = false;
  for (let round = 0; round < ROUNDS[n]; round++) {
    for (let c = 0; c < CONTENDERS.length; c++) {
      const start = performance.now();
      const r = await batchGradient(batch, CONTENDERS[c].options);
      times[c].push(performance.now() - start);
      if (round === 0) reference.push(bits(r));
      shards = r.stats.shards;
      if (CONTENDERS[c].name === 'auto') usedInline = r.stats.inline;
    }
  }
  if (new Set(reference).size !== 1) throw new Error(`batch ${n}: the contenders' gradients differ`);
  const [tInline, t1, t2, tAuto] = times.map((ts) => Math.min(...ts));
  const rate = (ms: number) => ((n / ms) * 1000).toFixed(0);
  rows.push([
    String(n),
    String(shards),
    rate(tInline),
    rate(t1),
    rate(t2),
    `${rate(tAuto)} (${usedInline ? 'inline' : 'pool'})`,
    (t1 / t2).toFixed(2),
    (tInline / t2).toFixed(2),
    (tInline / tAuto).toFixed(2),
    (((t1 - tInline) / shards) * 1000).toFixed(0),
  ]);
}
await closePool();

const header = ['batch', 'shards', 'inline /s', '1 w /s', '2 w /s', 'auto /s', '2w:1w', '2w:inline', 'auto:inline', 'task overhead µs'];
console.log(
  `Trajectory gradients per second (figure-eight three-body, one period, ACA dopri5 rtol 1e-6, shards of 32;` +
    ` ${availableParallelism()} cores; best of ${ROUNDS[16]}/${ROUNDS[256]}/${ROUNDS[4096]} interleaved rounds)`,
);
console.log(`pool start-up (2 workers, cold): ${startupMs.toFixed(0)} ms, paid once per process`);
console.log(`round trip of an empty task: ${roundTrip.toFixed(0)} µs\n`);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
console.log(line(header));
for (const r of rows) console.log(line(r));
console.log('\nAll contenders gave bitwise the same loss and gradients for every batch.');
