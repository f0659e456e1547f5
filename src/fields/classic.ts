/**
 * Small hand-written fields with closed forms or classic test roles: Lotka-Volterra, the damped
 * rotation of data/problems/linear_damped_rotation.json, and general linear systems y' = A y
 * with the entries of A as parameters.
 */
import { InvalidArgumentError } from '../errors.ts';
import type { Field } from './field.ts';

/** x' = a x - b x y,  y' = -c y + d x y;  p = (a, b, c, d). */
export function lotkaVolterraField(): Field {
  return {
    dim: 2,
    nParams: 4,
    spec: { kind: 'lotka_volterra' },
    stateNames: ['x', 'y'],
    paramNames: ['a', 'b', 'c', 'd'],
    f(_t, y, p, out) {
      const x = y[0], z = y[1];
      out[0] = p[0] * x - p[1] * x * z;
      out[1] = -p[2] * z + p[3] * x * z;
    },
    vjp(_t, y, p, a, outY, outP) {
      const x = y[0], z = y[1];
      const ax = a[0], az = a[1];
      outY[0] = ax * (p[0] - p[1] * z) + az * p[3] * z;
      outY[1] = -ax * p[1] * x + az * (p[3] * x - p[2]);
      outP[0] += ax * x;
      outP[1] -= ax * x * z;
      outP[2] -= az * z;
      outP[3] += az * x * z;
    },
  };
}

/** y' = [[-k, -w], [w, -k]] y;  p = (k, w). */
export function dampedRotationField(): Field {
  return {
    dim: 2,
    nParams: 2,
    spec: { kind: 'damped_rotation' },
    stateNames: ['y1', 'y2'],
    paramNames: ['k', 'w'],
    f(_t, y, p, out) {
      const k = p[0], w = p[1];
      out[0] = -k * y[0] - w * y[1];
      out[1] = w * y[0] - k * y[1];
    },
    vjp(_t, y, p, a, outY, outP) {
      const k = p[0], w = p[1];
      outY[0] = -k * a[0] + w * a[1];
      outY[1] = -w * a[0] - k * a[1];
      outP[0] -= a[0] * y[0] + a[1] * y[1];
      outP[1] += -a[0] * y[1] + a[1] * y[0];
    },
  };
}

/** y' = A y with A (d x d, row-major) as the parameters. */
export function linearField(dim: number): Field {
  if (!Number.isInteger(dim) || dim < 1) throw new InvalidArgumentError('dim', dim, 'a positive integer');
  return {
    dim,
    nParams: dim * dim,
    spec: { kind: 'linear', dim },
    stateNames: Array.from({ length: dim }, (_, i) => `y${i + 1}`),
    paramNames: Array.from({ length: dim * dim }, (_, q) => `A${Math.floor(q / dim) + 1}${(q % dim) + 1}`),
    f(_t, y, p, out) {
      for (let i = 0; i < dim; i++) {
        let acc = 0;
        for (let j = 0; j < dim; j++) acc += p[i * dim + j] * y[j];
        out[i] = acc;
      }
    },
    vjp(_t, y, p, a, outY, outP) {
      for (let j = 0; j < dim; j++) {
        let acc = 0;
        for (let i = 0; i < dim; i++) acc += a[i] * p[i * dim + j];
        outY[j] = acc;
      }
      for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) outP[i * dim + j] += a[i] * y[j];
    },
  };
}
