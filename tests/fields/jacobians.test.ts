/**
 * The forward derivatives of every field kind (the optional jvp and jacobian of the field
 * contract, fields/field.ts): the Jacobians against central finite differences of f, and against
 * the Jacobian that fields/derivatives.ts assembles from d VJPs (an independent code path: the
 * reverse-mode derivatives); the JVP against J v + Jp vp.
 */
import { describe, expect, it } from 'vitest';
import { expressionField } from '../../src/fields/expression/compile.ts';
import { nbodyModel } from '../../src/fields/expression/nbody.ts';
import type { ExpressionModel } from '../../src/fields/expression/parse.ts';
import { fieldDerivatives } from '../../src/fields/derivatives.ts';
import type { Field } from '../../src/fields/field.ts';
import { hybridField } from '../../src/fields/hybrid.ts';
import { mlpField } from '../../src/fields/mlp.ts';
import { nbodyField } from '../../src/fields/nbody.ts';
import { createRng } from '../../src/util/random.ts';

function relativeError(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return diff / Math.max(scale, 1e-300);
}

/** [df/dy | df/dp] by central differences of f, as two row-major arrays. */
function finiteDifferenceJacobian(field: Field, t: number, y: Float64Array, p: Float64Array) {
  const d = field.dim;
  const P = field.nParams;
  const Jy = new Float64Array(d * d);
  const Jp = new Float64Array(d * P);
  const plus = new Float64Array(d);
  const minus = new Float64Array(d);
  const column = (x: Float64Array, j: number, out: Float64Array, width: number) => {
    const h = 1e-5 * Math.max(1, Math.abs(x[j]));
    const x0 = x[j];
    x[j] = x0 + h;
    field.f(t, y, p, plus);
    x[j] = x0 - h;
    field.f(t, y, p, minus);
    x[j] = x0;
    for (let i = 0; i < d; i++) out[i * width + j] = (plus[i] - minus[i]) / (2 * h);
  };
  for (let j = 0; j < d; j++) column(y, j, Jy, d);
  for (let q = 0; q < P; q++) column(p, q, Jp, P);
  return { Jy, Jp };
}

/** The same field with only f and vjp: fieldDerivatives then assembles its Jacobian from d VJPs. */
function vjpOnly(field: Field): Field {
  return { dim: field.dim, nParams: field.nParams, f: field.f.bind(field), vjp: field.vjp!.bind(field) };
}

function check(field: Field, t: number, y: Float64Array, p: Float64Array, seed: number) {
  expect(field.jacobian).toBeDefined();
  expect(field.jvp).toBeDefined();
  const d = field.dim;
  const P = field.nParams;
  const Jy = new Float64Array(d * d).fill(Number.NaN);
  const Jp = new Float64Array(d * P).fill(Number.NaN);
  field.jacobian!(t, y, p, Jy, Jp);
  const JyOnly = new Float64Array(d * d).fill(Number.NaN);
  field.jacobian!(t, y, p, JyOnly, null);
  expect(relativeError(JyOnly, Jy)).toBe(0);

  const fd = finiteDifferenceJacobian(field, t, y, p);
  expect(relativeError(Jy, fd.Jy)).toBeLessThan(1e-7);
  if (P > 0) expect(relativeError(Jp, fd.Jp)).toBeLessThan(1e-7);

  const assembled = fieldDerivatives(vjpOnly(field));
  expect(assembled.ownJacobian).toBe(false);
  const Ay = new Float64Array(d * d);
  const Ap = new Float64Array(d * P);
  assembled.jacobian(t, y, p, Ay, Ap);
  expect(relativeError(Jy, Ay)).toBeLessThan(1e-13);
  if (P > 0) expect(relativeError(Jp, Ap)).toBeLessThan(1e-13);

  const rng = createRng(seed);
  const v = Float64Array.from({ length: d }, () => rng.normal(0, 1));
  const vp = Float64Array.from({ length: P }, () => rng.normal(0, 1));
  const expected = new Float64Array(d);
  const expectedY = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += Ay[i * d + j] * v[j];
    expectedY[i] = s;
    for (let q = 0; q < P; q++) s += Ap[i * P + q] * vp[q];
    expected[i] = s;
  }
  const out = new Float64Array(d).fill(Number.NaN);
  field.jvp!(t, y, p, v, vp, out);
  expect(relativeError(out, expected)).toBeLessThan(1e-13);
  field.jvp!(t, y, p, v, null, out);
  expect(relativeError(out, expectedY)).toBeLessThan(1e-13);
  // fieldDerivatives hands out the field's own.
  const own = fieldDerivatives(field);
  expect(own.ownJacobian && own.ownJvp).toBe(true);
}

function normal(n: number, seed: number, sd = 1, mean = 0): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: n }, () => rng.normal(mean, sd));
}

const kitchenSink: ExpressionModel = {
  states: ['u', 'v', 'w'],
  params: ['alpha', 'beta'],
  constants: { k: 0.7 },
  definitions: { s: 'alpha * u + beta * v', q: 's^2 / (1 + s^2)', r: 'sqrt(q + w^2) * exp(-k * t)' },
  equations: {
    u: 'sin(u) * cos(v) + tan(w / 3) + atan(w) + q * r - pi * e',
    v: 'sinh(u / 2) - cosh(v / 3) + tanh(w) + asinh(u) + t * alpha + log(1 + v^2)',
    w: 'exp(-u^2) + cbrt(v) + pow(2 + v^2, 1.5) + (2 + u^2)^(v / 3) - beta^3 / (1 + u^2)^(3/2) + r',
  },
};

const robertson: ExpressionModel = {
  states: ['y1', 'y2', 'y3'],
  params: ['k1', 'k2', 'k3'],
  equations: { y1: '-k1*y1 + k3*y2*y3', y2: 'k1*y1 - k2*y2^2 - k3*y2*y3', y3: 'k2*y2^2' },
};

describe('field Jacobians and JVPs', () => {
  it('equation model with definitions, functions and t', () => {
    check(expressionField(kitchenSink), 0.4, Float64Array.of(0.3, 0.8, -0.5), Float64Array.of(0.9, -1.3), 1);
  });

  it('Robertson kinetics (a model without definitions; a state-only parameter row)', () => {
    check(expressionField(robertson), 0, Float64Array.of(0.9, 2e-5, 0.1), Float64Array.of(0.04, 3e7, 1e4), 2);
  });

  it('three-body equation model and the hand-written N-body field agree with each other', () => {
    const y = normal(18, 3, 1);
    const p = Float64Array.of(1, 0.8, 1.2);
    const model = expressionField(nbodyModel({ bodies: 3 }));
    const hand = nbodyField({ bodies: 3 });
    check(model, 0, y, p, 4);
    check(hand, 0, y, p, 5);
    const a = new Float64Array(18 * 18);
    const b = new Float64Array(18 * 18);
    model.jacobian(0, y, p, a, null);
    hand.jacobian!(0, y, p, b, null);
    expect(relativeError(a, b)).toBeLessThan(1e-13);
  });

  it('N-body in 2-D with G and velocityScale', () => {
    check(nbodyField({ bodies: 4, dims: 2, G: 2.5, velocityScale: 0.7 }), 0, normal(16, 6), Float64Array.of(1, 2, 0.5, 1.5), 7);
  });

  it('MLP fields: tanh, softplus with the cube transform, and a time input', () => {
    const a = mlpField({ sizes: [3, 8, 8, 3], activation: 'tanh', seed: 1 });
    check(a, 0, normal(3, 8), a.initParams(), 9);
    const b = mlpField({ sizes: [2, 6, 2], activation: 'softplus', inputTransform: 'cube', seed: 2 });
    check(b, 0, normal(2, 10), normal(b.nParams, 11, 0.5), 12);
    const c = mlpField({ sizes: [3, 5, 2], activation: 'tanh', timeInput: true, seed: 3 });
    check(c, 0.7, normal(2, 13), c.initParams(), 14);
  });

  it('hybrid field: a network inside an equation model', () => {
    const field = hybridField({
      model: { states: ['x', 'y'], params: ['a', 'c', 'd'], equations: { x: 'a*x - nn(x, y)[1] * x', y: '-c*y + d*x*y + nn(x, y)[2]' } },
      network: { sizes: [2, 6, 2], activation: 'tanh', seed: 4 },
    });
    const p = field.initParams([1.1, 0.4, 0.3]);
    check(field, 0, Float64Array.of(0.7, -0.4), p, 15);
  });
});
