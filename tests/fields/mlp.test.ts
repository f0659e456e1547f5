import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, createMlp, mlpField, type Mlp, type MlpOptions } from '../../src/fields/mlp.ts';
import { linearField } from '../../src/fields/classic.ts';
import { buildField } from '../../src/fields/registry.ts';
import type { Field } from '../../src/fields/field.ts';
import { solve } from '../../src/solvers/solve.ts';
import { createRng } from '../../src/util/random.ts';
import { InvalidArgumentError } from '../../src/errors.ts';

const FD_STEP = 1e-5;
const RTOL = 1e-6;

/** Random vector with normal entries of the given spread (a fixed seed: the test is deterministic). */
function randomVector(n: number, seed: number, sd = 1): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: n }, () => rng.normal(0, sd));
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Central differences of the scalar g(v) at v, one component at a time. */
function centralGradient(v: Float64Array, g: (v: Float64Array) => number): Float64Array {
  const out = new Float64Array(v.length);
  const w = Float64Array.from(v);
  for (let k = 0; k < v.length; k++) {
    const h = FD_STEP * Math.max(1, Math.abs(v[k]));
    w[k] = v[k] + h;
    const up = g(w);
    w[k] = v[k] - h;
    const down = g(w);
    w[k] = v[k];
    out[k] = (up - down) / (2 * h);
  }
  return out;
}

/**
 * Every component within RTOL of the finite difference, relative to its own size, with a floor
 * of 1e-3 of the vector's largest entry (where FD's absolute round-off would dominate).
 */
function expectClose(actual: Float64Array, reference: Float64Array): void {
  expect(actual.length).toBe(reference.length);
  let scale = 0;
  for (const v of reference) scale = Math.max(scale, Math.abs(v));
  expect(scale).toBeGreaterThan(0);
  for (let k = 0; k < reference.length; k++) {
    const tol = RTOL * Math.max(Math.abs(reference[k]), 1e-3 * scale);
    if (!(Math.abs(actual[k] - reference[k]) <= tol)) {
      throw new Error(`component ${k}: ${actual[k]} vs finite difference ${reference[k]} (tolerance ${tol})`);
    }
  }
}

/** L = gOut . nn(x; p): its gradients by the network's vjp and by central differences. */
function checkMlpVjp(mlp: Mlp, seed: number): void {
  const x = randomVector(mlp.nInputs, seed, 0.8);
  const p = randomVector(mlp.nParams, seed + 1, 0.5);
  const gOut = randomVector(mlp.nOutputs, seed + 2);
  const out = new Float64Array(mlp.nOutputs);
  const loss = (xv: Float64Array, pv: Float64Array) => {
    mlp.forward(xv, pv, out);
    return dot(gOut, out);
  };
  const gIn = new Float64Array(mlp.nInputs);
  const gP = new Float64Array(mlp.nParams);
  mlp.vjp(x, p, gOut, gIn, gP);
  expectClose(gIn, centralGradient(x, (xv) => loss(xv, p)));
  expectClose(gP, centralGradient(p, (pv) => loss(x, pv)));
}

/** The same check through the Field contract: a . f(t, y, p) against field.vjp. */
function checkFieldVjp(field: Field, t: number, seed: number): void {
  const y = randomVector(field.dim, seed, 0.8);
  const p = randomVector(field.nParams, seed + 1, 0.5);
  const a = randomVector(field.dim, seed + 2);
  const out = new Float64Array(field.dim);
  const loss = (yv: Float64Array, pv: Float64Array) => {
    field.f(t, yv, pv, out);
    return dot(a, out);
  };
  const outY = new Float64Array(field.dim);
  const outP = new Float64Array(field.nParams);
  field.vjp!(t, y, p, a, outY, outP);
  expectClose(outY, centralGradient(y, (yv) => loss(yv, p)));
  expectClose(outP, centralGradient(p, (pv) => loss(y, pv)));
}

/** An independent forward pass written from the documented layout, on plain arrays. */
function referenceForward(options: MlpOptions, x: ArrayLike<number>, p: ArrayLike<number>): number[] {
  const act = {
    tanh: Math.tanh,
    softplus: (z: number) => Math.log(1 + Math.exp(z)),
    relu: (z: number) => Math.max(z, 0),
    identity: (z: number) => z,
  }[options.activation ?? 'tanh'];
  const nT = options.transformedInputs ?? options.sizes[0];
  let h = Array.from(x, (v, j) => (options.inputTransform === 'cube' && j < nT ? v ** 3 : v));
  let at = 0;
  const L = options.sizes.length - 1;
  for (let k = 1; k <= L; k++) {
    const rows = options.sizes[k], cols = options.sizes[k - 1];
    const W = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => p[at + i * cols + j]));
    at += rows * cols;
    const b = Array.from({ length: rows }, (_, i) => p[at + i]);
    at += rows;
    const z = W.map((row, i) => row.reduce((s, w, j) => s + w * h[j], b[i]));
    h = k < L ? z.map(act) : z;
  }
  expect(at).toBe(p.length);
  return h;
}

describe('createMlp: forward', () => {
  it('matches an independent forward pass built from the documented parameter layout', () => {
    for (const activation of ACTIVATIONS) {
      for (const inputTransform of ['identity', 'cube'] as const) {
        const options = { sizes: [3, 5, 4, 2], activation, inputTransform };
        const mlp = createMlp(options);
        expect(mlp.nParams).toBe(3 * 5 + 5 + 5 * 4 + 4 + 4 * 2 + 2);
        const x = randomVector(3, 11, 0.8);
        const p = randomVector(mlp.nParams, 12, 0.5);
        const out = new Float64Array(2);
        mlp.forward(x, p, out);
        const ref = referenceForward(options, x, p);
        for (let i = 0; i < 2; i++) expect(out[i]).toBeCloseTo(ref[i], 13);
      }
    }
  });

  it('names parameters after the layout: W1[i,j] then b1[i], layer by layer', () => {
    const mlp = createMlp({ sizes: [2, 3, 1] });
    expect(mlp.paramNames.length).toBe(mlp.nParams);
    expect(mlp.paramNames.slice(0, 7)).toEqual(['W1[0,0]', 'W1[0,1]', 'W1[1,0]', 'W1[1,1]', 'W1[2,0]', 'W1[2,1]', 'b1[0]']);
    expect(mlp.paramNames.slice(9)).toEqual(['W2[0,0]', 'W2[0,1]', 'W2[0,2]', 'b2[0]']);
    expect(mlp.layers).toEqual([
      { weights: 0, biases: 6, rows: 3, cols: 2 },
      { weights: 9, biases: 12, rows: 1, cols: 3 },
    ]);
  });

  it('reads its parameters at pOffset inside a larger vector (hybrid models)', () => {
    const mlp = createMlp({ sizes: [2, 4, 3], activation: 'softplus' });
    const x = randomVector(2, 21);
    const p = randomVector(mlp.nParams, 22);
    const gOut = randomVector(3, 23);
    const out = new Float64Array(3);
    mlp.forward(x, p, out);
    const gIn = new Float64Array(2);
    const gP = new Float64Array(mlp.nParams);
    mlp.vjp(x, p, gOut, gIn, gP);

    const offset = 3;
    const big = new Float64Array(offset + mlp.nParams + 2).fill(7);
    big.set(p, offset);
    const outBig = new Float64Array(3);
    mlp.forward(x, big, outBig, offset);
    expect(Array.from(outBig)).toEqual(Array.from(out));
    const gInBig = new Float64Array(2);
    const gPBig = new Float64Array(big.length);
    mlp.vjp(x, big, gOut, gInBig, gPBig, offset);
    expect(Array.from(gInBig)).toEqual(Array.from(gIn));
    expect(Array.from(gPBig.subarray(offset, offset + mlp.nParams))).toEqual(Array.from(gP));
    expect([...gPBig.subarray(0, offset), ...gPBig.subarray(offset + mlp.nParams)].every((v) => v === 0)).toBe(true);
  });

  it('a single layer with identity output is the affine map W x + b', () => {
    const mlp = createMlp({ sizes: [2, 2] });
    const p = Float64Array.from([1, 2, 3, 4, 0.5, -0.5]);
    const out = new Float64Array(2);
    mlp.forward(Float64Array.from([1, -1]), p, out);
    expect(Array.from(out)).toEqual([1 - 2 + 0.5, 3 - 4 - 0.5]);
  });
});

describe('createMlp: vjp against central finite differences', () => {
  for (const activation of ACTIVATIONS) {
    it(`${activation}: inputs and parameters, two hidden layers`, () => {
      checkMlpVjp(createMlp({ sizes: [3, 6, 5, 2], activation }), 100);
    });
  }
  it('no hidden layer', () => checkMlpVjp(createMlp({ sizes: [4, 3] }), 200));
  it('inputTransform cube', () => {
    checkMlpVjp(createMlp({ sizes: [2, 7, 2], activation: 'tanh', inputTransform: 'cube' }), 300);
  });
  it('inputTransform cube on the leading inputs only', () => {
    const mlp = createMlp({ sizes: [3, 5, 2], activation: 'softplus', inputTransform: 'cube', transformedInputs: 2 });
    checkMlpVjp(mlp, 400);
    const x = Float64Array.from([0.5, -0.7, 1.3]);
    const p = randomVector(mlp.nParams, 401);
    const out = new Float64Array(2);
    mlp.forward(x, p, out);
    const ref = referenceForward({ sizes: [3, 5, 2], activation: 'softplus', inputTransform: 'cube', transformedInputs: 2 }, x, p);
    expect(out[0]).toBeCloseTo(ref[0], 13);
    expect(out[1]).toBeCloseTo(ref[1], 13);
  });
  it('a wide net (2-50-2 tanh, the benchmark net)', () => checkMlpVjp(createMlp({ sizes: [2, 50, 2] }), 500));
});

describe('createMlp: vjp accumulation contract', () => {
  it('overwrites gIn and adds into gP', () => {
    const mlp = createMlp({ sizes: [2, 5, 2], activation: 'tanh' });
    const x = randomVector(2, 31);
    const p = randomVector(mlp.nParams, 32);
    const gOut = randomVector(2, 33);
    const gIn = new Float64Array(2);
    const gP = new Float64Array(mlp.nParams);
    mlp.vjp(x, p, gOut, gIn, gP);

    const gInDirty = Float64Array.from([1e3, -1e3]);
    const prior = randomVector(mlp.nParams, 34);
    const gPDirty = Float64Array.from(prior);
    mlp.vjp(x, p, gOut, gInDirty, gPDirty);
    expect(Array.from(gInDirty)).toEqual(Array.from(gIn));
    for (let k = 0; k < mlp.nParams; k++) expect(gPDirty[k]).toBeCloseTo(prior[k] + gP[k], 14);

    // Twice in a row adds twice.
    mlp.vjp(x, p, gOut, gInDirty, gPDirty);
    for (let k = 0; k < mlp.nParams; k++) expect(gPDirty[k]).toBeCloseTo(prior[k] + 2 * gP[k], 14);
  });

  it('forward between two vjps does not disturb them (shared workspace is rebuilt per call)', () => {
    const mlp = createMlp({ sizes: [2, 4, 4, 2], activation: 'softplus' });
    const x = randomVector(2, 41), x2 = randomVector(2, 42);
    const p = randomVector(mlp.nParams, 43);
    const gOut = randomVector(2, 44);
    const gIn1 = new Float64Array(2), gP1 = new Float64Array(mlp.nParams);
    mlp.vjp(x, p, gOut, gIn1, gP1);
    mlp.forward(x2, p, new Float64Array(2));
    const gIn2 = new Float64Array(2), gP2 = new Float64Array(mlp.nParams);
    mlp.vjp(x, p, gOut, gIn2, gP2);
    expect(Array.from(gIn2)).toEqual(Array.from(gIn1));
    expect(Array.from(gP2)).toEqual(Array.from(gP1));
  });
});

describe('createMlp: seeded initialisation', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const mlp = createMlp({ sizes: [2, 50, 2], seed: 7 });
    expect(Array.from(mlp.initParams())).toEqual(Array.from(mlp.initParams(7)));
    expect(Array.from(mlp.initParams(3))).toEqual(Array.from(createMlp({ sizes: [2, 50, 2] }).initParams(3)));
    const a = mlp.initParams(1), b = mlp.initParams(2);
    let same = 0;
    for (let k = 0; k < a.length; k++) if (a[k] === b[k] && a[k] !== 0) same++;
    expect(same).toBe(0);
  });

  it('draws Glorot-uniform weights within sqrt(6 / (fan_in + fan_out)) and zero biases', () => {
    const mlp = createMlp({ sizes: [3, 64, 32, 2] });
    const p = mlp.initParams(5);
    for (const layer of mlp.layers) {
      const bound = Math.sqrt(6 / (layer.rows + layer.cols));
      const n = layer.rows * layer.cols;
      const w = p.subarray(layer.weights, layer.weights + n);
      let max = 0, sum = 0, sumSq = 0;
      for (const v of w) {
        max = Math.max(max, Math.abs(v));
        sum += v;
        sumSq += v * v;
      }
      expect(max).toBeLessThanOrEqual(bound);
      // Uniform on [-r, r]: mean 0, variance r^2 / 3; with n >= 64 draws, loose bounds.
      expect(max).toBeGreaterThan(0.8 * bound);
      expect(Math.abs(sum / n)).toBeLessThan((5 * bound) / Math.sqrt(3 * n));
      expect(sumSq / n / (bound * bound / 3)).toBeGreaterThan(0.6);
      expect(sumSq / n / (bound * bound / 3)).toBeLessThan(1.4);
      expect(Array.from(p.subarray(layer.biases, layer.biases + layer.rows)).every((v) => v === 0)).toBe(true);
    }
  });
});

describe('createMlp: validation', () => {
  it('names the option at fault', () => {
    expect(() => createMlp({ sizes: [2] })).toThrow(InvalidArgumentError);
    expect(() => createMlp({ sizes: [2, 0, 2] })).toThrow(/sizes\[1\]/);
    expect(() => createMlp({ sizes: [2, 2], activation: 'sigmoid' as never })).toThrow(/activation.*tanh, softplus, relu, identity/);
    expect(() => createMlp({ sizes: [2, 2], inputTransform: 'square' as never })).toThrow(/inputTransform/);
    expect(() => createMlp({ sizes: [2, 2], seed: 1.5 })).toThrow(/seed/);
    expect(() => createMlp({ sizes: [2, 2], transformedInputs: 3 })).toThrow(/transformedInputs/);
    expect(() => mlpField({ sizes: [2, 8, 3] })).toThrow(/state dimension 2/);
    expect(() => mlpField({ sizes: [1, 8, 1], timeInput: true })).toThrow(/timeInput/);
  });
});

describe('mlpField: the Field contract', () => {
  it('f and vjp against finite differences (tanh)', () => {
    checkFieldVjp(mlpField({ sizes: [2, 16, 2], activation: 'tanh' }), 0.3, 600);
  });
  it('f and vjp against finite differences (cube input, the spiral demo)', () => {
    checkFieldVjp(mlpField({ sizes: [2, 16, 2], activation: 'tanh', inputTransform: 'cube' }), 0.3, 700);
  });
  it('f and vjp against finite differences (time input, cube on the state only)', () => {
    const field = mlpField({ sizes: [3, 8, 8, 2], activation: 'softplus', inputTransform: 'cube', timeInput: true });
    expect(field.dim).toBe(2);
    checkFieldVjp(field, 0.7, 800);
    // t enters uncubed: f(t, y) = nn([y^3, t]).
    const y = Float64Array.from([0.4, -1.1]);
    const p = randomVector(field.nParams, 801);
    const out = new Float64Array(2);
    field.f(1.7, y, p, out);
    const ref = referenceForward({ sizes: [3, 8, 8, 2], activation: 'softplus', inputTransform: 'cube', transformedInputs: 2 }, [0.4, -1.1, 1.7], p);
    expect(out[0]).toBeCloseTo(ref[0], 13);
    expect(out[1]).toBeCloseTo(ref[1], 13);
  });

  it.each([
    ['without', [3, 6, 3], false],
    ['with', [4, 6, 3], true],
  ] as const)('vjp overwrites outY and adds into outP (%s time input)', (_label, sizes, timeInput) => {
    const field = mlpField({ sizes: [...sizes], activation: 'relu', timeInput });
    const y = randomVector(3, 51), p = randomVector(field.nParams, 52), a = randomVector(3, 53);
    const outY = new Float64Array(3), outP = new Float64Array(field.nParams);
    field.vjp!(0, y, p, a, outY, outP);
    const outYDirty = Float64Array.from([5, 5, 5]);
    const prior = randomVector(field.nParams, 54);
    const outPDirty = Float64Array.from(prior);
    field.vjp!(0, y, p, a, outYDirty, outPDirty);
    expect(Array.from(outYDirty)).toEqual(Array.from(outY));
    for (let k = 0; k < field.nParams; k++) expect(outPDirty[k]).toBeCloseTo(prior[k] + outP[k], 14);
  });

  it('rebuilds from its JSON spec through the registry', () => {
    const field = mlpField({ sizes: [3, 10, 2], activation: 'softplus', inputTransform: 'cube', timeInput: true, seed: 9 });
    const spec = JSON.parse(JSON.stringify(field.spec));
    expect(spec).toEqual({ kind: 'mlp', sizes: [3, 10, 2], activation: 'softplus', inputTransform: 'cube', timeInput: true, seed: 9 });
    const rebuilt = buildField(spec);
    expect(rebuilt.dim).toBe(2);
    expect(rebuilt.nParams).toBe(field.nParams);
    expect(rebuilt.paramNames).toEqual(field.paramNames);
    const p = field.initParams();
    const y = Float64Array.from([0.3, -0.2]);
    const o1 = new Float64Array(2), o2 = new Float64Array(2);
    field.f(0.5, y, p, o1);
    rebuilt.f(0.5, y, p, o2);
    expect(Array.from(o2)).toEqual(Array.from(o1));
  });

  it('a one-layer net equals linearField with the same matrix (f and vjp)', () => {
    // W x + b with b = 0 is y' = A y; the parameter vectors differ only by the trailing biases.
    const net = mlpField({ sizes: [3, 3], activation: 'identity' });
    const lin = linearField(3);
    const A = randomVector(9, 61);
    const pNet = new Float64Array(12);
    pNet.set(A);
    const y = randomVector(3, 62), a = randomVector(3, 63);
    const o1 = new Float64Array(3), o2 = new Float64Array(3);
    net.f(0, y, pNet, o1);
    lin.f(0, y, A, o2);
    for (let i = 0; i < 3; i++) expect(o1[i]).toBeCloseTo(o2[i], 14);
    const gy1 = new Float64Array(3), gp1 = new Float64Array(12), gy2 = new Float64Array(3), gp2 = new Float64Array(9);
    net.vjp!(0, y, pNet, a, gy1, gp1);
    lin.vjp!(0, y, A, a, gy2, gp2);
    for (let i = 0; i < 3; i++) expect(gy1[i]).toBeCloseTo(gy2[i], 14);
    for (let k = 0; k < 9; k++) expect(gp1[k]).toBeCloseTo(gp2[k], 14);
    for (let i = 0; i < 3; i++) expect(gp1[9 + i]).toBeCloseTo(a[i], 14);
  });

  it('solves as a neural ODE: a linear net reproduces the damped rotation closed form', () => {
    // y' = [[-k, -w], [w, -k]] y has y(t) = e^{-kt} R(wt) y0.
    const k = 0.1, w = 2;
    const field = mlpField({ sizes: [2, 2], activation: 'identity' });
    const params = [-k, -w, w, -k, 0, 0];
    const times = [0, 0.5, 1, 2, 3];
    const sol = solve(field, [1, 0.5], { times, params, rtol: 1e-10, atol: 1e-12 });
    times.forEach((t, n) => {
      const decay = Math.exp(-k * t), c = Math.cos(w * t), s = Math.sin(w * t);
      expect(sol.y[2 * n]).toBeCloseTo(decay * (c * 1 - s * 0.5), 8);
      expect(sol.y[2 * n + 1]).toBeCloseTo(decay * (s * 1 + c * 0.5), 8);
    });
  });
});
