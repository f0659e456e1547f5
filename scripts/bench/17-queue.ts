/**
 * The queue (src/queue) against the local pool: throughput of the same batches run by this
 * process's Piscina pool and by `aca worker` processes taking BullMQ jobs from Redis, on this one
 * machine (so that the figures are the queue's cost, not a network's or more cores').
 *
 * Batches:
 *   gradient   batchGradient of 4,096 figure-eight trajectories (one period, 10 outputs, ACA
 *              dopri5 rtol 1e-6), shards of 32: 128 shard jobs
 *   fits       `aca batch` of 64 fit runs (data/lotka_volterra.yaml, FIT_ITERATIONS iterations)
 *   tiny       64 one-trajectory solve runs: the queue's overhead per job, in ms,
 *              (t(queue, 1 worker) - t(local, 1 thread)) / 64
 * Contenders: the local pool with 2 threads (1 for tiny), and 1 and 2 worker processes of one
 * thread each. Rounds are interleaved (each contender once per round) and the table gives medians:
 * the machine is shared with other jobs, so single times wander; the ratios are of medians
 * measured side by side in one run. Queued runs get a `round` key so that each round is new jobs
 * (a run's job id hashes its content; an unchanged run would be read back, not run).
 * Redis: REDIS_URL (default 127.0.0.1:6379); without one the benchmark says so and stops.
 * Goal (issue 17): 2 queue workers within 10% of the local pool on the 64-fit batch.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { batchGradient, type BatchJob } from '../../src/parallel/batch.ts';
import { runBatchFile } from '../../src/parallel/batch-runs.ts';
import { closePool, warmPool } from '../../src/parallel/pool.ts';
import { runBatchOnQueue } from '../../src/queue/collector.ts';
import { queueShards } from '../../src/queue/shards.ts';
import { redisOptions, redisUnreachable } from '../../src/queue/connection.ts';
import { createRng } from '../../src/util/random.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROUNDS = Number(process.env.ROUNDS ?? 3);
// 100: the spec's own fit to convergence (LM takes about 14 iterations); FIT_ITERATIONS=5 measures
// the queue's per-job overhead on tiny fits (about 18% slower than the local pool there).
const FIT_ITERATIONS = Number(process.env.FIT_ITERATIONS ?? 100);
/** Jobs each worker process takes at once (its --concurrency; default 1, its one thread). */
const CONCURRENCY = process.env.CONCURRENCY ?? '1';
/** Only the batches whose names contain this (e.g. ONLY=fits). */
const ONLY = process.env.ONLY ?? '';
const here = dirname(fileURLToPath(import.meta.url));
const ACA = join(here, '../../bin/aca.mjs');

const why = await redisUnreachable(REDIS_URL, 2000);
if (why) {
  console.log(`17-queue skipped: ${why} (set REDIS_URL)`);
  process.exit(0);
}

interface FigureEight {
  readonly y0: number[];
  readonly masses: number[];
  readonly G: number;
  readonly observation_times: number[];
}
const problem: FigureEight = JSON.parse(readFileSync(join(here, '../../data/problems/three_body_figure_eight.json'), 'utf8'));
function gradientJob(n: number, seed: number): BatchJob {
  const rng = createRng(seed);
  return {
    field: { kind: 'nbody', bodies: 3, dims: 3, G: problem.G },
    solver: { times: problem.observation_times, t0: 0, method: 'dopri5', rtol: 1e-6, atol: 1e-6 },
    params: problem.masses,
    loss: { kind: 'sum_squares', components: [0, 1, 2, 3, 4, 5, 6, 7, 8] },
    trajectories: Array.from({ length: n }, () => ({ y0: problem.y0.map((v) => v + rng.normal(0, 1e-3)) })),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'aca-bench-queue-'));
writeFileSync(join(dir, 'lv.yaml'), readFileSync(join(here, '../../data/lotka_volterra.yaml')));
writeFileSync(join(dir, 'lotka_volterra.csv'), readFileSync(join(here, '../../data/lotka_volterra.csv')));
const tinyJob = (() => {
  const { loss: _loss, ...j } = gradientJob(1, 5);
  return j;
})();
function runsFile(kind: 'fits' | 'tiny', tag: string): string {
  const file = join(dir, `${kind}-${tag}.jsonl`);
  // The round is in the id (run lines are strict: no extra keys), so each round's jobs are new.
  const runs = Array.from({ length: 64 }, (_, i) =>
    kind === 'fits'
      ? { id: `f${i}-${tag}`, kind: 'fit', spec: 'lv.yaml', iterations: FIT_ITERATIONS }
      : { id: `t${i}-${tag}`, kind: 'solve', ...tinyJob },
  );
  writeFileSync(file, runs.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}

// Worker processes: queue q1 has one, q2 two; one thread each.
const stamp = `${process.pid}-${Date.now().toString(36)}`;
const q1 = `aca-bench-1w-${stamp}`;
const q2 = `aca-bench-2w-${stamp}`;
const children: ChildProcess[] = [];
async function startWorker(name: string): Promise<void> {
  const child = spawn(process.execPath, [ACA, 'worker', '--queue', REDIS_URL, '--queue-name', name, '--workers', '1', '--concurrency', CONCURRENCY], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    let text = '';
    child.stderr!.on('data', (c: Buffer) => {
      text += c.toString();
      if (text.includes('waiting for jobs')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`worker exited with ${code}: ${text}`)));
  });
}
await Promise.all([startWorker(q1), startWorker(q2), startWorker(q2)]);
await warmPool({ workers: 2 });

type Contender = { name: string; run: (round: string) => Promise<void> };
const grad = gradientJob(4096, 4096);
let reference = '';
const checkBits = (r: Awaited<ReturnType<typeof batchGradient>>) => {
  const bits = Buffer.from(Float64Array.of(r.loss, ...r.dp).buffer).toString('base64');
  reference ||= bits;
  if (bits !== reference) throw new Error('queued and local gradients differ');
};
const batches: { name: string; contenders: Contender[] }[] = [
  {
    name: 'gradient 4096',
    contenders: [
      { name: 'local 2 threads', run: async () => checkBits(await batchGradient(grad, { workers: 2, inline: false })) },
      { name: 'queue 1 worker', run: async () => checkBits(await batchGradient(grad, { queue: queueShards({ url: REDIS_URL, name: q1 }) })) },
      { name: 'queue 2 workers', run: async () => checkBits(await batchGradient(grad, { queue: queueShards({ url: REDIS_URL, name: q2 }) })) },
    ],
  },
  ...(['fits', 'tiny'] as const).map((kind) => ({
    name: kind === 'fits' ? `64 fits (${FIT_ITERATIONS} iterations)` : '64 tiny solves',
    contenders: [
      { name: kind === 'tiny' ? 'local 1 thread' : 'local 2 threads', run: (round: string) => batchRuns(kind, round, 'local') },
      { name: 'queue 1 worker', run: (round: string) => batchRuns(kind, round, q1) },
      { name: 'queue 2 workers', run: (round: string) => batchRuns(kind, round, q2) },
    ],
  })),
];

async function batchRuns(kind: 'fits' | 'tiny', round: string, where: string): Promise<void> {
  const tag = `${round}-${where}`;
  const file = runsFile(kind, tag);
  const outFile = join(dir, `out-${kind}-${tag}.jsonl`);
  const summary =
    where === 'local'
      ? await runBatchFile({ runsFile: file, outFile, workers: kind === 'tiny' ? 1 : 2 })
      : await runBatchOnQueue({ runsFile: file, outFile, queue: { url: REDIS_URL, name: where }, pollMs: 200 });
  if (summary.failed > 0 || summary.done !== 64) throw new Error(`${kind} on ${where}: ${JSON.stringify(summary)}`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results: { name: string; medians: number[]; names: string[] }[] = [];
try {
  for (const batch of batches.filter((b) => b.name.includes(ONLY))) {
    // One warm-up round (JIT, the workers' module loads), then the timed rounds.
    for (const c of batch.contenders) await c.run('warm');
    const times: number[][] = batch.contenders.map(() => []);
    for (let r = 0; r < ROUNDS; r++) {
      for (let c = 0; c < batch.contenders.length; c++) {
        const start = performance.now();
        await batch.contenders[c].run(`r${r}`);
        times[c].push(performance.now() - start);
      }
    }
    results.push({ name: batch.name, medians: times.map(median), names: batch.contenders.map((c) => c.name) });
  }
} finally {
  for (const child of children) child.kill('SIGTERM');
  await closePool();
  for (const name of [q1, q2]) {
    const q = new Queue(name, { connection: redisOptions(REDIS_URL) });
    await q.obliterate({ force: true });
    await q.close();
  }
  rmSync(dir, { recursive: true, force: true });
}

console.log(
  `Queue against the local pool on one machine (${availableParallelism()} cores, shared with other jobs: medians of ${ROUNDS} interleaved rounds after a warm-up; Redis ${REDIS_URL}; worker --concurrency ${CONCURRENCY})\n`,
);
for (const r of results) {
  const [local, one, two] = r.medians;
  console.log(
    `${r.name.padEnd(26)} ${r.names.map((n, i) => `${n} ${(r.medians[i] / 1000).toFixed(2)} s`).join('   ')}   ` +
      `local:1w ${(local / one).toFixed(2)}  local:2w ${(local / two).toFixed(2)}`,
  );
  if (r.name === '64 tiny solves') console.log(`queue overhead per job: ${((one - local) / 64).toFixed(1)} ms (1 worker against 1 local thread)`);
}
const fits = results.find((r) => r.name.startsWith('64 fits'));
if (!fits) process.exit(0);
const slowdown = fits.medians[2] / fits.medians[0] - 1;
console.log(`\n64 fits: 2 queue workers take ${(100 * slowdown).toFixed(1)}% ${slowdown >= 0 ? 'longer' : 'less'} than the local pool (goal: within 10%)`);
console.log('The queued gradients were bitwise equal to the local ones in every round.');
