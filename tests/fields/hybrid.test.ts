import { describe, expect, it } from 'vitest';
import { hybridField, type HybridField, type HybridOptions } from '../../src/fields/hybrid.ts';
import { createMlp } from '../../src/fields/mlp.ts';
import { buildField } from '../../src/fields/registry.ts';
import { ModelError } from '../../src/fields/expression/errors.ts';
import { createRng } from '../../src/util/random.ts';

const FD_STEP = 1e-5;
const RTOL = 1e-6;

function randomVector(n: number, seed: number, sd = 1): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: n }, () => rng.normal(0, sd));
}

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

/** Each component within RTOL of the reference, with a floor of 1e-3 of the largest entry. */
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

/** L = a . f(t, y, p): its gradients by the field's vjp against central differences. */
function checkVjp(field: HybridField, t: number, y: Float64Array, p: Float64Array, seed: number): void {
  const a = randomVector(field.dim, seed);
  const out = new Float64Array(field.dim);
  const loss = (yy: Float64Array, pp: Float64Array) => {
    field.f(t, yy, pp, out);
    let s = 0;
    for (let i = 0; i < field.dim; i++) s += a[i] * out[i];
    return s;
  };
  const outY = new Float64Array(field.dim).fill(NaN); // overwritten
  const outP = new Float64Array(field.nParams).fill(0.25); // added to
  field.vjp(t, y, p, a, outY, outP);
  for (let j = 0; j < outP.length; j++) outP[j] -= 0.25;
  expectClose(outY, centralGradient(y, (yy) => loss(yy, p)));
  expectClose(outP, centralGradient(p, (pp) => loss(y, pp)));
}

const LV_HYBRID: HybridOptions = {
  model: {
    states: ['x', 'y'],
    params: ['a', 'c', 'd'],
    equations: { x: 'a*x - nn(x, y)[1]', y: '-c*y + d*x*y' },
  },
  network: { sizes: [2, 8, 1], activation: 'tanh', seed: 4 },
};

describe('hybridField', () => {
  it('evaluates the equations with the network term in place (against createMlp directly)', () => {
    const field = hybridField(LV_HYBRID);
    const p = field.initParams([1.5, 3, 1]);
    const mlp = createMlp(LV_HYBRID.network);
    const y = Float64Array.from([1.3, 0.6]);
    const out = new Float64Array(2);
    field.f(0, y, p, out);
    const nn = new Float64Array(1);
    mlp.forward(y, p.subarray(3), nn);
    expect(out[0]).toBeCloseTo(1.5 * 1.3 - nn[0], 14);
    expect(out[1]).toBeCloseTo(-3 * 0.6 + 1.3 * 0.6, 14);
    expect(field.nParams).toBe(3 + mlp.nParams);
    expect(field.networkOffset).toBe(3);
    expect(field.paramNames.slice(0, 4)).toEqual(['a', 'c', 'd', 'nn.W1[0,0]']);
    expect(field.stateNames).toEqual(['x', 'y']);
  });

  it('has a VJP that matches finite differences (Lotka-Volterra with a learned term)', () => {
    const field = hybridField(LV_HYBRID);
    const p = field.initParams([1.5, 3, 1]);
    for (let s = 0; s < 3; s++) checkVjp(field, 0.3, randomVector(2, 10 + s), p, 20 + s);
  });

  it('has a VJP that matches finite differences: two outputs, permuted inputs, t, definitions, cube', () => {
    const field = hybridField({
      model: {
        states: ['u', 'v', 'w'],
        params: ['k', 'g'],
        constants: { two: 2 },
        definitions: { r: 'u*nn(w, t, u)[2] + v' },
        equations: { u: '-k*u + nn(w, t, u)[1]*v', v: 'g*sin(r) - nn(w,t,u)[2]^2', w: 'two*u - w' },
      },
      network: { sizes: [3, 6, 5, 2], activation: 'softplus', inputTransform: 'cube', transformedInputs: 1, seed: 9 },
    });
    expect(field.networkInputs).toEqual(['w', 't', 'u']);
    const p = field.initParams([0.7, -1.1], 2);
    for (let s = 0; s < 3; s++) checkVjp(field, 0.4 + s, randomVector(3, 30 + s, 0.8), p, 40 + s);
  });

  it('allows nn(x) without an index when the network has one output', () => {
    const field = hybridField({
      model: { states: ['x'], params: [], equations: { x: '-nn(x)' } },
      network: { sizes: [1, 3, 1] },
    });
    const p = field.initParams();
    checkVjp(field, 0, Float64Array.from([0.9]), p, 1);
  });

  it('rebuilds from its spec (buildField) with the same values', () => {
    const field = hybridField(LV_HYBRID);
    const again = buildField(JSON.parse(JSON.stringify(field.spec)));
    const p = field.initParams([1.5, 3, 1]);
    const y = Float64Array.from([0.4, 2.2]);
    const o1 = new Float64Array(2);
    const o2 = new Float64Array(2);
    field.f(1, y, p, o1);
    again.f(1, y, p, o2);
    expect(Array.from(o2)).toEqual(Array.from(o1));
    expect(again.nParams).toBe(field.nParams);
  });

  describe('bad nn() usage is refused with a message that names the equation', () => {
    const base = LV_HYBRID.model;
    const cases: [string, HybridOptions, RegExp][] = [
      [
        'an argument that is not a state',
        { model: { ...base, equations: { ...base.equations, x: 'a*x - nn(x, z)[1]' } }, network: LV_HYBRID.network },
        /equations\.x: nn\(x, z\): 'z' is not a state/,
      ],
      [
        'different argument lists',
        {
          model: { ...base, equations: { x: 'a*x - nn(x, y)[1]', y: '-c*y + nn(y, x)[1]' } },
          network: LV_HYBRID.network,
        },
        /equations\.y: nn\(y, x\) differs from nn\(x, y\) in equations\.x/,
      ],
      [
        'an index out of range',
        { model: { ...base, equations: { ...base.equations, x: 'a*x - nn(x, y)[2]' } }, network: LV_HYBRID.network },
        /output index must be an integer from 1 to 1/,
      ],
      [
        'index 0',
        { model: { ...base, equations: { ...base.equations, x: 'a*x - nn(x, y)[0]' } }, network: { ...LV_HYBRID.network, sizes: [2, 4, 2] } },
        /from 1 to 2/,
      ],
      [
        'a missing index with several outputs',
        { model: { ...base, equations: { ...base.equations, x: 'a*x - nn(x, y)' } }, network: { ...LV_HYBRID.network, sizes: [2, 4, 2] } },
        /needs an output index: the network has 2 outputs/,
      ],
      [
        'an argument count unlike the network',
        { model: { ...base, equations: { ...base.equations, x: 'a*x - nn(x)[1]' } }, network: LV_HYBRID.network },
        /nn\(x\) has 1 argument\(s\) but the network takes 2 input\(s\)/,
      ],
      [
        'an expression as argument',
        { model: { ...base, equations: { ...base.equations, x: 'a*x - nn(x*y, y)[1]' } }, network: LV_HYBRID.network },
        /'x\*y' is not a name/,
      ],
      [
        'nn not called',
        { model: { ...base, equations: { ...base.equations, x: 'a*x - nn' } }, network: LV_HYBRID.network },
        /'nn' must be called as nn\(inputs\)\[k\]/,
      ],
      [
        'no nn at all',
        { model: { ...base, equations: { x: 'a*x', y: '-c*y + d*x*y' } }, network: LV_HYBRID.network },
        /must use the network/,
      ],
      [
        'a model name nn',
        { model: { ...base, params: ['a', 'c', 'nn'] }, network: LV_HYBRID.network },
        /'nn' is reserved/,
      ],
      [
        'bad network sizes',
        { model: base, network: { sizes: [2] } },
        /^network: invalid sizes/,
      ],
    ];
    for (const [what, options, message] of cases) {
      it(what, () => {
        let error: unknown;
        try {
          hybridField(options);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(ModelError);
        expect((error as ModelError).message).toMatch(message);
      });
    }
  });
});
