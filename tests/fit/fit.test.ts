/**
 * The fit loop: recovering the Lotka-Volterra parameters from the synthetic data, resuming from a
 * checkpoint exactly where an uninterrupted fit would be, and the objective's gradient in fitted
 * coordinates against finite differences.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fileCheckpointStore, fitHash } from '../../src/fit/checkpoint-file.ts';
import { fit, FitInterruptedError, type FitResult } from '../../src/fit/fit.ts';
import { evaluateProblem, initialTheta } from '../../src/fit/objective.ts';
import { loadProblem, type LoadedProblem } from '../../src/spec/load.ts';
import { buildProblem } from '../../src/spec/problem.ts';
import type { Spec } from '../../src/spec/schema.ts';

const TRUE_PARAMS = [1.5, 1, 3, 1];
let lv: LoadedProblem;

beforeAll(async () => {
  lv = await loadProblem('data/lotka_volterra.yaml');
});

/** The LV problem with other optimizer settings. */
function lvWith(optimizer: Spec['optimizer']) {
  const spec = { ...lv.spec, optimizer: { ...lv.spec.optimizer, ...optimizer } } as Spec;
  return { spec, problem: buildProblem(spec, lv.data), hash: fitHash(spec, lv.data) };
}

function tempFile(name: string): string {
  return join(mkdtempSync(join(tmpdir(), 'aca-fit-')), name);
}

describe('Lotka-Volterra fit', () => {
  it('recovers (a, b, c, d) = (1.5, 1, 3, 1) to within 2% from 100 noisy observations', async () => {
    const progress: number[] = [];
    const result = await fit(lv.problem, { onProgress: (p) => progress.push(p.iteration) });
    const values = result.fitted.map((v) => v.value);
    values.forEach((v, j) => expect(Math.abs(v / TRUE_PARAMS[j] - 1)).toBeLessThan(0.02));
    expect(result.reason).not.toBe('iterations');
    expect(result.history.length).toBe(result.iterations + 1);
    expect(result.history[result.history.length - 1]).toBe(result.loss);
    expect(result.loss).toBeLessThan(result.history[0] / 1000);
    expect(progress[0]).toBe(0);
    expect(progress[progress.length - 1]).toBe(result.iterations);
  });
});

describe('resuming from a checkpoint', () => {
  async function interruptedThenResumed(optimizer: Spec['optimizer'], stopAt: number, total: number) {
    const { problem, hash } = lvWith(optimizer);
    const whole = await fit(problem, { iterations: total });
    const file = tempFile('checkpoint.json');
    // Stop after `stopAt` iterations by the abort signal (as Ctrl-C does), then go on.
    const controller = new AbortController();
    const first = fit(problem, {
      iterations: total,
      signal: controller.signal,
      checkpoint: { store: fileCheckpointStore, file, hash, every: 1000 },
      onProgress: (p) => p.iteration >= stopAt && controller.abort(),
    });
    await expect(first).rejects.toBeInstanceOf(FitInterruptedError);
    expect(existsSync(file)).toBe(true);
    const logs: string[] = [];
    const resumed = await fit(problem, { iterations: total, checkpoint: { store: fileCheckpointStore, file, hash }, log: (m) => logs.push(m) });
    return { whole, resumed, logs, file };
  }

  function expectSame(a: FitResult, b: FitResult) {
    expect(Array.from(b.theta)).toEqual(Array.from(a.theta));
    expect(b.history).toEqual(a.history);
    expect(b.loss).toBe(a.loss);
    expect(b.iterations).toBe(a.iterations);
    expect(b.reason).toBe(a.reason);
  }

  it('L-BFGS: the resumed fit ends bit for bit where the uninterrupted one does', async () => {
    const { whole, resumed, logs, file } = await interruptedThenResumed({ method: 'lbfgs' }, 7, 40);
    expect(resumed.resumedFrom).toBe(7);
    expect(logs).toEqual([`resuming from ${file} at iteration 7`]);
    expectSame(whole, resumed);
  });

  it('Levenberg-Marquardt (trust radius and scales in the checkpoint): the same', async () => {
    const { whole, resumed } = await interruptedThenResumed({ method: 'lm' }, 5, 40);
    expect(resumed.resumedFrom).toBe(5);
    expect(whole.converged).toBe(true);
    expectSame(whole, resumed);
  });

  it('Adam with a decaying learning rate: the same', async () => {
    const { whole, resumed } = await interruptedThenResumed({ method: 'adam', lr: 0.05, lrDecay: 0.99 }, 13, 30);
    expect(resumed.resumedFrom).toBe(13);
    expect(whole.reason).toBe('iterations');
    expectSame(whole, resumed);
  });

  it('periodic checkpoints: a shorter run, then a longer one from its last checkpoint', async () => {
    const { problem, hash } = lvWith({ method: 'lbfgs', checkpointEvery: 5 });
    const whole = await fit(problem, { iterations: 20 });
    const file = tempFile('checkpoint.json');
    await fit(problem, { iterations: 12, checkpoint: { store: fileCheckpointStore, file, hash } });
    expect(JSON.parse(readFileSync(file, 'utf8')).iteration).toBe(10);
    const resumed = await fit(problem, { iterations: 20, checkpoint: { store: fileCheckpointStore, file, hash } });
    expect(resumed.resumedFrom).toBe(10);
    expectSame(whole, resumed);
  });

  it('a checkpoint of another problem is not used (auto) or is an error (require)', async () => {
    const { problem, hash } = lvWith({ method: 'lbfgs', checkpointEvery: 2 });
    const file = tempFile('checkpoint.json');
    await fit(problem, { iterations: 2, checkpoint: { store: fileCheckpointStore, file, hash } });
    const other = lvWith({ method: 'lbfgs', checkpointEvery: 2, memory: 3 });
    expect(other.hash).not.toBe(hash);
    const logs: string[] = [];
    const result = await fit(other.problem, { iterations: 1, checkpoint: { store: fileCheckpointStore, file, hash: other.hash }, log: (m) => logs.push(m) });
    expect(result.resumedFrom).toBeUndefined();
    expect(result.ignoredCheckpoint).toBe('written for a different spec or data');
    expect(logs).toEqual([`not resuming from ${file}: written for a different spec or data; starting over`]);
    await fit(problem, { iterations: 2, checkpoint: { store: fileCheckpointStore, file, hash, resume: 'never' } });
    await expect(fit(other.problem, { checkpoint: { store: fileCheckpointStore, file, hash: other.hash, resume: 'require' } })).rejects.toThrow(
      `checkpoint ${file}: written for a different spec or data; delete it or start without --resume`,
    );
    await expect(fit(problem, { checkpoint: { store: fileCheckpointStore, file: file + '.none', hash, resume: 'require' } })).rejects.toThrow(
      `checkpoint ${file}.none: not found (nothing to resume)`,
    );
  });

  it('the hash ignores optimizer.iterations and the data file name, not the data', () => {
    const a = lvWith({ iterations: 5 });
    const b = lvWith({ iterations: 50 });
    expect(a.hash).toBe(b.hash);
    expect(fitHash({ ...a.spec, data: 'elsewhere.csv' }, lv.data)).toBe(a.hash);
    const values = Float64Array.from(lv.data!.values);
    values[0] += 1e-9;
    expect(fitHash(a.spec, { ...lv.data!, values })).not.toBe(a.hash);
  });
});

describe('the objective', () => {
  it('dL/dtheta with a log transform and a fitted initial state matches central differences', async () => {
    const spec = {
      ...lv.spec,
      initial: { x: { value: 1.1, bounds: [0, 5] }, y: 1 },
      params: { a: { value: 1.4, transform: 'log', bounds: [0.01, 10] }, b: 1, c: { value: 2.9 }, d: 1 },
      solver: { method: 'dopri5', rtol: 1e-10, atol: 1e-12 },
    } as Spec;
    const problem = buildProblem(spec, lv.data);
    const theta = initialTheta(problem);
    expect(theta[1]).toBe(Math.log(1.4));
    const { f, g } = evaluateProblem(problem, theta);
    expect(f).toBeGreaterThan(0);
    // ACA's gradient is exact for the steps taken; finite differences move the steps, so compare
    // with a relative tolerance well above the solver's.
    for (let j = 0; j < theta.length; j++) {
      const h = 1e-5;
      const up = Float64Array.from(theta);
      const down = Float64Array.from(theta);
      up[j] += h;
      down[j] -= h;
      const fd = (evaluateProblem(problem, up).f - evaluateProblem(problem, down).f) / (2 * h);
      expect(Math.abs(g[j] - fd)).toBeLessThan(1e-5 * Math.abs(fd) + 1e-6);
    }
  });
});
