import { describe, expect, it } from 'vitest';
import { create, all } from 'mathjs';
import { expressionField, type ExpressionField } from '../../src/fields/expression/compile.ts';
import { nbodyModel } from '../../src/fields/expression/nbody.ts';
import { parseModel, type ExpressionModel } from '../../src/fields/expression/parse.ts';
import { buildGraph } from '../../src/fields/expression/derivative.ts';
import { generateFunction } from '../../src/fields/expression/codegen.ts';
import { nbodyField } from '../../src/fields/nbody.ts';
import { lotkaVolterraField } from '../../src/fields/classic.ts';
import { buildField } from '../../src/fields/registry.ts';
import type { Field } from '../../src/fields/field.ts';
import { createRng, type Rng } from '../../src/util/random.ts';

const math = create(all);

/** max |x - y| / max |y|: a norm-wise relative error, robust to components near zero. */
function relativeError(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return diff / Math.max(scale, 1e-300);
}

function uniform(rng: Rng, n: number, lo: number, hi: number): Float64Array {
  return Float64Array.from({ length: n }, () => rng.uniform(lo, hi));
}

function evalF(field: Field, t: number, y: Float64Array, p: Float64Array): Float64Array {
  const out = new Float64Array(field.dim);
  field.f(t, y, p, out);
  return out;
}

/** outY and outP of the VJP, with outP starting from `outP0` (the VJP adds to it). */
function evalVjp(field: Field, t: number, y: Float64Array, p: Float64Array, a: Float64Array, outP0?: Float64Array) {
  const outY = new Float64Array(field.dim).fill(Number.NaN); // must be overwritten
  const outP = outP0 ? Float64Array.from(outP0) : new Float64Array(field.nParams);
  field.vjp!(t, y, p, a, outY, outP);
  return { outY, outP };
}

/** a^T df/dy and a^T df/dp by central differences of f. */
function finiteDifferenceVjp(field: Field, t: number, y: Float64Array, p: Float64Array, a: Float64Array) {
  const dot = (v: Float64Array) => v.reduce((s, vi, i) => s + a[i] * vi, 0);
  const directional = (x: Float64Array, j: number, evaluate: () => Float64Array) => {
    const h = 1e-5 * Math.max(1, Math.abs(x[j]));
    const x0 = x[j];
    x[j] = x0 + h;
    const plus = dot(evaluate());
    x[j] = x0 - h;
    const minus = dot(evaluate());
    x[j] = x0;
    return (plus - minus) / (2 * h);
  };
  const evaluate = () => evalF(field, t, y, p);
  return {
    outY: Float64Array.from({ length: field.dim }, (_, j) => directional(y, j, evaluate)),
    outP: Float64Array.from({ length: field.nParams }, (_, j) => directional(p, j, evaluate)),
  };
}

/** The model's right-hand side evaluated by mathjs itself: an independent interpreter. */
function mathjsRhs(model: ExpressionModel, t: number, y: Float64Array, p: Float64Array): Float64Array {
  const scope: Record<string, number> = { t, ...model.constants };
  model.states.forEach((name, i) => (scope[name] = y[i]));
  model.params.forEach((name, j) => (scope[name] = p[j]));
  for (const [name, source] of Object.entries(model.definitions ?? {})) scope[name] = math.evaluate(source, scope);
  return Float64Array.from(model.states, (name) => math.evaluate(model.equations[name], scope));
}

const lotkaVolterra: ExpressionModel = {
  states: ['x', 'y'],
  params: ['a', 'b', 'c', 'd'],
  equations: { x: 'a*x - b*x*y', y: '-c*y + d*x*y' },
};

/** Every supported function, definitions in a chain, constants, t, pi and e. */
const kitchenSink: ExpressionModel = {
  states: ['u', 'v', 'w'],
  params: ['alpha', 'beta'],
  constants: { k: 0.7 },
  definitions: {
    s: 'alpha * u + beta * v',
    q: 's^2 / (1 + s^2)',
    r: 'sqrt(q + w^2) * exp(-k * t)',
  },
  equations: {
    u: 'sin(u) * cos(v) + tan(w / 3) + asin(u / 4) + acos(v / 5) + atan(w) + q * r - pi * e',
    v: 'sinh(u / 2) - cosh(v / 3) + tanh(w) + asinh(u) + acosh(2 + v^2) + atanh(w / 4) + t * alpha',
    w:
      'exp(-u^2) + log(1 + v^2) + log10(2 + w^2) + sqrt(1 + u^2) + cbrt(v) + abs(w) + sec(u / 3) ' +
      '+ csc(1 + v^2) + cot(1 + w^2 / 5) + sech(u) + csch(1 + v^2) + coth(1 + w^2) + log(2 + u^2, 3) ' +
      '+ pow(2 + v^2, 1.5) + (2 + u^2)^(v / 3) + 2u - beta^3 / (1 + u^2)^(3/2) + r',
  },
};

describe('expressionField: values and gradients', () => {
  it('Lotka-Volterra matches the hand-written field to round-off', () => {
    const compiled = expressionField(lotkaVolterra);
    const reference = lotkaVolterraField();
    const rng = createRng(1);
    for (let trial = 0; trial < 20; trial++) {
      const y = uniform(rng, 2, 0.1, 3);
      const p = uniform(rng, 4, 0.1, 2);
      const a = uniform(rng, 2, -1, 1);
      expect(relativeError(evalF(compiled, 0, y, p), evalF(reference, 0, y, p))).toBeLessThan(1e-12);
      const got = evalVjp(compiled, 0, y, p, a);
      const want = evalVjp(reference, 0, y, p, a);
      expect(relativeError(got.outY, want.outY)).toBeLessThan(1e-12);
      expect(relativeError(got.outP, want.outP)).toBeLessThan(1e-12);
    }
  });

  it('Lotka-Volterra VJP matches central finite differences', () => {
    const field = expressionField(lotkaVolterra);
    const rng = createRng(2);
    const y = uniform(rng, 2, 0.1, 3);
    const p = uniform(rng, 4, 0.1, 2);
    const a = uniform(rng, 2, -1, 1);
    const got = evalVjp(field, 0, y, p, a);
    const want = finiteDifferenceVjp(field, 0, y, p, a);
    expect(relativeError(got.outY, want.outY)).toBeLessThan(1e-7);
    expect(relativeError(got.outP, want.outP)).toBeLessThan(1e-7);
  });

  it('three-body model matches nbodyField({bodies: 3}) to round-off', () => {
    const compiled = expressionField(nbodyModel({ bodies: 3 }));
    const reference = nbodyField({ bodies: 3 });
    expect(compiled.dim).toBe(18);
    expect(compiled.nParams).toBe(3);
    expect(compiled.stateNames).toEqual(reference.stateNames);
    expect(compiled.paramNames).toEqual(reference.paramNames);
    compareWithReference(compiled, reference, createRng(3));
  });

  it('three-body VJP matches central finite differences', () => {
    const field = expressionField(nbodyModel({ bodies: 3 }));
    const rng = createRng(4);
    for (let trial = 0; trial < 5; trial++) {
      const y = uniform(rng, 18, -1, 1);
      const p = uniform(rng, 3, 0.5, 2);
      const a = uniform(rng, 18, -1, 1);
      const got = evalVjp(field, 0, y, p, a);
      const want = finiteDifferenceVjp(field, 0, y, p, a);
      expect(relativeError(got.outY, want.outY)).toBeLessThan(1e-7);
      expect(relativeError(got.outP, want.outP)).toBeLessThan(1e-7);
    }
  });

  it('built-in N-body model in 2-D (4 bodies, G and velocityScale) matches nbodyField', () => {
    const options = { bodies: 4, dims: 2, G: 2.5, velocityScale: 0.7 } as const;
    const compiled = expressionField(nbodyModel(options));
    const reference = nbodyField(options);
    expect(compiled.dim).toBe(16);
    expect(compiled.stateNames).toEqual(reference.stateNames);
    compareWithReference(compiled, reference, createRng(5));
  });

  it('built-in N-body model in 3-D (5 bodies) matches nbodyField', () => {
    const options = { bodies: 5, dims: 3, G: 0.3 } as const;
    compareWithReference(expressionField(nbodyModel(options)), nbodyField(options), createRng(6));
  });

  it('built-in N-body model with more than 9 bodies keeps pair names distinct', () => {
    const model = nbodyModel({ bodies: 11, dims: 2 });
    expect(model.definitions).toHaveProperty('r1_11');
    expect(model.definitions).toHaveProperty('r10_11');
    expect(Object.keys(model.definitions!).filter((name) => name.startsWith('r'))).toHaveLength(55);
    const field = expressionField(model);
    // Its VJP is long enough to be split into several functions (codegen.ts).
    expect(field.source.vjp).toContain('function chunk1(');
    compareWithReference(field, nbodyField({ bodies: 11, dims: 2 }), createRng(7));
  });

  it('every supported function: f matches mathjs evaluate, the VJP matches finite differences', () => {
    const field = expressionField(kitchenSink);
    const rng = createRng(8);
    for (let trial = 0; trial < 5; trial++) {
      const t = rng.uniform(0, 2);
      const y = Float64Array.of(rng.uniform(-0.8, 0.8), rng.uniform(0.3, 0.8), rng.uniform(0.2, 0.8));
      const p = uniform(rng, 2, -1, 1);
      const a = uniform(rng, 3, -1, 1);
      expect(relativeError(evalF(field, t, y, p), mathjsRhs(kitchenSink, t, y, p))).toBeLessThan(1e-12);
      const got = evalVjp(field, t, y, p, a);
      const want = finiteDifferenceVjp(field, t, y, p, a);
      expect(relativeError(got.outY, want.outY)).toBeLessThan(1e-7);
      expect(relativeError(got.outP, want.outP)).toBeLessThan(1e-7);
    }
  });

  it('time-dependent forcing: f against the formula, VJP against finite differences', () => {
    const model: ExpressionModel = {
      states: ['x', 'v'],
      params: ['k', 'c', 'F', 'omega'],
      equations: { x: 'v', v: '-k*x - c*v + F*cos(omega*t)' },
    };
    const field = expressionField(model);
    const y = Float64Array.of(0.3, -1.2);
    const p = Float64Array.of(2, 0.1, 0.5, 1.7);
    const t = 0.9;
    const out = evalF(field, t, y, p);
    expect(out[0]).toBe(-1.2);
    expect(out[1]).toBeCloseTo(-2 * 0.3 + 0.1 * 1.2 + 0.5 * Math.cos(1.7 * 0.9), 15);
    const a = Float64Array.of(0.4, -0.9);
    const got = evalVjp(field, t, y, p, a);
    const want = finiteDifferenceVjp(field, t, y, p, a);
    expect(relativeError(got.outY, want.outY)).toBeLessThan(1e-7);
    expect(relativeError(got.outP, want.outP)).toBeLessThan(1e-7);
  });

  it('overwrites outY, adds to outP, and leaves unused names at zero', () => {
    const field = expressionField({
      states: ['x', 'idle'],
      params: ['rate', 'unused'],
      definitions: { spare: 'idle * 2' },
      equations: { x: '-rate * x', idle: '0' },
    });
    const y = Float64Array.of(2, 5);
    const p = Float64Array.of(3, 4);
    const a = Float64Array.of(0.5, 7);
    const outY = Float64Array.of(99, 99);
    const outP = Float64Array.of(10, 20);
    field.vjp(0, y, p, a, outY, outP);
    expect([...outY]).toEqual([-1.5, 0]);
    expect([...outP]).toEqual([10 - 1, 20]);
  });

  it('powers: products and square roots instead of Math.pow, with the same values', () => {
    const field = expressionField({
      states: ['x'],
      params: ['n'],
      equations: { x: 'x^2 + x^3 - x^(-2) + x^(-3/2) + x^(3/2) + x^0.5 + x^(5/2) + x^8 + x^(2/3) + x^n' },
    });
    const x = 1.37;
    const n = 0.29;
    const want =
      x ** 2 + x ** 3 - x ** -2 + x ** -1.5 + x ** 1.5 + x ** 0.5 + x ** 2.5 + x ** 8 + Math.cbrt(x) ** 2 + x ** n;
    expect(evalF(field, 0, Float64Array.of(x), Float64Array.of(n))[0]).toBeCloseTo(want, 13);
    // Only the symbolic exponent x^n needs Math.pow (in f, and in the VJP for d/dx and d/dn).
    expect(count(field.source.f, 'Math.pow(')).toBe(1);
    const got = evalVjp(field, 0, Float64Array.of(x), Float64Array.of(n), Float64Array.of(1));
    const fd = finiteDifferenceVjp(field, 0, Float64Array.of(x), Float64Array.of(n), Float64Array.of(1));
    expect(relativeError(got.outY, fd.outY)).toBeLessThan(1e-7);
    expect(relativeError(got.outP, fd.outP)).toBeLessThan(1e-7);
  });
});

describe('expressionField: generated code', () => {
  it('three-body code has no Math.pow and computes each pair distance once', () => {
    const field = expressionField(nbodyModel({ bodies: 3 }));
    for (const source of [field.source.f, field.source.vjp]) {
      expect(source).not.toContain('Math.pow');
      expect(source).not.toContain('**');
      // Three pairs, three square roots: the distance inside d(G/r^3)/dx is the shared r.
      expect(count(source, 'Math.sqrt(')).toBe(3);
      // Each separation x_j - x_i is computed once.
      expect(count(source, 'y3 - y0')).toBe(1);
    }
    // r^3 as a product, 1/r^3 as one division per pair.
    expect(count(field.source.f, ' / ')).toBe(3);
  });

  it('a repeated subexpression becomes one local', () => {
    const field = expressionField({
      states: ['x', 'y'],
      params: [],
      equations: { x: 'sin(x*y) + exp(x*y)', y: 'cos(x*y)^2' },
    });
    expect(count(field.source.f, 'y0 * y1')).toBe(1);
    expect(count(field.source.f, 'Math.cos(')).toBe(1);
  });

  it('code split into many small functions computes bitwise the same values', () => {
    const whole = expressionField(kitchenSink);
    const graph = buildGraph(parseModel(kitchenSink));
    const f = generateFunction<ExpressionField['f']>(
      ['t', 'y', 'p', 'out'],
      graph.f.map((node, i) => ({ target: `out[${i}]`, op: '=' as const, node })),
      graph.definitionNames,
      200,
    );
    const vjp = generateFunction<ExpressionField['vjp']>(
      ['t', 'y', 'p', 'a', 'outY', 'outP'],
      [
        ...graph.vjpY.map((node, j) => ({ target: `outY[${j}]`, op: '=' as const, node })),
        ...graph.vjpP.map((node, j) => ({ target: `outP[${j}]`, op: '+=' as const, node })),
      ],
      graph.definitionNames,
      200,
    );
    expect(f.chunks).toBeGreaterThan(3);
    expect(vjp.chunks).toBeGreaterThan(3);
    const split = { ...whole, f: f.build(), vjp: vjp.build() };
    const y = Float64Array.of(0.3, 0.6, 0.5);
    const p = Float64Array.of(0.7, -0.4);
    const a = Float64Array.of(0.2, -1, 0.9);
    expect(evalF(split, 0.4, y, p)).toEqual(evalF(whole, 0.4, y, p));
    expect(evalVjp(split, 0.4, y, p, a, Float64Array.of(1, 2))).toEqual(evalVjp(whole, 0.4, y, p, a, Float64Array.of(1, 2)));
  });

  it('the spec is JSON and rebuilds the same field through the registry', () => {
    const model = nbodyModel({ bodies: 3, dims: 2 });
    const field = expressionField(model);
    expect(field.spec).toEqual({ kind: 'expression', model });
    const rebuilt = buildField(JSON.parse(JSON.stringify(field.spec)));
    const rng = createRng(9);
    const y = uniform(rng, 12, -1, 1);
    const p = uniform(rng, 3, 0.5, 2);
    const a = uniform(rng, 12, -1, 1);
    expect(evalF(rebuilt, 0, y, p)).toEqual(evalF(field, 0, y, p));
    expect(evalVjp(rebuilt, 0, y, p, a)).toEqual(evalVjp(field, 0, y, p, a));
  });
});

function compareWithReference(compiled: ExpressionField, reference: Field, rng: Rng): void {
  for (let trial = 0; trial < 10; trial++) {
    const y = uniform(rng, compiled.dim, -1, 1);
    const p = uniform(rng, compiled.nParams, 0.5, 2);
    const a = uniform(rng, compiled.dim, -1, 1);
    expect(relativeError(evalF(compiled, 0, y, p), evalF(reference, 0, y, p))).toBeLessThan(1e-12);
    const got = evalVjp(compiled, 0, y, p, a);
    const want = evalVjp(reference, 0, y, p, a);
    expect(relativeError(got.outY, want.outY)).toBeLessThan(1e-12);
    expect(relativeError(got.outP, want.outP)).toBeLessThan(1e-12);
    // The parameter part is added to what outP held.
    const outP0 = uniform(rng, compiled.nParams, -1, 1);
    const accumulated = evalVjp(compiled, 0, y, p, a, outP0);
    expect(accumulated.outP).toEqual(outP0.map((v, j) => v + got.outP[j]));
  }
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}
