/**
 * Batches on the worker pool: the same bits for 1, 2 and 3 workers and inline, the reduction
 * checked against an independent grouping of gradient() results, and the faults: a worker that
 * throws, exits or runs out of memory mid-shard is retried once; a permanent fault fails the job
 * with an error naming the shard and the cause, and the pool keeps working.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nbodyField } from '../../src/fields/nbody.ts';
import { gradient } from '../../src/gradients/gradient.ts';
import { squaredError } from '../../src/losses/loss.ts';
import { batchGradient, cutShards, type BatchGradientResult } from '../../src/parallel/batch.ts';
import { InterruptedError, ShardFailedError, type WorkerFaultError } from '../../src/parallel/errors.ts';
import { closePool, poolThreads, warmPool } from '../../src/parallel/pool.ts';
import { figureEightJob, POSITIONS } from './helpers/jobs.ts';
import type { FaultyBatchJob } from '../../src/parallel/test-fault.ts';

afterAll(() => closePool({ force: true }));

/** The bytes of every number of a result, for bitwise comparison. */
function bits(r: BatchGradientResult): string {
  const all = Float64Array.of(r.loss, ...r.losses, ...r.dy0, ...r.dp);
  return Buffer.from(all.buffer).toString('base64');
}

describe('a 1,000-trajectory three-body batch', () => {
  const job = figureEightJob(1000, { seed: 2024 });
  // Every test below compares with this inline run, so each can run alone (vitest -t ...).
  let reference: BatchGradientResult;
  beforeAll(async () => {
    reference = await batchGradient(job, { inline: true });
  });

  it('gives bitwise the same loss and gradients inline and on 1, 2 and 3 workers', async () => {
    expect(await warmPool({ workers: 3 })).toBe(3);
    const results = [];
    for (const workers of [1, 2, 3]) {
      const r = await batchGradient(job, { workers, inline: false });
      expect(r.stats).toMatchObject({ inline: false, workers, shards: 32, trajectories: 1000, retries: 0 });
      results.push(r);
    }
    for (const r of results) expect(bits(r)).toBe(bits(reference));
    expect(reference.dy0.length).toBe(1000 * 18);
    expect(reference.dp.length).toBe(3);
    expect(poolThreads()).toBe(3);
  });

  it('equals the shard-by-shard grouping of independent gradient() calls', () => {
    const field = nbodyField({ bodies: 3, dims: 3, G: 1 });
    const loss = squaredError(18, { target: new Float64Array(4 * 9), observed: POSITIONS });
    let L = 0;
    const dp = new Float64Array(3);
    for (const shard of cutShards(1000, 32)) {
      let Ls = 0;
      const dps = new Float64Array(3);
      for (let i = shard.first; i < shard.first + shard.count; i++) {
        const g = gradient(field, job.trajectories[i].y0, { ...job.solver, params: job.params, loss });
        Ls += g.loss;
        for (let j = 0; j < 3; j++) dps[j] += g.dp[j];
        if (i % 97 === 0) expect(Array.from(reference.dy0.subarray(i * 18, i * 18 + 18))).toEqual(Array.from(g.dy0));
      }
      L += Ls;
      for (let j = 0; j < 3; j++) dp[j] += dps[j];
    }
    expect(reference.loss).toBe(L);
    expect(Array.from(reference.dp)).toEqual(Array.from(dp));
  });

  it('retries a shard whose worker exits mid-shard, and the result is unchanged', async () => {
    const r = await batchGradient({ ...job, testFault: { kind: 'exit', shard: 7 } } as FaultyBatchJob, { workers: 2, inline: false });
    expect(r.stats.retries).toBe(1);
    expect(bits(r)).toBe(bits(reference));
  });

  it('retries a shard whose worker throws', async () => {
    const r = await batchGradient({ ...job, testFault: { kind: 'throw', shard: 0, at: 0 } } as FaultyBatchJob, { workers: 2, inline: false });
    expect(r.stats.retries).toBe(1);
    expect(bits(r)).toBe(bits(reference));
  });

  it('fails the job, naming the shard and the cause, when the shard fails again; the pool goes on', async () => {
    const failing = batchGradient({ ...job, testFault: { kind: 'exit', shard: 20, attempts: 'always' } } as FaultyBatchJob, { workers: 2, inline: false });
    await expect(failing).rejects.toBeInstanceOf(ShardFailedError);
    await expect(failing).rejects.toThrow('shard 20 of 32 (trajectories 640..671) failed after 2 attempts: worker exited with code 3 [ERR_WORKER_EXITED]');
    // The pool replaced the dead workers: the next job runs, with the same bits.
    const again = await batchGradient(job, { workers: 2, inline: false });
    expect(bits(again)).toBe(bits(reference));
  });

  it('does not retry a deterministic failure (invalid input) and names the trajectory', async () => {
    const trajectories = job.trajectories.map((t, i) => (i === 500 ? { y0: Array.from(t.y0).slice(0, 17) } : t));
    try {
      await batchGradient({ ...job, trajectories }, { workers: 2, inline: false });
      expect.unreachable();
    } catch (error) {
      const e = error as ShardFailedError;
      expect(e).toBeInstanceOf(ShardFailedError);
      expect(e.shard).toBe(15);
      expect(e.attempts).toBe(1);
      expect((e.cause as WorkerFaultError).code).toBe('ERR_INVALID_ARGUMENT');
      expect(e.message).toMatch(/shard 15 of 32 .* at trajectory 500: .*invalid y0/);
    }
  });

  it('stops with InterruptedError when its signal aborts', async () => {
    const stop = new AbortController();
    const running = batchGradient(job, {
      workers: 2,
      inline: false,
      signal: stop.signal,
      onProgress: (done) => done >= 64 && stop.abort(),
    });
    await expect(running).rejects.toBeInstanceOf(InterruptedError);
  });

  it('closePool stops a running job with InterruptedError; the next job starts a new pool', async () => {
    const running = batchGradient(job, { workers: 2, inline: false, onProgress: (done) => done === 64 && void closePool({ force: true }) });
    await expect(running).rejects.toThrow('the job (the pool was closed) was interrupted before it finished');
    expect(poolThreads()).toBe(0);
    const again = await batchGradient(job, { workers: 2, inline: false });
    expect(bits(again)).toBe(bits(reference));
  });

  it('Ctrl-C in a script with no SIGINT handler of its own ends the job, the workers and the process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aca-sigint-'));
    const script = join(dir, 'script.mts');
    const batchModule = pathToFileURL(fileURLToPath(new URL('../../src/parallel/batch.ts', import.meta.url))).href;
    const jobs = pathToFileURL(fileURLToPath(new URL('./helpers/jobs.ts', import.meta.url))).href;
    writeFileSync(
      script,
      `import { batchGradient } from ${JSON.stringify(batchModule)};
import { figureEightJob } from ${JSON.stringify(jobs)};
await batchGradient(figureEightJob(100000, { tEnd: 6, outputs: 10 }), { workers: 2, onProgress: (d) => d === 64 && console.log('running') });
console.log('finished');
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: fileURLToPath(new URL('../..', import.meta.url)) });
    let stdout = '';
    child.stdout.on('data', (b) => (stdout += b));
    const exited = new Promise<[number | null, string | null]>((resolve) => child.on('exit', (code, signal) => resolve([code, signal])));
    for (let i = 0; i < 1500 && !stdout.includes('running'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(stdout).toContain('running');
    child.kill('SIGINT');
    expect(await exited).toEqual([null, 'SIGINT']);
    expect(stdout).not.toContain('finished');
    rmSync(dir, { recursive: true, force: true });
  });

  it('a worker that runs out of memory fails its shard, which is retried on a fresh worker', async () => {
    const small = figureEightJob(96, { seed: 7 });
    const limits = { maxOldGenerationSizeMb: 96 };
    const ok = await batchGradient(small, { inline: true });
    const r = await batchGradient({ ...small, testFault: { kind: 'oom', shard: 1 } } as FaultyBatchJob, { workers: 2, inline: false, resourceLimits: limits });
    expect(r.stats.retries).toBe(1);
    expect(bits(r)).toBe(bits(ok));
    await expect(
      batchGradient({ ...small, testFault: { kind: 'oom', shard: 2, attempts: 'always' } } as FaultyBatchJob, { workers: 2, inline: false, resourceLimits: limits }),
    ).rejects.toThrow(/shard 2 of 3 \(trajectories 64\.\.95\) failed after 2 attempts: worker ran out of memory .*\[ERR_WORKER_OUT_OF_MEMORY\]/);
  });
});
