/**
 * The reference gradient by the variational equations (forward sensitivities; Hairer, Norsett,
 * Wanner, Solving ODEs I, sec. I.14): integrate y' = f(t, y, p) together with
 *   S' = df/dy S + [0 | df/dp],   S(t0) = [I | 0]   (S = d y / d(y0, p), d x (d + P))
 * with the error control on every entry of S as well as on y, then
 *   dL/dy0 = sum_k S_k[:, :d]^T g_k,   dL/dp = sum_k S_k[:, d:]^T g_k,   g_k = dL/dy(t_k).
 * Independent of every gradient method in src/gradients (no adjoint, no checkpoints); the
 * Jacobians come from fieldDerivatives (the field's VJP, row by row).
 */
import { fieldDerivatives } from '../../src/fields/derivatives.ts';
import type { Field } from '../../src/fields/field.ts';
import { solve } from '../../src/solvers/solve.ts';
import type { AccuracyProblem } from './gradient-problems.ts';

export interface ReferenceGradient {
  readonly loss: number;
  readonly dy0: number[];
  readonly dp: number[];
  /** The outputs (K x d) of the same solve: the forward reference. */
  readonly outputs: number[];
}

/** The augmented field (y, S) of the variational equations, S row-major d x (d + P). */
export function variationalField(field: Field): Field {
  const d = field.dim;
  const P = field.nParams;
  const n = d + P;
  const der = fieldDerivatives(field);
  const Jy = new Float64Array(d * d);
  const Jp = new Float64Array(d * Math.max(P, 1));
  const y = new Float64Array(d);
  const fy = new Float64Array(d);
  return {
    dim: d + d * n,
    nParams: P,
    f(t, z, p, out) {
      for (let i = 0; i < d; i++) y[i] = z[i];
      field.f(t, y, p, fy);
      der.jacobian(t, y, p, Jy, P > 0 ? Jp : null);
      for (let i = 0; i < d; i++) out[i] = fy[i];
      for (let i = 0; i < d; i++) {
        for (let c = 0; c < n; c++) {
          let s = c >= d ? Jp[i * P + (c - d)] : 0;
          for (let l = 0; l < d; l++) s += Jy[i * d + l] * z[d + l * n + c];
          out[d + i * n + c] = s;
        }
      }
    },
  };
}

export function variationalGradient(problem: AccuracyProblem, rtol = 1e-13, method = 'dopri8'): ReferenceGradient {
  const { field, y0, params, t0, times, loss } = problem;
  const d = field.dim;
  const P = field.nParams;
  const n = d + P;
  const z0 = new Float64Array(d + d * n);
  z0.set(y0);
  for (let i = 0; i < d; i++) z0[d + i * n + i] = 1;
  const sol = solve(variationalField(field), z0, { times, t0, params, method, rtol, atol: rtol, maxSteps: 10_000_000 });
  const K = times.length;
  const outputs = new Float64Array(K * d);
  for (let k = 0; k < K; k++) outputs.set(sol.y.subarray(k * z0.length, k * z0.length + d), k * d);
  const g = new Float64Array(K * d);
  const value = loss(outputs, Float64Array.from(times), g);
  const grad = new Float64Array(n);
  for (let k = 0; k < K; k++) {
    const S = sol.y.subarray(k * z0.length + d, (k + 1) * z0.length);
    for (let i = 0; i < d; i++) {
      const gi = g[k * d + i];
      if (gi === 0) continue;
      for (let c = 0; c < n; c++) grad[c] += gi * S[i * n + c];
    }
  }
  return { loss: value, dy0: Array.from(grad.subarray(0, d)), dp: Array.from(grad.subarray(d)), outputs: Array.from(outputs) };
}

/** ||a - b|| / ||b|| over the concatenation of the vector pairs. */
export function relativeError(pairs: readonly (readonly [ArrayLike<number>, ArrayLike<number>])[]): number {
  let num = 0;
  let den = 0;
  for (const [a, b] of pairs) {
    for (let i = 0; i < b.length; i++) {
      num += (a[i] - b[i]) ** 2;
      den += b[i] ** 2;
    }
  }
  return Math.sqrt(num / den);
}
