/**
 * The step-size factor and its derivative live side by side (solvers/controller.ts): the naive
 * gradient differentiates through stepFactorWithDerivatives, the integrator steps with
 * stepFactor, so the two must give bitwise the same factor for every controller kind, accepted
 * and rejected, clipped or not; and the derivatives must match central finite differences.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONTROLLER, stepFactor, stepFactorWithDerivatives, type ControllerOptions } from '../../src/solvers/controller.ts';

const kinds: ControllerOptions[] = [
  { ...DEFAULT_CONTROLLER, kind: 'integral' },
  { ...DEFAULT_CONTROLLER, kind: 'pi' },
  { kind: 'pi', safety: 0.8, factorMin: 0.1, factorMax: 5 },
];
const errs = [0, 1e-12, 1e-6, 0.003, 0.2, 0.9, 1, 1.7, 35, 1e6];
const errPrevs = [1e-4, 0.05, 1, 3];

describe('stepFactor and stepFactorWithDerivatives', () => {
  for (const ctl of kinds) {
    for (const accepted of [true, false]) {
      it(`agree bitwise (${ctl.kind}, safety ${ctl.safety}, ${accepted ? 'accepted' : 'rejected'})`, () => {
        for (const q of [2, 4, 7]) {
          for (const err of errs) {
            for (const errPrev of errPrevs) {
              const plain = stepFactor(ctl, q, err, errPrev, accepted);
              const withD = stepFactorWithDerivatives(ctl, q, err, errPrev, accepted);
              expect(Object.is(withD.factor, plain), `q ${q} err ${err} errPrev ${errPrev}`).toBe(true);
            }
          }
        }
      });
    }

    it(`derivatives match central finite differences (${ctl.kind})`, () => {
      let checked = 0;
      for (const err of [0.01, 0.3, 0.95]) {
        for (const errPrev of [0.05, 0.5]) {
          const d = stepFactorWithDerivatives(ctl, 4, err, errPrev, true);
          const eps = 1e-7;
          const fErr = (stepFactor(ctl, 4, err * (1 + eps), errPrev, true) - stepFactor(ctl, 4, err * (1 - eps), errPrev, true)) / (2 * eps * err);
          const fPrev = (stepFactor(ctl, 4, err, errPrev * (1 + eps), true) - stepFactor(ctl, 4, err, errPrev * (1 - eps), true)) / (2 * eps * errPrev);
          // Inside the clip bounds only (outside, both are zero and the FD straddles a kink).
          if (d.factor <= ctl.factorMin || d.factor >= ctl.factorMax) continue;
          expect(Math.abs(d.dErr - fErr)).toBeLessThan(1e-6 * Math.abs(fErr) + 1e-9);
          expect(Math.abs(d.dErrPrev - fPrev)).toBeLessThan(1e-6 * Math.abs(fPrev) + 1e-9);
          if (ctl.kind === 'pi') expect(Math.abs(d.dErrPrev)).toBeGreaterThan(0);
          else expect(d.dErrPrev).toBe(0);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(2);
    });
  }
  it('a NaN error norm (a non-finite trial) shrinks by factorMin with zero derivative', () => {
    expect(stepFactorWithDerivatives(DEFAULT_CONTROLLER, 4, NaN, 1, false)).toEqual({ factor: 0.2, dErr: 0, dErrPrev: 0 });
  });
});
