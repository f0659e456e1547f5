/**
 * Adam and L-BFGS against known minima: a quadratic (minimum A^-1 b), the Rosenbrock function
 * (minimum (1, 1)), and a box-bounded quadratic (minimum at the projection of the unbounded one,
 * since the quadratic is separable).
 */
import { describe, expect, it } from 'vitest';
import { Adam } from '../../src/fit/adam.ts';
import { LBFGS, type ObjectiveValue } from '../../src/fit/lbfgs.ts';

function rosenbrock(x: Float64Array): ObjectiveValue {
  const [a, b] = x;
  const f = (1 - a) ** 2 + 100 * (b - a * a) ** 2;
  return { f, g: Float64Array.of(-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)) };
}

/** f = 1/2 x'Ax - b'x with A = [[4, 1], [1, 3]], b = (1, 2): minimum A^-1 b = (1/11, 7/11). */
function quadratic(x: Float64Array): ObjectiveValue {
  const [u, v] = x;
  const g = Float64Array.of(4 * u + v - 1, u + 3 * v - 2);
  return { f: 0.5 * (4 * u * u + 2 * u * v + 3 * v * v) - u - 2 * v, g };
}

async function minimise(lbfgs: LBFGS, x: Float64Array, objective: (x: Float64Array) => ObjectiveValue, iterations: number) {
  let { f, g } = objective(x);
  let evaluations = 1;
  for (let k = 0; k < iterations; k++) {
    if (Math.max(...Array.from(g, Math.abs)) < 1e-10) break;
    const step = await lbfgs.step(x, f, g, objective);
    evaluations += step.evaluations;
    if (step.status !== 'ok') break;
    ({ f, g } = step);
  }
  return { f, evaluations };
}

describe('Adam', () => {
  it('first step is lr times the sign of the gradient (bias correction)', () => {
    const adam = new Adam({ lr: 0.1 });
    const x = Float64Array.of(1, 1, 1);
    adam.step(x, Float64Array.of(3, -0.002, 0));
    // m/(1-b1) = g, sqrt(v/(1-b2)) = |g|: the step is lr g / (|g| + eps).
    expect(x[0]).toBeCloseTo(0.9, 7);
    expect(x[1]).toBeCloseTo(1.1, 4);
    expect(x[2]).toBe(1);
  });

  it('minimises a quadratic', () => {
    const adam = new Adam({ lr: 0.01 });
    const x = Float64Array.of(2, -1);
    for (let k = 0; k < 5000; k++) adam.step(x, quadratic(x).g);
    expect(x[0]).toBeCloseTo(1 / 11, 5);
    expect(x[1]).toBeCloseTo(7 / 11, 5);
  });

  it('minimises the Rosenbrock function (with a decaying learning rate and betas (0.5, 0.5))', () => {
    const adam = new Adam({ lr: 0.02, beta1: 0.5, beta2: 0.5 });
    const x = Float64Array.of(-1.2, 1);
    for (let k = 0; k < 20000; k++) {
      adam.step(x, rosenbrock(x).g);
      if (k % 1000 === 999) adam.lr *= 0.7;
    }
    expect(x[0]).toBeCloseTo(1, 3);
    expect(x[1]).toBeCloseTo(1, 3);
  });

  it('state() and restore() continue bit for bit', () => {
    const a = new Adam({ lr: 0.05 });
    const x = Float64Array.of(-1.2, 1);
    for (let k = 0; k < 30; k++) a.step(x, rosenbrock(x).g);
    const saved = JSON.parse(JSON.stringify(a.state()));
    const xSaved = Float64Array.from(x);
    for (let k = 0; k < 30; k++) a.step(x, rosenbrock(x).g);
    const b = new Adam();
    b.restore(saved);
    for (let k = 0; k < 30; k++) b.step(xSaved, rosenbrock(xSaved).g);
    expect(Array.from(xSaved)).toEqual(Array.from(x));
  });

  it('rejects bad settings', () => {
    expect(() => new Adam({ beta1: 1 })).toThrow('invalid beta1: 1 (a number in [0, 1))');
    expect(() => new Adam({ lr: -1 })).toThrow('invalid lr: -1 (a finite number > 0)');
  });
});

describe('L-BFGS', () => {
  it('minimises a quadratic exactly in a few iterations', async () => {
    const x = Float64Array.of(2, -1);
    const { f } = await minimise(new LBFGS(), x, quadratic, 20);
    expect(x[0]).toBeCloseTo(1 / 11, 10);
    expect(x[1]).toBeCloseTo(7 / 11, 10);
    expect(f).toBeCloseTo(-0.5 * (1 / 11 + 14 / 11), 12);
  });

  it('minimises the Rosenbrock function from (-1.2, 1)', async () => {
    const x = Float64Array.of(-1.2, 1);
    const { evaluations } = await minimise(new LBFGS({ memory: 5 }), x, rosenbrock, 200);
    expect(x[0]).toBeCloseTo(1, 7);
    expect(x[1]).toBeCloseTo(1, 7);
    expect(evaluations).toBeLessThan(150);
  });

  it('stays in a box: the minimum is the projection of the unbounded one', async () => {
    // f = (u - 3)^2 + 2 (v + 1)^2 on [0, 2] x [0, 5]: minimum at (2, 0).
    const objective = (x: Float64Array): ObjectiveValue => ({
      f: (x[0] - 3) ** 2 + 2 * (x[1] + 1) ** 2,
      g: Float64Array.of(2 * (x[0] - 3), 4 * (x[1] + 1)),
    });
    const x = Float64Array.of(1, 4);
    await minimise(new LBFGS({ lower: [0, 0], upper: [2, 5] }), x, objective, 50);
    expect(Array.from(x)).toEqual([2, 0]);
  });

  it('backtracks from trial points where the objective fails (Infinity)', async () => {
    // log barrier: f = x - log(x) defined for x > 0, minimum at 1; a long step lands at x < 0.
    const objective = (x: Float64Array): ObjectiveValue =>
      x[0] > 0 ? { f: x[0] - Math.log(x[0]), g: Float64Array.of(1 - 1 / x[0]) } : { f: Infinity, g: Float64Array.of(NaN) };
    const x = Float64Array.of(0.05);
    await minimise(new LBFGS({ initialStep: 100 }), x, objective, 100);
    expect(x[0]).toBeCloseTo(1, 8);
  });
});
