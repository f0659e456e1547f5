/**
 * Issue 13: a NaN gradient is a failure (exit 1, a message naming the component and t), never
 * `null` in the report; `aca fit` reports it as a gradient failure instead of blaming its input.
 * The model x' = -k abs(x) from x = 0: the compiled VJP's d/dx abs(x) = abs(x)/x is 0/0.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

function absSpec(method: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'aca-nan-'));
  writeFileSync(join(dir, 'data.csv'), 't,x\n0.5,0.1\n1,0.2\n');
  writeFileSync(
    join(dir, 'spec.yaml'),
    `name: abs_decay
model:
  states: [x]
  params: [k]
  equations:
    x: -k*abs(x)
initial: { x: 0 }
params:
  k: { value: 1, bounds: [0.01, 10] }
t0: 0
times: [0.5, 1]
data: ${join(dir, 'data.csv')}
gradient: { method: ${method} }
loss: { weights: { x: 1 } }
optimizer: { method: adam, iterations: 3 }
`,
  );
  return join(dir, 'spec.yaml');
}

describe('a NaN gradient from the model', () => {
  for (const method of ['aca', 'adjoint', 'naive']) {
    it(`aca grad (${method}): exit 1, no report, the component and t named`, async () => {
      const r = await run('grad', absSpec(method));
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stdout).not.toContain('null');
      expect(r.stderr).toMatch(/^aca grad: gradient failure: non-finite .* at t = [-\d.e]+: component 0 is NaN/);
    });
  }

  it('aca fit: a gradient failure, not "invalid params[0]: NaN"', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aca-nan-fit-'));
    const r = await run('fit', absSpec('aca'), '--out', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('aca fit: gradient failure: non-finite');
    expect(r.stderr).not.toContain('invalid params');
  });
});
