/**
 * Test faults are for tests only: outside an environment with ACA_TEST_FAULTS=1 (vitest.config.ts
 * sets it for the suite), a `testFault` field in a batch file does nothing, so a stray one cannot
 * end a user's workers.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ACA = fileURLToPath(new URL('../../bin/aca.mjs', import.meta.url));
const RUN = {
  kind: 'solve',
  field: { kind: 'lotka_volterra' },
  solver: { times: [0.5, 1] },
  params: [1.5, 1, 3, 1],
  trajectories: [{ y0: [1, 1] }],
  testFault: { kind: 'exit', attempts: 'always' },
};

function batch(env: NodeJS.ProcessEnv): { status: number | null; lines: { ok: boolean; error?: { code: string } }[] } {
  const dir = mkdtempSync(join(tmpdir(), 'aca-fault-'));
  writeFileSync(join(dir, 'runs.jsonl'), `${JSON.stringify({ id: 'a', ...RUN })}\n`);
  const out = join(dir, 'out.jsonl');
  const r = spawnSync(process.execPath, [ACA, 'batch', join(dir, 'runs.jsonl'), '--out', out, '--workers', '1', '-q'], {
    encoding: 'utf8',
    env,
    timeout: 60_000,
  });
  return { status: r.status, lines: readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) };
}

describe('test faults', () => {
  it('fire with ACA_TEST_FAULTS=1 and are ignored without it', () => {
    const withFaults = batch({ ...process.env, ACA_TEST_FAULTS: '1' });
    expect(withFaults.status).toBe(1);
    expect(withFaults.lines[0]).toMatchObject({ ok: false, error: { code: 'ERR_WORKER_EXITED' } });

    const { ACA_TEST_FAULTS: _unset, ...plain } = process.env;
    const without = batch(plain);
    expect(without.status).toBe(0);
    expect(without.lines[0]).toMatchObject({ ok: true });
  });
});
