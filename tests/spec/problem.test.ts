/**
 * Valid specs become the problem they describe: the example files, built-in models against the
 * same model as equations, fitted-value mapping, and the loss with observations against finite
 * differences.
 */
import { describe, expect, it } from 'vitest';
import { lotkaVolterraField } from '../../src/fields/classic.ts';
import { parseCsv } from '../../src/io/csv.ts';
import { loadProblem, parseSpec } from '../../src/spec/load.ts';
import { buildProblem, observeSeries } from '../../src/spec/problem.ts';
import { fromFitted, toFitted } from '../../src/spec/values.ts';
import { buildField } from '../../src/fields/registry.ts';

describe('example specs', () => {
  it('data/lotka_volterra.yaml with its data', async () => {
    const { problem, data } = await loadProblem('data/lotka_volterra.yaml');
    expect(problem.stateNames).toEqual(['x', 'y']);
    expect(problem.paramNames).toEqual(['a', 'b', 'c', 'd']);
    expect(problem.free.map((f) => f.path)).toEqual(['params.a', 'params.b', 'params.c', 'params.d']);
    expect(Array.from(problem.params)).toEqual([1.2, 0.8, 2.4, 0.8]);
    expect(data!.times.length).toBe(100);
    expect(problem.series.map((s) => s.name)).toEqual(['x', 'y']);
    expect(problem.times![3]).toBe(0.3);
    // The equation model is the hand-written Lotka-Volterra field.
    const reference = lotkaVolterraField();
    const y = Float64Array.of(1.3, 0.7);
    const p = Float64Array.of(1.5, 1, 3, 1);
    const a = new Float64Array(2);
    const b = new Float64Array(2);
    problem.field.f(0, y, p, a);
    reference.f(0, y, p, b);
    expect(Array.from(a)).toEqual(Array.from(b));
    // ... and it rebuilds from its JSON spec (as a worker would).
    const rebuilt = buildField(JSON.parse(JSON.stringify(problem.field.spec)));
    rebuilt.f(0, y, p, b);
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('data/three_body.yaml: the built-in N-body model, states by name', async () => {
    const { problem } = await loadProblem('data/three_body.yaml');
    expect(problem.field.dim).toBe(18);
    expect(problem.y0[0]).toBe(0.97000436);
    expect(problem.y0[15]).toBe(-0.93240737);
    expect(problem.free).toEqual([]);
    expect(problem.times!.length).toBe(9);
  });

  it('the expression N-body model equals the native one', () => {
    const base = { initial: Array(12).fill(0.5), params: [1, 2], times: [1] };
    const native = buildProblem(parseSpec({ ...base, model: { builtin: 'nbody', bodies: 2, dims: 3 } }));
    const compiled = buildProblem(parseSpec({ ...base, model: { builtin: 'nbody', bodies: 2, dims: 3, implementation: 'expression' } }));
    const y = Float64Array.from({ length: 12 }, (_, i) => Math.sin(i + 1));
    const p = Float64Array.of(1, 2);
    const a = new Float64Array(12);
    const b = new Float64Array(12);
    native.field.f(0, y, p, a);
    compiled.field.f(0, y, p, b);
    for (let i = 0; i < 12; i++) expect(b[i]).toBeCloseTo(a[i], 12);
  });
});

describe('fitted values', () => {
  it('maps initial and params entries, bounds and transforms', () => {
    const problem = buildProblem(
      parseSpec({
        model: { builtin: 'lotka_volterra' },
        initial: { x: { value: 2, bounds: [0, null] }, y: 1 },
        params: { a: { value: 1.5, transform: 'log', bounds: [0.1, 10] }, b: { value: 1, fit: false }, c: 3, d: 1 },
        times: [1],
      }),
    );
    expect(problem.free.map((f) => [f.path, f.target, f.index, f.lower, f.upper, f.transform])).toEqual([
      ['initial.x', 'initial', 0, 0, Infinity, 'none'],
      ['params.a', 'params', 0, 0.1, 10, 'log'],
    ]);
    const a = problem.free[1];
    expect(toFitted(a, 1.5)).toBe(Math.log(1.5));
    expect(fromFitted(a, Math.log(1.5))).toBeCloseTo(1.5, 15);
  });
});

describe('observations', () => {
  it('a column observing x + y: the loss gradient matches finite differences', () => {
    const spec = parseSpec({
      model: { builtin: 'lotka_volterra' },
      initial: { x: 1, y: 1 },
      params: { a: 1.5, b: 1, c: 3, d: 1 },
      observations: { total: 'x + 2*y^2' },
      loss: { weights: { total: 0.5, x: 2 } },
    });
    const data = parseCsv('t,total,x\n1,3,NA\n2,,1.2\n3,2.5,0.9\n', { columns: ['x', 'y', 'total'] });
    const problem = buildProblem(spec, data);
    const outputs = Float64Array.of(1.1, 0.9, 1.3, 0.4, 0.8, 1.2);
    const grad = new Float64Array(6);
    const loss = problem.loss!(outputs, data.times, grad);
    const h = (o: Float64Array) => observeSeries(problem, o, data.times);
    // By hand: rows t=1 (total only), t=2 (x only), t=3 (both).
    const total = (x: number, y: number) => x + 2 * y * y;
    const expected = 0.5 * (total(1.1, 0.9) - 3) ** 2 + 2 * (1.3 - 1.2) ** 2 + 0.5 * (total(0.8, 1.2) - 2.5) ** 2 + 2 * (0.8 - 0.9) ** 2;
    expect(loss).toBeCloseTo(expected, 14);
    expect(h(outputs)[0]).toBeCloseTo(total(1.1, 0.9), 14);
    for (let q = 0; q < 6; q++) {
      const e = 1e-6;
      const up = Float64Array.from(outputs);
      const down = Float64Array.from(outputs);
      up[q] += e;
      down[q] -= e;
      const scratch = new Float64Array(6);
      const fd = (problem.loss!(up, data.times, scratch) - problem.loss!(down, data.times, scratch)) / (2 * e);
      expect(grad[q]).toBeCloseTo(fd, 6);
    }
  });
});
