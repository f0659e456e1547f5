/**
 * The least-squares fitter (src/fit/least-squares.ts through fit()): the Lotka-Volterra fit
 * against scipy's least_squares on the same data (tests/fit/lv-scipy-reference.json, made by
 * scripts/reference/lv-least-squares.py), the residual Jacobian against ACA's gradient, honest
 * stops on a badly scaled problem, and the identifiability warning.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fit } from '../../src/fit/fit.ts';
import { covariance, LevenbergMarquardt, sumSquares } from '../../src/fit/least-squares.ts';
import { symmetricEigen } from '../../src/fit/linalg.ts';
import { fitSummary } from '../../src/fit/report.ts';
import { evaluateProblem, evaluateResiduals, initialTheta } from '../../src/fit/objective.ts';
import { loadProblem, type LoadedProblem } from '../../src/spec/load.ts';
import { buildProblem } from '../../src/spec/problem.ts';
import type { Spec } from '../../src/spec/schema.ts';

const scipy = JSON.parse(readFileSync(new URL('./lv-scipy-reference.json', import.meta.url), 'utf8')) as {
  params: number[];
  loss: number;
  standardErrors: number[];
  correlation: number[][];
};

let lv: LoadedProblem;
beforeAll(async () => {
  lv = await loadProblem('data/lotka_volterra.yaml');
});

function lvWith(change: Partial<Spec>) {
  return buildProblem({ ...lv.spec, ...change } as Spec, lv.data);
}

/** LV with `a` in units 1000 times too large: a badly scaled problem (the masses in AU). */
function badlyScaled(optimizer: Spec['optimizer']) {
  return lvWith({
    model: { ...lv.spec.model, equations: { x: '1000*a*x - b*x*y', y: '-c*y + d*x*y' } } as Spec['model'],
    params: { ...(lv.spec.params as object), a: { value: 0.0012, bounds: [0.00001, 0.01] } } as Spec['params'],
    optimizer,
  });
}

describe('Levenberg-Marquardt on the Lotka-Volterra data', () => {
  it("is the default, converges, and lands on scipy's optimum, standard errors within 5% and correlations within 0.02", async () => {
    const problem = lvWith({ optimizer: { iterations: 100 } });
    expect(problem.optimizer.method).toBe('lm');
    const result = await fit(problem);
    expect(result.converged).toBe(true);
    expect(['ftol', 'xtol', 'gtol']).toContain(result.reason);
    expect(result.message).toBe('');
    expect(Math.abs(result.loss / scipy.loss - 1)).toBeLessThan(1e-5);
    result.fitted.forEach((v, j) => {
      expect(Math.abs(v.value - scipy.params[j])).toBeLessThan(0.05 * scipy.standardErrors[j]);
      expect(Math.abs(v.standardError / scipy.standardErrors[j] - 1)).toBeLessThan(0.05);
    });
    const n = 4;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) expect(Math.abs(result.uncertainty!.correlation![i * n + j] - scipy.correlation[i][j])).toBeLessThan(0.02);
    }
    expect(result.uncertainty!.dof).toBe(196);
    expect(result.uncertainty!.unidentifiable).toEqual([]);
    expect(result.history.length).toBe(result.iterations + 1);
  });

  it("has residuals whose |r|^2 is the loss and whose 2 J^T r is ACA's gradient (fitted coordinates, log transform too)", () => {
    const problem = lvWith({ params: { ...(lv.spec.params as object), b: { value: 0.8, transform: 'log' } } as Spec['params'] });
    const theta = initialTheta(problem);
    const res = evaluateResiduals(problem, theta);
    const ref = evaluateProblem(problem, theta);
    expect(Math.abs(sumSquares(res.r) / ref.f - 1)).toBeLessThan(1e-12);
    const n = theta.length;
    for (let j = 0; j < n; j++) {
      let g = 0;
      for (let i = 0; i < res.r.length; i++) g += 2 * res.J[i * n + j] * res.r[i];
      expect(Math.abs(g - ref.g[j])).toBeLessThan(1e-9 * Math.max(1, Math.abs(ref.g[j])));
    }
  });
});

describe('residual Jacobian by reverse passes when observations are fewer than fitted values', () => {
  /** LV with 3 observed cells and 6 fitted values (the four rates and both initial states, x in log). */
  function fewObservations() {
    const data = { ...lv.data!, times: Float64Array.from([0, 2.5, 5]), values: Float64Array.from([1, NaN, 1.3, 0.9, NaN, NaN]), lines: [2, 27, 52] };
    const spec = {
      ...lv.spec,
      initial: { x: { value: 1, transform: 'log' }, y: { value: 1 } },
      params: { ...(lv.spec.params as object), b: { value: 0.8, transform: 'log' } },
    } as Spec;
    return buildProblem(spec, data);
  }

  it('chooses reverse (m = 3 < n = 6) and gives the forward sensitivities J to 1e-9 relative, and the same r', () => {
    const problem = fewObservations();
    const theta = initialTheta(problem);
    expect(theta.length).toBe(6);
    const auto = evaluateResiduals(problem, theta);
    const forward = evaluateResiduals(problem, theta, 'forward');
    expect(auto.stats.jacobian).toBe('reverse');
    expect(forward.stats.jacobian).toBe('forward');
    expect(auto.r.length).toBe(3);
    expect(auto.stats.vjpEvals).toBeGreaterThan(0);
    let scale = 0;
    for (const v of forward.J) scale = Math.max(scale, Math.abs(v));
    expect(scale).toBeGreaterThan(0.1);
    for (let q = 0; q < auto.J.length; q++) expect(Math.abs(auto.J[q] - forward.J[q])).toBeLessThan(1e-9 * scale);
    for (let q = 0; q < auto.r.length; q++) expect(Math.abs(auto.r[q] - forward.r[q])).toBeLessThan(1e-12 * Math.max(1, Math.abs(forward.r[q])));
    // 2 J^T r is ACA's gradient of the loss (the driver's one backward pass with the whole loss).
    const ref = evaluateProblem(problem, theta);
    for (let c = 0; c < 6; c++) {
      let g = 0;
      for (let q = 0; q < 3; q++) g += 2 * auto.J[q * 6 + c] * auto.r[q];
      expect(Math.abs(g - ref.g[c])).toBeLessThan(1e-9 * Math.max(1, Math.abs(ref.g[c])));
    }
  });

  it('keeps forward sensitivities when m >= n, and when the gradient method is not ACA', () => {
    const theta = initialTheta(lvWith({}));
    expect(evaluateResiduals(lvWith({}), theta).stats.jacobian).toBe('forward');
    const problem = fewObservations();
    const naive = { ...problem, gradient: { method: 'naive' as const } };
    expect(evaluateResiduals(naive, initialTheta(problem)).stats.jacobian).toBe('forward');
    expect(() => evaluateResiduals(naive, initialTheta(problem), 'reverse')).toThrow(/reverse rows need ACA/);
  });
});

describe('honest stops on a badly scaled problem (a in units 1000 times too large)', () => {
  it('L-BFGS without scaling stops by ftol away from the minimum: NOT converged, with the reason', async () => {
    const result = await fit(badlyScaled({ method: 'lbfgs', scaling: 'none', ftol: 1e-6 }));
    expect(result.reason).toBe('ftol');
    expect(result.converged).toBe(false);
    expect(result.certificate!.gaussNewtonReduction).toBeGreaterThan(0.5);
    expect(result.message).toMatch(/away from a minimum.*Gauss-Newton step would still lower the loss/);
  });

  it('Adam at its iteration limit is not converged', async () => {
    const result = await fit(badlyScaled({ method: 'adam', scaling: 'none', iterations: 50, lr: 1e-4 }));
    expect(result.reason).toBe('iterations');
    expect(result.converged).toBe(false);
    expect(result.message).toMatch(/iteration limit/);
  });

  it('LM and scaled L-BFGS reach the minimum (a = 0.0015) and say so', async () => {
    for (const method of ['lm', 'lbfgs'] as const) {
      const result = await fit(badlyScaled({ method }));
      expect(result.converged).toBe(true);
      expect(Math.abs(result.fitted[0].value / scipy.params[0] / 1e-3 - 1)).toBeLessThan(1e-4);
    }
  });
});

describe('identifiability', () => {
  it('names the values that only enter as a product (x\' = a b x): J^T J is singular along them', async () => {
    const problem = lvWith({
      model: { states: ['x', 'y'], params: ['a', 'b', 'c', 'd'], equations: { x: 'a*b*x - x*y', y: '-c*y + d*x*y' } } as Spec['model'],
      params: { a: { value: 1.2, bounds: [0.01, 10] }, b: { value: 1, bounds: [0.01, 10] }, c: { value: 2.4, bounds: [0.01, 10] }, d: 1 } as Spec['params'],
    });
    const result = await fit(problem);
    expect(result.uncertainty!.unidentifiable).toEqual(['params.a', 'params.b']);
    expect(result.uncertainty!.condition).toBeGreaterThan(1e10);
  });

  it('the covariance equals s^2 (J^T J)^-1 formed directly (a small well-conditioned J)', () => {
    const J = Float64Array.from([1, 2, 0.5, -1, 3, 0.2, 2, 2, 1, 0, 1, 4, -2, 1, 1]); // 5 x 3
    const r = Float64Array.from([0.1, -0.2, 0.05, 0.3, -0.1]);
    const c = covariance({ r, J }, 3);
    const A = new Float64Array(9);
    for (let i = 0; i < 5; i++) for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) A[a * 3 + b] += J[i * 3 + a] * J[i * 3 + b];
    const { values, vectors } = symmetricEigen(A, 3);
    const s2 = sumSquares(r) / 2;
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) {
        let inv = 0;
        for (let k = 0; k < 3; k++) inv += (vectors[a * 3 + k] * vectors[b * 3 + k]) / values[k];
        expect(Math.abs(c.covariance![a * 3 + b] - s2 * inv)).toBeLessThan(1e-12 * Math.max(1, Math.abs(s2 * inv)));
      }
    }
  });

  it('LM refuses a tolerance outside [0, 1)', () => {
    expect(() => new LevenbergMarquardt({ ftol: 2 })).toThrow(/ftol/);
  });
});

describe('the console and the data file', () => {
  it('prints NOT converged with the reason, and each value with its standard error', async () => {
    const bad = fitSummary(await fit(badlyScaled({ method: 'lbfgs', scaling: 'none', ftol: 1e-6 })));
    expect(bad[1]).toMatch(/^NOT converged: stopped by ftol away from a minimum/);
    const good = fitSummary(await fit(lvWith({})));
    expect(good[1]).toMatch(/^converged \((ftol|xtol|gtol)\)$/);
    expect(good[2]).toMatch(/params\.a\s+1\.5000\d+ ± 0\.00193/);
  });

  it("reads a time column named by data.time (a spec) or the time option (--time-column)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aca-time-'));
    const csv = readFileSync('data/lotka_volterra.csv', 'utf8').replace(/^t,x,y$/m, 't_days,x,y');
    writeFileSync(join(dir, 'lv.csv'), csv);
    const yaml = readFileSync('data/lotka_volterra.yaml', 'utf8').replace(/^data: .*$/m, 'data: { file: lv.csv, time: t_days }');
    writeFileSync(join(dir, 'lv.yaml'), yaml);
    const loaded = await loadProblem(join(dir, 'lv.yaml'));
    expect(Array.from(loaded.data!.times)).toEqual(Array.from(lv.data!.times));
    const byOption = await loadProblem('data/lotka_volterra.yaml', { data: join(dir, 'lv.csv'), time: 't_days' });
    expect(Array.from(byOption.data!.values)).toEqual(Array.from(lv.data!.values));
    await expect(loadProblem('data/lotka_volterra.yaml', { data: join(dir, 'lv.csv'), time: 't_day' })).rejects.toThrow(/no time column 't_day'/);
  });
});
