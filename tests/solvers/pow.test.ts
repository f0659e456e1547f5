/**
 * controllerPow (src/solvers/pow.ts) against Math.pow: the accuracy its header states, and the
 * special cases the controller can meet (err = 0, err = Infinity, subnormal err, NaN).
 */
import { describe, expect, it } from 'vitest';
import { controllerPow } from '../../src/solvers/pow.ts';
import { createRng } from '../../src/util/random.ts';

describe('controllerPow', () => {
  it('is within 2e-15 of Math.pow for err^(-1/5), err^(-0.14), errPrev^0.08 on [1e-12, 1e12]', () => {
    const rng = createRng(19);
    const rand = () => rng.next();
    let worst = 0;
    for (let i = 0; i < 20000; i++) {
      const x = Math.pow(10, -12 + 24 * rand());
      for (const y of [-0.2, -0.14, 0.08, -1 / 3, 0.25, -1 / 9]) {
        worst = Math.max(worst, Math.abs(controllerPow(x, y) / Math.pow(x, y) - 1));
      }
    }
    expect(worst).toBeLessThan(2e-15);
    expect(worst).toBeGreaterThan(0); // not Math.pow in disguise
  });

  it('is within 3e-14 over [1e-300, 1e300] and subnormals', () => {
    const rng = createRng(7);
    const rand = () => rng.next();
    let worst = 0;
    for (let i = 0; i < 20000; i++) {
      const x = Math.pow(10, -300 + 600 * rand());
      worst = Math.max(worst, Math.abs(controllerPow(x, -0.2) / Math.pow(x, -0.2) - 1));
    }
    for (const x of [5e-324, 1e-310, 2.2e-308]) worst = Math.max(worst, Math.abs(controllerPow(x, -0.2) / Math.pow(x, -0.2) - 1));
    expect(worst).toBeLessThan(3e-14);
  });

  it('exact where Math.pow is exact: 1^y, 2^k y, and the special values', () => {
    expect(controllerPow(1, -0.2)).toBe(1);
    expect(controllerPow(32, 0.2)).toBe(2);
    expect(controllerPow(0, -0.2)).toBe(Infinity);
    expect(controllerPow(0, 0.2)).toBe(0);
    expect(controllerPow(Infinity, -0.2)).toBe(0);
    expect(controllerPow(Infinity, 0.2)).toBe(Infinity);
    expect(controllerPow(NaN, -0.2)).toBeNaN();
    expect(controllerPow(-1, 0.5)).toBeNaN();
  });
});
