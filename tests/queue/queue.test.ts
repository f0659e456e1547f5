/** The queue's pure parts: job ids, Redis URLs, the wire format of shard results, failure reasons. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { redisOptions, redisUnreachable } from '../../src/queue/connection.ts';
import { canonicalJson, runJobId } from '../../src/queue/job-id.ts';
import { decodeShardResult, encodeShardResult, errorOfFailedReason, failedReasonOf } from '../../src/queue/jobs.ts';

describe('runJobId', () => {
  const run = { kind: 'grad', solver: { rtol: 1e-6, times: [1, 2] }, trajectories: [{ y0: [1, 2] }] };

  it('depends on the run id and the content, not on the order of keys', () => {
    const id = runJobId('a', run);
    expect(id).toMatch(/^a\.[0-9a-f]{16}$/);
    expect(runJobId('a', { trajectories: [{ y0: [1, 2] }], solver: { times: [1, 2], rtol: 1e-6 }, kind: 'grad' })).toBe(id);
    expect(runJobId('b', run)).not.toBe(id);
    expect(runJobId('a', { ...run, solver: { rtol: 1e-7, times: [1, 2] } })).not.toBe(id);
    expect(runJobId('a', { ...run, trajectories: [{ y0: [2, 1] }] })).not.toBe(id);
    // Numbers and strings of the same text are different ids' hashes; ':' is not kept.
    expect(runJobId(7, run)).not.toBe(runJobId('7', run));
    expect(runJobId('x:y/z', run)).toMatch(/^x_y_z\.[0-9a-f]{16}$/);
  });

  it('writes typed arrays as arrays in canonical JSON', () => {
    expect(canonicalJson({ b: Float64Array.of(1.5, -2), a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":[1.5,-2]}');
  });
});

describe('redisOptions', () => {
  it('reads host, port, database and credentials', () => {
    expect(redisOptions('redis://10.0.0.5:6380/3')).toEqual({ host: '10.0.0.5', port: 6380, db: 3, maxRetriesPerRequest: null });
    expect(redisOptions('redis://u:p%40ss@h')).toMatchObject({ host: 'h', port: 6379, db: 0, username: 'u', password: 'p@ss' });
  });

  it('rejects what is not a Redis URL, naming it', () => {
    expect(() => redisOptions('http://h:1')).toThrow(/invalid --queue: "http:\/\/h:1" \(a Redis URL/);
    expect(() => redisOptions('h:6379')).toThrow(/a Redis URL/);
    expect(() => redisOptions('redis://h:1/x')).toThrow(/database number/);
  });

  it('says why a server does not answer', async () => {
    // Port 1 on localhost: nothing listens there.
    expect(await redisUnreachable('redis://127.0.0.1:1', 1000)).toMatch(/no Redis at 127\.0\.0\.1:1/);
  });
});

describe('shard results on the wire', () => {
  it('come back bit for bit, -0, NaN and infinities included', () => {
    const values = Float64Array.of(-0, NaN, Infinity, -Infinity, 0.1 + 0.2, 5e-324, -1.7976931348623157e308);
    const result = { shard: 3, count: 7, loss: 1.25, losses: values, dy0: values.subarray(2), dp: new Float64Array(0), outputs: new Float64Array(0), stats: { ms: 1 } };
    const back = decodeShardResult(JSON.parse(JSON.stringify(encodeShardResult(result as never))));
    expect(Buffer.from(back.losses.buffer).equals(Buffer.from(values.buffer))).toBe(true);
    expect(Array.from(back.dy0)).toEqual(Array.from(values.subarray(2)));
    expect(back.dp).toHaveLength(0);
    expect(back).toMatchObject({ shard: 3, count: 7, loss: 1.25, stats: { ms: 1 } });
  });
});

describe('failure reasons', () => {
  it('keep the error code through BullMQ', () => {
    expect(errorOfFailedReason(failedReasonOf('ERR_MAX_STEPS', 'max steps\nat t = 1'))).toEqual({ code: 'ERR_MAX_STEPS', message: 'max steps\nat t = 1' });
    expect(errorOfFailedReason('job stalled more than allowable limit')).toMatchObject({ code: 'ERR_JOB_STALLED' });
    expect(errorOfFailedReason(undefined)).toEqual({ code: 'ERR_JOB_FAILED', message: 'the job failed' });
  });
});

describe('the queue commands on bad input', () => {
  const ACA = new URL('../../bin/aca.mjs', import.meta.url).pathname;
  const aca = (...args: string[]) => spawnSync(process.execPath, [ACA, ...args], { encoding: 'utf8', timeout: 60_000 });

  it('exit with status 2 and say what is wrong', () => {
    const worker = aca('worker');
    expect(worker.status).toBe(2);
    expect(worker.stderr).toMatch(/aca worker: missing --queue redis:\/\/HOST:PORT/);
    const dashboard = aca('dashboard', '--queue', 'redis://127.0.0.1:1');
    expect(dashboard.status).toBe(2);
    expect(dashboard.stderr).toMatch(/aca dashboard: no Redis at 127\.0\.0\.1:1/);
    const batch = aca('batch', 'runs.jsonl', '--out', 'o.jsonl', '--queue', 'http://h:1');
    expect(batch.status).toBe(2);
    expect(batch.stderr).toMatch(/invalid --queue: "http:\/\/h:1" \(a Redis URL/);
  });
});
