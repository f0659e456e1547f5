/**
 * The queue against a real Redis with real `aca worker` processes: results equal to a local
 * batch's, re-submission adding nothing, a queued batch gradient bitwise equal to the local one,
 * and the faults: a worker killed mid-job, the submitter killed and restarted, Redis restarted
 * (a private redis-server with append-only persistence), a run failing twice, a worker of another
 * version, Ctrl-C on either side; and Bull Board in headless Chromium.
 *
 * Runs when Redis answers at REDIS_URL (default 127.0.0.1:6379); otherwise the suite is skipped
 * with one line saying why, unless ACA_REQUIRE_REDIS=1 (.ci/run), which makes that a failure.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchGradient } from '../../src/parallel/batch.ts';
import { runBatchFile, type RunLine } from '../../src/parallel/batch-runs.ts';
import { closePool } from '../../src/parallel/pool.ts';
import type { RunProgress } from '../../src/parallel/job-types.ts';
import { runSpec } from '../../src/parallel/run-spec.ts';
import { installBuiltinRunKinds } from '../../src/runs/builtin.ts';
import { runBatchOnQueue } from '../../src/queue/collector.ts';
import { queueShards } from '../../src/queue/shards.ts';
import { redisOptions, redisUnreachable } from '../../src/queue/connection.ts';
import { runJobId } from '../../src/queue/job-id.ts';
import { figureEightJob } from '../parallel/helpers/jobs.ts';
import { ACA, freePort, PrivateRedis, REDIS_URL, removeQueue, startWorker, stopWorker, testQueueName, type ChildWorker } from './helpers.ts';

installBuiltinRunKinds(); // runSpec in this thread, for the clean results

const unreachable = await redisUnreachable(REDIS_URL, 2000);
const required = process.env.ACA_REQUIRE_REDIS === '1';
if (unreachable && !required) {
  process.stderr.write(`distributed queue tests skipped: ${unreachable} (set REDIS_URL, or ACA_REQUIRE_REDIS=1 to fail instead)\n`);
}

const dir = mkdtempSync(join(tmpdir(), 'aca-queue-'));
const DATA = fileURLToPath(new URL('../../data/', import.meta.url));
const queues: string[] = [];
const workers: ChildWorker[] = [];

function queue(what: string): string {
  const name = testQueueName(what);
  queues.push(name);
  return name;
}

function worker(name: string, options: Parameters<typeof startWorker>[2] = {}, url = REDIS_URL): ChildWorker {
  const w = startWorker(url, name, options);
  workers.push(w);
  return w;
}

function lines(file: string): RunLine[] {
  const text = readFileSync(file, 'utf8');
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as RunLine);
}

/** Lines without timings, by id: what must not depend on where or how often a run ran. */
function canonical(file: string): unknown[] {
  return lines(file)
    .map(({ elapsedMs: _t, ...rest }) => rest)
    .sort((a, b) => String(a.id).localeCompare(String(b.id)));
}

function writeRuns(file: string, runs: object[]): void {
  writeFileSync(file, runs.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

/** n grad runs of figure-eight batches, each some 100-300 ms of work. */
function gradRuns(prefix: string, n: number, size = 64, seed = 0): object[] {
  return Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, kind: 'grad', ...figureEightJob(size, { seed: seed + 100 + i, tEnd: 4, outputs: 4 }) }));
}

async function until(what: string, test: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await test()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function openQueue(name: string, url = REDIS_URL): Queue {
  const q = new Queue(name, { connection: redisOptions(url) });
  q.on('error', () => {});
  return q;
}

afterAll(async () => {
  await Promise.all(workers.map(stopWorker));
  if (!unreachable) for (const name of queues) await removeQueue(REDIS_URL, name).catch(() => {});
  await closePool({ force: true });
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(required && unreachable)('the distributed suite', () => {
  it('needs Redis (ACA_REQUIRE_REDIS=1)', () => {
    throw new Error(`ACA_REQUIRE_REDIS=1 but ${unreachable}`);
  });
});

describe.skipIf(unreachable !== null)('aca batch --queue', () => {
  const main = queue('main');
  let a: ChildWorker;
  let b: ChildWorker;
  beforeAll(async () => {
    a = worker(main);
    b = worker(main);
    await Promise.all([a.ready, b.ready]);
  });

  it('writes the lines a local batch writes, shows fit progress, and adds nothing when submitted again', async () => {
    writeFileSync(join(dir, 'lv.yaml'), readFileSync(join(DATA, 'lotka_volterra.yaml')));
    writeFileSync(join(dir, 'lotka_volterra.csv'), readFileSync(join(DATA, 'lotka_volterra.csv')));
    const runs = join(dir, 'runs.jsonl');
    const { loss: _loss, ...solveJob } = figureEightJob(3, { seed: 9 });
    writeRuns(runs, [
      ...gradRuns('g', 4),
      { id: 's', kind: 'solve', ...solveJob },
      { id: 'f', kind: 'fit', spec: 'lv.yaml', iterations: 6 },
      { id: 'lv', kind: 'grad', spec: 'lv.yaml' },
      { id: 'bad', kind: 'nope' },
    ]);
    const local = join(dir, 'local.jsonl');
    await runBatchFile({ runsFile: runs, outFile: local, workers: 2 });

    const out = join(dir, 'queued.jsonl');
    const progress: RunProgress[] = [];
    const summary = await runBatchOnQueue({
      runsFile: runs,
      outFile: out,
      queue: { url: REDIS_URL, name: main },
      onRunProgress: (id, p) => {
        if (id === 'f' && p) progress.push(p);
      },
    });
    expect(summary).toMatchObject({ total: 8, done: 8, failed: 1, skipped: 0, interrupted: false });
    expect(canonical(out)).toEqual(canonical(local));
    expect(lines(out).map((l) => l.id).sort()).toEqual(['bad', 'f', 'g0', 'g1', 'g2', 'g3', 'lv', 's']);

    // The fit's progress came from its worker through BullMQ: its first loss is the loss at the
    // start values, which the grad run of the same spec computed on its own.
    // Every reported loss lies between the fit's end loss and that start loss.
    expect(progress.length).toBeGreaterThan(0);
    const lv = lines(out).find((l) => l.id === 'lv')!.result as { loss: number };
    const fitted = lines(out).find((l) => l.id === 'f')!.result as { loss: number };
    for (const p of progress) {
      expect(p.iteration).toBeLessThanOrEqual(6);
      expect(p.loss).toBeGreaterThanOrEqual(fitted.loss);
      expect(p.loss).toBeLessThanOrEqual(lv.loss);
      if (p.iteration === 0) expect(p.loss).toBe(lv.loss);
    }

    // Again, from an empty output: every line comes back from Redis, and no job is added or run.
    const q = openQueue(main);
    const before = await q.getJobCounts('completed', 'failed', 'waiting', 'active');
    const again = join(dir, 'queued-again.jsonl');
    await runBatchOnQueue({ runsFile: runs, outFile: again, queue: { url: REDIS_URL, name: main } });
    expect(canonical(again)).toEqual(canonical(out));
    expect(await q.getJobCounts('completed', 'failed', 'waiting', 'active')).toEqual(before);

    // A changed run is a new job (and only it).
    writeRuns(runs, [...gradRuns('g', 3), ...gradRuns('g', 4, 64, 50).slice(3)]);
    const changed = join(dir, 'changed.jsonl');
    await runBatchOnQueue({ runsFile: runs, outFile: changed, queue: { url: REDIS_URL, name: main } });
    const after = await q.getJobCounts('completed');
    expect(after.completed).toBe(before.completed + 1);
    expect(lines(changed).find((l) => l.id === 'g3')!.result).not.toEqual(lines(out).find((l) => l.id === 'g3')!.result);
    await q.close();
  });

  it('runs a batch gradient shard by shard on the workers, bitwise equal to the local pool', async () => {
    const job = figureEightJob(200, { seed: 77, tEnd: 2, outputs: 3 });
    const local = await batchGradient(job, { workers: 2, inline: false, shardSize: 32 });
    const queued = await batchGradient(job, { queue: queueShards({ url: REDIS_URL, name: main }), shardSize: 32 });
    expect(queued.stats.shards).toBe(7);
    expect(Object.is(queued.loss, local.loss)).toBe(true);
    for (const key of ['losses', 'dy0', 'dp'] as const) {
      expect(Buffer.from(queued[key].buffer).equals(Buffer.from(local[key].buffer))).toBe(true);
    }
    // And not trivially: another shard size groups the sums differently.
    expect(queued.stats.accepted).toBe(local.stats.accepted);
    // The shard jobs are removed once read.
    const q = openQueue(main);
    const ids = (await q.getJobs(['completed', 'failed', 'waiting'])).map((j) => j.id!);
    expect(ids.filter((id) => id.startsWith('shard.'))).toEqual([]);
    await q.close();
  });

  it('serves Bull Board: headless Chromium sees the batch\'s jobs with their states', async () => {
    const CHROMIUM = '/usr/bin/chromium';
    if (!existsSync(CHROMIUM)) {
      if (required) throw new Error(`${CHROMIUM} is missing (apt-get install -y chromium; .ci/run does)`);
      process.stderr.write(`dashboard test skipped: no ${CHROMIUM}\n`);
      return;
    }
    const port = await freePort();
    const board = spawn(process.execPath, [ACA, 'dashboard', '--queue', REDIS_URL, '--queue-name', main, '--port', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    board.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      await until('the dashboard', () => stderr.includes(`http://127.0.0.1:${port}/`));
      const page = await browser.newPage();
      const base = `http://127.0.0.1:${port}/queue/${main}`;
      await page.goto(`${base}?status=completed`);
      await page.getByText(/\bg0\.[0-9a-f]{16}\b/).first().waitFor({ timeout: 30_000 });
      const completed = await page.innerText('body');
      expect(completed).toContain(main);
      for (const id of ['g0', 'g1', 'g2', 's', 'f', 'lv']) expect(completed).toMatch(new RegExp(`\\b${id}\\.[0-9a-f]{16}\\b`));
      expect(completed).not.toMatch(/\bbad\.[0-9a-f]{16}\b/);
      await page.goto(`${base}?status=failed`);
      await page.getByText(/\bbad\.[0-9a-f]{16}\b/).first().waitFor({ timeout: 30_000 });
      const failed = await page.innerText('body');
      expect(failed).toMatch(/Failed at/); // the state, as Bull Board shows it
      expect(failed).not.toMatch(/\bg0\.[0-9a-f]{16}\b/);
    } finally {
      await browser.close();
      board.kill('SIGTERM');
      await new Promise((r) => board.on('exit', r));
    }
  });

  it('records a run that fails twice as failed with its error, once; a run failing once is retried', async () => {
    const runs = join(dir, 'faults.jsonl');
    const [g] = gradRuns('x', 1, 8, 300);
    writeRuns(runs, [
      { ...g, id: 'always', testFault: { kind: 'throw', attempts: 'always' } },
      { ...g, id: 'once', testFault: { kind: 'throw', attempts: 1 } },
      { ...g, id: 'exits', testFault: { kind: 'exit', attempts: 1 } },
    ]);
    const out = join(dir, 'faults-out.jsonl');
    const summary = await runBatchOnQueue({ runsFile: runs, outFile: out, queue: { url: REDIS_URL, name: main } });
    expect(summary).toMatchObject({ total: 3, done: 3, failed: 1 });
    const byId = new Map(lines(out).map((l) => [String(l.id), l]));
    expect(lines(out)).toHaveLength(3);
    expect(byId.get('always')).toMatchObject({ ok: false, error: { attempts: 2 } });
    expect(byId.get('always')!.error!.message).toMatch(/test fault: run "always" threw/);
    // The retried ones give the numbers of a clean run.
    const clean = await runSpec({ kind: 'run', run: g as never, attempt: 0 });
    expect(byId.get('once')).toMatchObject({ ok: true, result: clean });
    expect(byId.get('exits')).toMatchObject({ ok: true, result: clean });
  });

  it('survives the submitting process killed and restarted: results in Redis written, nothing run twice', async () => {
    const runs = join(dir, 'restart.jsonl');
    writeRuns(runs, gradRuns('r', 8, 96, 400));
    const out = join(dir, 'restart-out.jsonl');
    const q = openQueue(main);
    const before = (await q.getJobCounts('completed')).completed;
    const args = [ACA, 'batch', runs, '--out', out, '--queue', REDIS_URL, '--queue-name', main, '-q'];
    const first = spawn(process.execPath, args, { stdio: 'ignore' });
    await until('two result lines', () => existsSync(out) && readFileSync(out, 'utf8').split('\n').filter(Boolean).length >= 2);
    first.kill('SIGKILL');
    await new Promise((r) => first.on('exit', r));
    const written = lines(out).length;
    // The workers go on meanwhile; the restarted submitter writes what they finished from Redis.
    await new Promise((r) => setTimeout(r, 1000));
    const second = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    second.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    expect(await new Promise((r) => second.on('exit', r))).toBe(0);
    expect(stderr).toMatch(new RegExp(`${8 - written} ok, 0 failed, ${written} skipped`));
    const ids = lines(out).map((l) => String(l.id));
    expect(ids.sort()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7']);
    // Each run was one job, completed once.
    expect((await q.getJobCounts('completed')).completed).toBe(before + 8);
    await q.close();
  });

  it('hands the job of a worker killed with SIGKILL to another worker; the run appears once', async () => {
    const name = queue('kill');
    const first = worker(name);
    await first.ready;
    const runs = join(dir, 'kill.jsonl');
    const heavy = { id: 'heavy', kind: 'grad', ...figureEightJob(400, { seed: 5, tEnd: 6, outputs: 6 }) };
    writeRuns(runs, [heavy]);
    const out = join(dir, 'kill-out.jsonl');
    const done = runBatchOnQueue({ runsFile: runs, outFile: out, queue: { url: REDIS_URL, name } });
    const q = openQueue(name);
    await until('the job to be active', async () => (await q.getActiveCount()) === 1);
    first.process.kill('SIGKILL');
    await first.exited;
    const second = worker(name);
    await done;
    expect(lines(out)).toHaveLength(1);
    const clean = await runSpec({ kind: 'run', run: heavy as never, attempt: 0 });
    expect(lines(out)[0]).toMatchObject({ id: 'heavy', ok: true, result: clean });
    const job = await q.getJob(runJobId('heavy', { ...heavy }));
    expect(job?.finishedOn).toBeGreaterThan(0);
    await stopWorker(second);
    await q.close();
  });

  it('lets a worker of another version refuse the jobs, with a message, and leaves them to a right one', async () => {
    const name = queue('version');
    const other = worker(name, { env: { ACA_QUEUE_VERSION: '0.0.0-other' } });
    await other.ready;
    const runs = join(dir, 'version.jsonl');
    writeRuns(runs, gradRuns('v', 2, 8, 500));
    const out = join(dir, 'version-out.jsonl');
    const done = runBatchOnQueue({ runsFile: runs, outFile: out, queue: { url: REDIS_URL, name }, pollMs: 200 });
    await until('the refusal', () => /refusing job v0\.[0-9a-f]+: it was submitted by aca-ode 0\.1\.0 and this worker runs 0\.0\.0-other/.test(other.log()));
    expect(existsSync(out) ? lines(out) : []).toEqual([]);
    const right = worker(name);
    const summary = await done;
    expect(summary).toMatchObject({ done: 2, failed: 0 });
    expect(lines(out).every((l) => l.ok)).toBe(true);
    await Promise.all([stopWorker(other), stopWorker(right)]);
  });

  it('on Ctrl-C removes the waiting jobs of the batch; a stopped worker puts its running job back', async () => {
    const name = queue('cancel');
    const runs = join(dir, 'cancel.jsonl');
    writeRuns(runs, [{ id: 'long', kind: 'grad', ...figureEightJob(800, { seed: 8, tEnd: 6, outputs: 6 }) }, ...gradRuns('c', 3, 8, 600)]);
    const q = openQueue(name);
    // No worker yet: the submitter is interrupted with every job waiting.
    const stop = new AbortController();
    const out = join(dir, 'cancel-out.jsonl');
    const notes: string[] = [];
    const done = runBatchOnQueue({ runsFile: runs, outFile: out, queue: { url: REDIS_URL, name }, signal: stop.signal, pollMs: 200, log: (m) => notes.push(m) });
    await until('four waiting jobs', async () => (await q.getWaitingCount()) === 4);
    // After 5 s with no worker on the queue the submitter says how to start one.
    await until('the note', () => notes.length > 0, 20_000);
    expect(notes).toEqual([`no worker serves queue ${name} yet: start \`aca worker --queue ${REDIS_URL} --queue-name ${name}\` on a machine`]);
    stop.abort();
    expect(await done).toMatchObject({ interrupted: true, done: 0, removed: 4 });
    expect(await q.getJobCounts('waiting', 'active', 'delayed')).toEqual({ waiting: 0, active: 0, delayed: 0 });

    // A worker stopped (SIGTERM, as Ctrl-C) while it runs a job releases it to the wait list.
    writeRuns(runs, [{ id: 'long', kind: 'grad', ...figureEightJob(800, { seed: 8, tEnd: 6, outputs: 6 }) }]);
    const w = worker(name);
    const stop2 = new AbortController();
    const done2 = runBatchOnQueue({ runsFile: runs, outFile: out, queue: { url: REDIS_URL, name }, signal: stop2.signal });
    await until('the job to be active', async () => (await q.getActiveCount()) === 1);
    w.process.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    expect(w.log()).toMatch(/running jobs go back to the queue/);
    expect(await q.getJobCounts('waiting', 'active')).toEqual({ waiting: 1, active: 0 });
    stop2.abort();
    await done2;
    await q.close();
  });

  it('adds again the jobs that Redis lost (a queue wiped while the batch waits)', async () => {
    const name = queue('lost');
    const runs = join(dir, 'lost.jsonl');
    writeRuns(runs, gradRuns('l', 2, 8, 800));
    const out = join(dir, 'lost-out.jsonl');
    const q = openQueue(name);
    const done = runBatchOnQueue({ runsFile: runs, outFile: out, queue: { url: REDIS_URL, name }, pollMs: 200 });
    await until('two waiting jobs', async () => (await q.getWaitingCount()) === 2);
    await q.obliterate({ force: true });
    const w = worker(name);
    expect(await done).toMatchObject({ total: 2, done: 2, failed: 0 });
    expect(lines(out).map((l) => l.id).sort()).toEqual(['l0', 'l1']);
    await stopWorker(w);
    await q.close();
  });

  it('loses nothing and writes no line twice when Redis restarts mid-batch (append-only persistence)', async () => {
    const redis = new PrivateRedis(await freePort(), mkdtempSync(join(tmpdir(), 'aca-redis-')));
    await redis.start();
    try {
      const name = testQueueName('restart-redis');
      const w = worker(name, {}, redis.url);
      await w.ready;
      const runs = join(dir, 'redis.jsonl');
      writeRuns(runs, gradRuns('d', 8, 64, 700));
      const out = join(dir, 'redis-out.jsonl');
      const done = runBatchOnQueue({ runsFile: runs, outFile: out, queue: { url: redis.url, name }, pollMs: 300 });
      await until('two result lines', () => existsSync(out) && readFileSync(out, 'utf8').split('\n').filter(Boolean).length >= 2);
      await redis.stop();
      await new Promise((r) => setTimeout(r, 1500));
      await redis.start();
      const summary = await done;
      expect(summary).toMatchObject({ total: 8, done: 8, failed: 0 });
      expect(lines(out).map((l) => String(l.id)).sort()).toEqual(['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7']);
      await stopWorker(w);
    } finally {
      await redis.stop();
      rmSync(redis.dir, { recursive: true, force: true });
    }
  });
});
