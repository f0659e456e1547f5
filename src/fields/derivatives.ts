/**
 * Jacobians and Jacobian-vector products of any field (the contract in fields/field.ts): the
 * field's own when it has them, otherwise assembled from what it has. Callers (implicit solvers,
 * forward sensitivities, least-squares Jacobians) take a `FieldDerivatives` once per solve and
 * call it per step; the assembled versions allocate their workspace once, here.
 *
 * Assembly: with a VJP, row i of [df/dy | df/dp] is the VJP with the unit cotangent e_i (d VJPs
 * per Jacobian); a JVP is then J v (one Jacobian per JVP: slow, so a field used with forward
 * sensitivities should have its own jvp). With only a JVP, column j of df/dy is the JVP with e_j.
 * With neither, there is no derivative: an InvalidArgumentError names what is missing.
 */
import { InvalidArgumentError } from '../errors.ts';
import type { Field } from './field.ts';

export interface FieldDerivatives {
  /** True when the Jacobian comes from the field itself (compiled or hand-written). */
  readonly ownJacobian: boolean;
  readonly ownJvp: boolean;
  /** See Field.jacobian; outJp may be null. */
  jacobian(t: number, y: Float64Array, p: Float64Array, outJy: Float64Array, outJp: Float64Array | null): void;
  /** See Field.jvp; vp may be null (zero). */
  jvp(t: number, y: Float64Array, p: Float64Array, v: Float64Array, vp: Float64Array | null, out: Float64Array): void;
}

export function fieldDerivatives(field: Field): FieldDerivatives {
  const d = field.dim;
  const P = field.nParams;
  const own = field.jacobian?.bind(field);
  const ownJvp = field.jvp?.bind(field);
  const vjp = field.vjp?.bind(field);
  if (!own && !ownJvp && !vjp) {
    throw new InvalidArgumentError('field', 'a field without vjp, jvp or jacobian', 'a field with at least one of vjp, jvp, jacobian (derivatives of f are needed)');
  }

  let jacobian: FieldDerivatives['jacobian'];
  if (own) {
    jacobian = own;
  } else if (vjp) {
    const unit = new Float64Array(d);
    const row = new Float64Array(d);
    const rowP = new Float64Array(P);
    jacobian = (t, y, p, outJy, outJp) => {
      for (let i = 0; i < d; i++) {
        unit[i] = 1;
        rowP.fill(0);
        vjp(t, y, p, unit, row, rowP);
        unit[i] = 0;
        for (let j = 0; j < d; j++) outJy[i * d + j] = row[j];
        if (outJp) for (let q = 0; q < P; q++) outJp[i * P + q] = rowP[q];
      }
    };
  } else {
    const jv = ownJvp!;
    const unit = new Float64Array(d);
    const unitP = new Float64Array(P);
    const col = new Float64Array(d);
    jacobian = (t, y, p, outJy, outJp) => {
      for (let j = 0; j < d; j++) {
        unit[j] = 1;
        jv(t, y, p, unit, null, col);
        unit[j] = 0;
        for (let i = 0; i < d; i++) outJy[i * d + j] = col[i];
      }
      if (!outJp) return;
      unit.fill(0);
      for (let q = 0; q < P; q++) {
        unitP[q] = 1;
        jv(t, y, p, unit, unitP, col);
        unitP[q] = 0;
        for (let i = 0; i < d; i++) outJp[i * P + q] = col[i];
      }
    };
  }

  let jvp: FieldDerivatives['jvp'];
  if (ownJvp) {
    jvp = ownJvp;
  } else {
    const Jy = new Float64Array(d * d);
    const Jp = new Float64Array(d * P);
    jvp = (t, y, p, v, vp, out) => {
      jacobian(t, y, p, Jy, vp ? Jp : null);
      for (let i = 0; i < d; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += Jy[i * d + j] * v[j];
        if (vp) for (let q = 0; q < P; q++) s += Jp[i * P + q] * vp[q];
        out[i] = s;
      }
    };
  }
  return { ownJacobian: own !== undefined, ownJvp: ownJvp !== undefined, jacobian, jvp };
}
