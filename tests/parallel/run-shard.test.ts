/**
 * The work of one shard and its pieces, without a pool: the shard against independent
 * per-trajectory gradient() calls, the field cache key, the JSON loss registry, shard cutting.
 */
import { describe, expect, it } from 'vitest';
import { nbodyField } from '../../src/fields/nbody.ts';
import { gradient } from '../../src/gradients/gradient.ts';
import { squaredError } from '../../src/losses/loss.ts';
import { buildLoss } from '../../src/losses/registry.ts';
import { batchGradient, batchSolve, cutShards, runsInline } from '../../src/parallel/batch.ts';
import { ShardFailedError } from '../../src/parallel/errors.ts';
import { cachedField, fieldKey, runShard } from '../../src/parallel/run-shard.ts';
import { handleTask } from '../../src/parallel/worker-task.ts';
import { solve } from '../../src/solvers/solve.ts';
import { figureEightJob, POSITIONS } from './helpers/jobs.ts';

describe('runShard', () => {
  const job = figureEightJob(7, { seed: 3 });
  const { trajectories, ...header } = job;
  const field = nbodyField({ bodies: 3, dims: 3, G: 1 });
  const loss = squaredError(18, { target: new Float64Array(4 * 9), observed: POSITIONS });
  const direct = trajectories.map((t) => gradient(field, t.y0, { ...job.solver, params: job.params, loss }));

  it('sums losses and dL/dp in trajectory order and keeps dL/dy0 per trajectory, as separate gradient() calls give', () => {
    const r = runShard({ kind: 'shard', mode: 'gradient', job: header, shard: 0, first: 0, trajectories, attempt: 0 });
    let L = 0;
    const dp = new Float64Array(3);
    direct.forEach((g, i) => {
      L += g.loss;
      for (let j = 0; j < 3; j++) dp[j] += g.dp[j];
      expect(r.losses[i]).toBe(g.loss);
      expect(Array.from(r.dy0.subarray(i * 18, (i + 1) * 18))).toEqual(Array.from(g.dy0));
    });
    expect(r.loss).toBe(L);
    expect(Array.from(r.dp)).toEqual(Array.from(dp));
    expect(r.stats.trajectories).toBe(7);
    expect(r.stats.accepted).toBe(direct.reduce((s, g) => s + g.stats.accepted, 0));
    // One buffer behind every array: the worker moves it in one transfer.
    expect(r.dy0.buffer).toBe(r.losses.buffer);
    expect(r.dp.buffer).toBe(r.losses.buffer);
  });

  it('solve mode returns the outputs of solve()', () => {
    const r = runShard({ kind: 'shard', mode: 'solve', job: header, shard: 0, first: 0, trajectories: trajectories.slice(0, 2), attempt: 0 });
    const s1 = solve(field, trajectories[1].y0, { ...job.solver, params: job.params });
    expect(Array.from(r.outputs.subarray(4 * 18))).toEqual(Array.from(s1.y));
  });

  it('names the trajectory that failed', () => {
    const bad = [...trajectories.slice(0, 2), { y0: [1, 2, 3] }];
    try {
      runShard({ kind: 'shard', mode: 'gradient', job: header, shard: 2, first: 64, trajectories: bad, attempt: 0 });
      expect.unreachable();
    } catch (error) {
      expect((error as { code: string }).code).toBe('ERR_INVALID_ARGUMENT');
      expect((error as { trajectory: number }).trajectory).toBe(66);
    }
  });

  it('ignores test faults on the main thread', () => {
    const faulty = { ...header, testFault: { kind: 'exit' as const, shard: 'all' as const, attempts: 'always' as const } };
    const r = runShard({ kind: 'shard', mode: 'gradient', job: faulty, shard: 0, first: 0, trajectories, attempt: 0 });
    expect(r.count).toBe(7);
  });
});

describe('field cache', () => {
  it('keys a spec by its content, whatever the key order', () => {
    expect(fieldKey({ kind: 'nbody', bodies: 3, G: 1 })).toBe(fieldKey({ G: 1, bodies: 3, kind: 'nbody' }));
    expect(fieldKey({ kind: 'nbody', bodies: 3, G: 1 })).not.toBe(fieldKey({ kind: 'nbody', bodies: 3, G: 2 }));
  });
  it('compiles a spec once', () => {
    const spec = { kind: 'nbody', bodies: 4, dims: 2 };
    expect(cachedField(spec)).toBe(cachedField({ dims: 2, bodies: 4, kind: 'nbody' }));
  });
});

describe('loss registry', () => {
  const outputs = Float64Array.from({ length: 3 * 2 }, (_, i) => 0.5 + i);
  const times = Float64Array.of(1, 2, 3);

  it('sum_squares is the sum of squares of the listed components, with its gradient', () => {
    const g = new Float64Array(6);
    const L = buildLoss({ kind: 'sum_squares', components: [1] }, { dim: 2, nTimes: 3 })(outputs, times, g);
    expect(L).toBe(1.5 ** 2 + 3.5 ** 2 + 5.5 ** 2);
    expect(Array.from(g)).toEqual([0, 3, 0, 7, 0, 11]);
  });

  it("squared_error takes the trajectory's own target (null = missing) over the spec's", () => {
    const g = new Float64Array(6);
    const loss = buildLoss(
      { kind: 'squared_error', target: [[0, 0], [0, 0], [0, 0]], weights: [1, 2] },
      { dim: 2, nTimes: 3, target: [[0.5, 1.5], [null, 3], [4.5, 5.5]] },
    );
    // Residuals: (0, 0), (missing, 0.5), (0, 0): 2 * 0.5^2.
    expect(loss(outputs, times, g)).toBe(0.5);
    expect(Array.from(g)).toEqual([0, 0, 0, 2, 0, 0]);
  });

  it('rejects an unknown kind and a missing target, naming them', () => {
    expect(() => buildLoss({ kind: 'huber' }, { dim: 2, nTimes: 3 })).toThrow(/loss\.kind.*"huber".*squared_error, sum_squares/);
    expect(() => buildLoss({ kind: 'squared_error' }, { dim: 2, nTimes: 3 })).toThrow(/loss\.target/);
  });
});

describe('batches inline', () => {
  it('cuts fixed-size shards whatever the workers', () => {
    expect(cutShards(70, 32)).toEqual([{ first: 0, count: 32 }, { first: 32, count: 32 }, { first: 64, count: 6 }]);
    expect(runsInline(1, 8)).toBe(true);
    expect(runsInline(4, 1)).toBe(true);
    expect(runsInline(4, 2)).toBe(false);
    expect(runsInline(4, 2, true)).toBe(true);
  });

  it('adds the shard sums in shard order: the same as grouping gradient() results by shard', async () => {
    const job = figureEightJob(70, { seed: 5 });
    const r = await batchGradient(job, { shardSize: 32, inline: true });
    const field = nbodyField({ bodies: 3, dims: 3, G: 1 });
    const loss = squaredError(18, { target: new Float64Array(4 * 9), observed: POSITIONS });
    let L = 0;
    const dp = new Float64Array(3);
    for (const shard of cutShards(70, 32)) {
      let Ls = 0;
      const dps = new Float64Array(3);
      for (let i = shard.first; i < shard.first + shard.count; i++) {
        const g = gradient(field, job.trajectories[i].y0, { ...job.solver, params: job.params, loss });
        Ls += g.loss;
        for (let j = 0; j < 3; j++) dps[j] += g.dp[j];
        expect(r.dy0[i * 18 + 17]).toBe(g.dy0[17]);
      }
      L += Ls;
      for (let j = 0; j < 3; j++) dp[j] += dps[j];
    }
    expect(r.loss).toBe(L);
    expect(Array.from(r.dp)).toEqual(Array.from(dp));
    expect(r.stats).toMatchObject({ inline: true, shards: 3, trajectories: 70, workers: 0 });
  });

  it('batchSolve lays the outputs out n x K x d', async () => {
    const job = figureEightJob(3, { seed: 9 });
    const r = await batchSolve(job, { inline: true });
    const s2 = solve(nbodyField({ bodies: 3 }), job.trajectories[2].y0, { ...job.solver, params: job.params });
    expect(Array.from(r.outputs.subarray(2 * 4 * 18))).toEqual(Array.from(s2.y));
  });

  it('an inline failure names the shard, the trajectory and the cause', async () => {
    const job = figureEightJob(40, { seed: 5 });
    const trajectories = job.trajectories.map((t, i) => (i === 35 ? { y0: [...Array.from(t.y0).slice(0, 17), Number.NaN] } : t));
    await expect(batchGradient({ ...job, trajectories }, { inline: true })).rejects.toThrow(
      /shard 1 of 2 \(trajectories 32\.\.39\) failed after 1 attempt at trajectory 35: invalid y0\[17\]: NaN/,
    );
    await expect(batchGradient({ ...job, trajectories }, { inline: true })).rejects.toBeInstanceOf(ShardFailedError);
  });
});

describe('worker replies', () => {
  it('lists the one buffer behind a shard result for transfer', async () => {
    const { trajectories, ...job } = figureEightJob(3, { seed: 4 });
    const { reply, transfer } = await handleTask({ kind: 'shard', mode: 'gradient', job, shard: 0, first: 0, trajectories, attempt: 0 });
    expect(reply.ok).toBe(true);
    const value = (reply as { value: { dy0: Float64Array } }).value;
    expect(transfer).toEqual([value.dy0.buffer]);
  });

  it('reports an error as data that keeps its code, its trajectory and whether a retry can help', async () => {
    const { trajectories, ...job } = figureEightJob(3, { seed: 4 });
    const bad = await handleTask({ kind: 'shard', mode: 'gradient', job, shard: 1, first: 32, trajectories: [...trajectories, { y0: [0] }], attempt: 0 });
    expect(bad.reply).toMatchObject({ ok: false, error: { code: 'ERR_INVALID_ARGUMENT', trajectory: 35, deterministic: true } });
    const unknown = await handleTask({ kind: 'nope' } as never);
    expect(unknown.reply).toMatchObject({ ok: false, error: { deterministic: false, message: 'unknown worker task kind "nope"' } });
  });
});

describe('job validation', () => {
  it('rejects a bad field or loss before any shard runs', async () => {
    const job = figureEightJob(4);
    await expect(batchGradient({ ...job, field: { kind: 'nbody', bodies: 1 } }, { inline: false, workers: 2 })).rejects.toThrow(/invalid bodies: 1/);
    await expect(batchGradient({ ...job, loss: { kind: 'huber' } }, { inline: false, workers: 2 })).rejects.toThrow(/invalid loss\.kind: "huber"/);
    await expect(batchGradient({ ...job, loss: undefined }, {})).rejects.toThrow(/invalid job\.loss/);
    await expect(batchGradient({ ...job, trajectories: [] }, {})).rejects.toThrow(/invalid job\.trajectories/);
    await expect(batchGradient(job, { workers: 0 })).rejects.toThrow(/invalid workers: 0/);
    await expect(batchGradient(job, { shardSize: 2.5 })).rejects.toThrow(/invalid shardSize: 2\.5/);
  });
});
