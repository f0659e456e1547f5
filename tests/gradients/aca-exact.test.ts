/**
 * ACA is the exact derivative of the discrete forward map with the accepted steps held fixed
 * (docs/design.md, "naive"): central finite differences of that map (tests/helpers/replay.ts) agree
 * with it to a relative 1e-7.
 */
import { describe, expect, it } from 'vitest';
import { gradient } from '../../src/gradients/gradient.ts';
import type { Field } from '../../src/fields/field.ts';
import type { Loss } from '../../src/losses/loss.ts';
import { replay } from '../helpers/replay.ts';
import { figureEight, lotkaVolterra, lvLoss, squaredPositions } from '../helpers/problems.ts';

function fdCheck(
  field: Field,
  method: string,
  y0: number[],
  params: number[],
  times: number[],
  loss: Loss,
  extra: Record<string, unknown>,
): number {
  const r = gradient(field, y0, { times, t0: 0, method, params, loss, ...extra });
  const steps = r.acceptedSteps!;
  const L = (yy: number[], pp: number[]) => {
    const out = replay(field, method, yy, pp, steps, times);
    return loss(out, Float64Array.from(times), new Float64Array(out.length));
  };
  const fd: number[] = [];
  const ad: number[] = [];
  const central = (plus: () => number, minus: () => number, eps: number) => (plus() - minus()) / (2 * eps);
  params.forEach((v, q) => {
    const eps = 1e-6 * Math.max(1, Math.abs(v));
    const pp = [...params];
    const pm = [...params];
    pp[q] += eps;
    pm[q] -= eps;
    fd.push(central(() => L(y0, pp), () => L(y0, pm), eps));
    ad.push(r.dp[q]);
  });
  y0.forEach((v, i) => {
    const eps = 1e-6 * Math.max(1, Math.abs(v));
    const yp = [...y0];
    const ym = [...y0];
    yp[i] += eps;
    ym[i] -= eps;
    fd.push(central(() => L(yp, params), () => L(ym, params), eps));
    ad.push(r.dy0[i]);
  });
  let num = 0;
  let den = 0;
  for (let q = 0; q < fd.length; q++) {
    num += (fd[q] - ad[q]) ** 2;
    den += fd[q] ** 2;
  }
  return Math.sqrt(num / den);
}

describe('ACA equals finite differences of the discrete map', () => {
  const fe = figureEight();
  // Half a period keeps the perturbed-mass orbit away from close encounters, where finite
  // differences lose digits.
  const times = fe.observation_times.filter((t) => t <= 3);
  for (const method of ['dopri5', 'tsit5', 'rk4']) {
    it(`three-body, ${method}`, () => {
      const extra = method === 'rk4' ? { dt: 0.01 } : { rtol: 1e-7, atol: 1e-7 };
      const rel = fdCheck(fe.field, method, fe.y0, fe.benchmark_masses_perturbed, times, squaredPositions, extra);
      expect(rel).toBeLessThan(1e-7);
    });
  }
  const lv = lotkaVolterra();
  for (const method of ['dopri5', 'tsit5', 'rk4']) {
    it(`Lotka-Volterra, ${method}`, () => {
      const extra = method === 'rk4' ? { dt: 0.01 } : { rtol: 1e-7, atol: 1e-9 };
      const rel = fdCheck(lv.field, method, lv.y0, lv.params, lv.times, lvLoss, extra);
      expect(rel).toBeLessThan(1e-7);
    });
  }
  // Every other method of the engine, including the Hermite dense output with its extra stage
  // (rk4, midpoint, euler, heun_euler with off-grid outputs) and DOP853's 13 stages.
  const offGrid = [0.37, 1.1, 2.45, 3.3, 5.05];
  for (const [method, extra] of [
    ['euler', { dt: 0.003 }],
    ['midpoint', { dt: 0.007 }],
    ['rk4', { dt: 0.07 }],
    ['heun_euler', { rtol: 1e-5, atol: 1e-7 }],
    ['bosh3', { rtol: 1e-6, atol: 1e-8 }],
    ['dopri8', { rtol: 1e-9, atol: 1e-11 }],
  ] as const) {
    it(`Lotka-Volterra, ${method}, outputs between steps`, () => {
      const rel = fdCheck(lv.field, method, lv.y0, lv.params, offGrid, lvLoss, extra);
      expect(rel).toBeLessThan(1e-6);
    });
  }

  it('backwards in time (t1 < t0), dopri5', () => {
    const r = gradient(lv.field, lv.y0, { t0: 0, times: [-0.4, -1.3, -2], params: lv.params, loss: lvLoss, rtol: 1e-8, atol: 1e-10 });
    const L = (yy: number[], pp: number[]) => {
      const out = replay(lv.field, 'dopri5', yy, pp, r.acceptedSteps!, [-0.4, -1.3, -2]);
      return lvLoss(out, new Float64Array(3), new Float64Array(out.length));
    };
    const eps = 1e-6;
    const fd = (L(lv.y0, [lv.params[0] + eps, ...lv.params.slice(1)]) - L(lv.y0, [lv.params[0] - eps, ...lv.params.slice(1)])) / (2 * eps);
    expect(r.acceptedSteps!.h[0]).toBeLessThan(0);
    expect(Math.abs(fd - r.dp[0]) / Math.abs(fd)).toBeLessThan(1e-7);
  });
});
