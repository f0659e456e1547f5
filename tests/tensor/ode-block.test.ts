// The ODE block's gradients on small tensors. ACA must equal tfjs's own gradient through the same
// fixed steps (the accepted steps of the forward solve, replayed under one tape), up to float32
// round-off; naive equals it too when the method has no step-size control to differentiate; the
// continuous adjoint only approximates it, and better as its tolerances tighten.
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/tensor/backends.ts';
import { ConvField, bindField } from '../../src/tensor/conv-field.ts';
import { integrate } from '../../src/tensor/integrate.ts';
import { forwardSpan, odeBlock } from '../../src/tensor/ode-block.ts';
import { resolveBlockOptions, type OdeBlockOptions } from '../../src/tensor/options.ts';
import { rkStep } from '../../src/tensor/rk.ts';
import { emptyStats } from '../../src/tensor/stats.ts';
import { tf, type Tensor } from '../../src/tensor/tf.ts';

beforeAll(async () => {
  await selectBackend({ backend: 'wasm' });
});

const field = new ConvField({ channels: 4, groups: 2 });

function setUp(seed: number): { params: Tensor[]; x: Tensor; target: Tensor } {
  return {
    params: field.initialValues(seed, 1.0),
    x: tf.randomNormal([2, 5, 5, 4], 0, 1, 'float32', seed + 10),
    target: tf.randomNormal([2, 5, 5, 4], 0, 1, 'float32', seed + 20),
  };
}

const loss = (y: Tensor, target: Tensor): Tensor => tf.sum(tf.mul(y, target));

/** dL/d(x, params) by tfjs autodiff through the forward solve's accepted steps, held fixed. */
function fixedStepReference(options: OdeBlockOptions, params: Tensor[], x: Tensor, target: Tensor): { grads: Tensor[]; steps: number } {
  const opts = resolveBlockOptions(options);
  const stats = { accepted: 0, rejected: 0, fEvals: 0 };
  const { final, checkpoints } = integrate(bindField(field, params), [x], forwardSpan(opts), stats, true);
  const steps = checkpoints.map((c) => ({ t: c.t, h: c.h }));
  tf.dispose(final);
  for (const c of checkpoints.slice(1)) tf.dispose(c.state);
  const grads = tf.grads((x0: Tensor, ...p: Tensor[]) => {
    const f = bindField(field, p);
    let y = [x0];
    for (const { t, h } of steps) y = rkStep(opts.method, f, t, y, h, h, f(t, y)).next;
    return loss(y[0], target);
  })([x, ...params]);
  return { grads, steps: steps.length };
}

function blockGrads(options: OdeBlockOptions, params: Tensor[], x: Tensor, target: Tensor): Tensor[] {
  return tf.grads((x0: Tensor, ...p: Tensor[]) => loss(odeBlock(field, p, x0, options), target))([x, ...params]);
}

function relativeErrors(a: Tensor[], b: Tensor[]): number[] {
  return a.map((g, i) => tf.tidy(() => tf.norm(tf.sub(g, b[i])).dataSync()[0] / tf.norm(b[i]).dataSync()[0]));
}

describe('ODE block gradients', () => {
  const solvers: [string, OdeBlockOptions][] = [
    ['heun_euler, rtol = atol = 1e-3 (adaptive)', { method: 'heun_euler', rtol: 1e-3, atol: 1e-3 }],
    ['heun_euler, rtol = atol = 1e-2 (the paper\'s)', { method: 'heun_euler' }],
    ['rk4, dt = 0.25 (fixed)', { method: 'rk4', dt: 0.25 }],
    ['dopri5, rtol = atol = 1e-4 (FSAL)', { method: 'dopri5', rtol: 1e-4, atol: 1e-4 }],
  ];
  for (const [name, options] of solvers) {
    it(`ACA equals tfjs's gradient through the same fixed steps: ${name}`, () => {
      const { params, x, target } = setUp(3);
      const reference = fixedStepReference(options, params, x, target);
      expect(reference.steps).toBeGreaterThan(1);
      const aca = blockGrads({ ...options, gradient: { method: 'aca' } }, params, x, target);
      for (const e of relativeErrors(aca, reference.grads)) expect(e).toBeLessThan(1e-5);
    });
  }

  it('naive equals the fixed-step gradient for a fixed-step method, and differs by the controller\'s derivative for an adaptive one', () => {
    const { params, x, target } = setUp(5);
    const fixed = { method: 'rk4', dt: 0.25 };
    const naiveFixed = blockGrads({ ...fixed, gradient: { method: 'naive' } }, params, x, target);
    for (const e of relativeErrors(naiveFixed, fixedStepReference(fixed, params, x, target).grads)) expect(e).toBeLessThan(1e-5);

    const adaptive = { method: 'heun_euler', rtol: 1e-3, atol: 1e-3 };
    const naive = blockGrads({ ...adaptive, gradient: { method: 'naive' } }, params, x, target);
    const errors = relativeErrors(naive, fixedStepReference(adaptive, params, x, target).grads);
    // Step-size derivative: small against the gradient, but well above round-off.
    expect(Math.max(...errors)).toBeGreaterThan(1e-5);
    expect(Math.max(...errors)).toBeLessThan(5e-2);
  });

  it('the adjoint approximates the gradient, better with tighter backward tolerances (smooth field)', () => {
    // With relu, f is only piecewise smooth and gradients of different discretisations agree to
    // about 1% only; with softplus they converge, which shows the adjoint's own error.
    const smooth = new ConvField({ channels: 4, groups: 2, activation: 'softplus' });
    const params = smooth.initialValues(7, 1.0);
    const x = tf.randomNormal([2, 5, 5, 4], 0, 1, 'float32', 17);
    const target = tf.randomNormal([2, 5, 5, 4], 0, 1, 'float32', 27);
    const grads = (options: OdeBlockOptions): Tensor[] =>
      tf.grads((x0: Tensor, ...p: Tensor[]) => loss(odeBlock(smooth, p, x0, options), target))([x, ...params]);
    const reference = grads({ method: 'rk4', dt: 1 / 32, gradient: { method: 'aca' } });
    const coarse = Math.max(...relativeErrors(grads({ method: 'dopri5', rtol: 1e-2, atol: 1e-2, gradient: { method: 'adjoint' } }), reference));
    const fine = Math.max(...relativeErrors(grads({ method: 'dopri5', rtol: 1e-6, atol: 1e-6, gradient: { method: 'adjoint' } }), reference));
    expect(fine).toBeLessThan(1e-4);
    expect(coarse).toBeGreaterThan(fine);
  });

  it('the three methods share one forward pass, and inference gives the same output untaped', () => {
    const { params, x } = setUp(9);
    const values = (['aca', 'adjoint', 'naive'] as const).map((gradient) => {
      let value: Tensor | null = null;
      const g = tf.grads((x0: Tensor) => {
        value = tf.keep(odeBlock(field, params, x0, { gradient: { method: gradient } }));
        return tf.sum(value);
      })([x]);
      tf.dispose(g);
      const data = (value as unknown as Tensor).dataSync();
      tf.dispose(value as unknown as Tensor);
      return data;
    });
    const inference = odeBlock(field, params, x, {}).dataSync();
    for (const v of values) {
      for (let i = 0; i < v.length; i += 7) expect(v[i]).toBeCloseTo(inference[i], 5);
    }
  });

  it('counts steps and evaluations, and leaves no tensor behind', () => {
    const { params, x, target } = setUp(11);
    for (const gradient of ['aca', 'adjoint', 'naive'] as const) {
      const before = tf.memory().numTensors;
      const stats = emptyStats();
      const grads = tf.grads((x0: Tensor, ...p: Tensor[]) => loss(odeBlock(field, p, x0, { gradient: { method: gradient } }, stats), target))([x, ...params]);
      tf.dispose(grads);
      expect(tf.memory().numTensors).toBe(before);
      expect(stats.forwardAccepted).toBeGreaterThan(0);
      if (gradient === 'aca') expect(stats.vjpEvals).toBe(2 * stats.forwardAccepted);
      if (gradient === 'adjoint') expect(stats.backwardAccepted).toBeGreaterThan(0);
    }
  });

  it('a solve that hits maxSteps throws ERR_MAX_STEPS and frees its states', () => {
    const { params, x, target } = setUp(13);
    // Not naive: its ops are on the caller's tape, whose saved tensors tfjs frees only in a
    // backward pass that a throw never reaches.
    for (const gradient of ['aca', 'adjoint'] as const) {
      const before = tf.memory().numTensors;
      expect(() =>
        tf.tidy(() => tf.grads((x0: Tensor, ...p: Tensor[]) => loss(odeBlock(field, p, x0, { gradient: { method: gradient }, rtol: 1e-6, atol: 1e-6, maxSteps: 3 }), target))([x, ...params])),
      ).toThrow(expect.objectContaining({ code: 'ERR_MAX_STEPS' }));
      expect(tf.memory().numTensors).toBe(before);
    }
    const before = tf.memory().numTensors;
    expect(() => odeBlock(field, params, x, { rtol: 1e-6, atol: 1e-6, maxSteps: 3 })).toThrow(/maximum number of steps \(3\)/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects options it cannot use, naming them', () => {
    const { params, x } = setUp(1);
    expect(() => odeBlock(field, params, x, { method: 'rk4' })).toThrow(/invalid dt: undefined \(a positive step size \(method rk4 has no error estimate\)\)/);
    expect(() => odeBlock(field, params, x, { method: 'rk5' })).toThrow(/invalid method: "rk5"/);
    expect(() => odeBlock(field, params, x, { gradient: { method: 'mali' } as never })).toThrow(/invalid gradient.method: "mali" \(one of aca, adjoint, naive\)/);
    expect(() => odeBlock(field, params, x, { rtol: 0 })).toThrow(/invalid rtol: 0/);
  });
});
