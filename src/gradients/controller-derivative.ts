/**
 * The step-size factor of solvers/controller.ts with its partial derivatives, for the naive
 * method, which differentiates through the controller. Must mirror stepFactor exactly.
 */
import type { ControllerOptions } from '../solvers/controller.ts';

export interface FactorWithDerivatives {
  factor: number;
  dErr: number;
  dErrPrev: number;
}

export function stepFactorWithDerivatives(
  ctl: ControllerOptions,
  q: number,
  err: number,
  errPrev: number,
  accepted: boolean,
): FactorWithDerivatives {
  if (Number.isNaN(err)) return { factor: ctl.factorMin, dErr: 0, dErrPrev: 0 };
  if (err === 0) return { factor: ctl.factorMax, dErr: 0, dErrPrev: 0 };
  let raw: number;
  let dErr: number;
  let dErrPrev = 0;
  if (ctl.kind === 'pi' && accepted) {
    const b1 = 0.7 / (q + 1);
    const b2 = 0.4 / (q + 1);
    raw = ctl.safety * Math.pow(err, -b1) * Math.pow(errPrev, b2);
    dErr = (-b1 * raw) / err;
    dErrPrev = (b2 * raw) / errPrev;
  } else {
    const b1 = 1 / (q + 1);
    raw = ctl.safety * Math.pow(err, -b1);
    dErr = (-b1 * raw) / err;
  }
  const hi = accepted ? ctl.factorMax : 1;
  if (raw < ctl.factorMin) return { factor: ctl.factorMin, dErr: 0, dErrPrev: 0 };
  if (raw > hi) return { factor: hi, dErr: 0, dErrPrev: 0 };
  return { factor: raw, dErr, dErrPrev };
}
