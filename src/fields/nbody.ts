/**
 * Newtonian N-body gravity in 2-D or 3-D with the masses as parameters.
 *
 * State y = (r_1..r_N, v_1..v_N) (data/problems/README.md). With d_ij = r_j - r_i:
 *   dr_i/dt = velocityScale * v_i
 *   dv_i/dt = G sum_{j != i} m_j d_ij / |d_ij|^3
 * velocityScale and G are the seed paper's nondimensional K2 and K1 (three_body_paper.json);
 * both are 1 in plain units. Each pair is visited once (Newton's third law).
 *
 * VJP: the Jacobian of G m_j d / |d|^3 with respect to d is G m_j J(d), J(d) = I/|d|^3 -
 * 3 d d^T / |d|^5 (symmetric), so for the pair (i, j) the cotangents (a_vi, a_vj) of the
 * accelerations give u = G J(d) (m_j a_vi - m_i a_vj), added to r_j and subtracted from r_i, and
 * dL/dm_j += G d.a_vi / |d|^3, dL/dm_i -= G d.a_vj / |d|^3.
 *
 * JVP and Jacobian (forward mode, the same J(d)): for the pair (i, j) and the tangent
 * (dot r, dot m), with dot d = dot r_j - dot r_i,
 *   dot a_i += G m_j J(d) dot d + G dot m_j d / |d|^3,   dot a_j -= G m_i J(d) dot d + G dot m_i d / |d|^3,
 * so the Jacobian blocks are d a_i / d r_j = -d a_i / d r_i = G m_j J(d), d a_j / d r_i =
 * -d a_j / d r_j = G m_i J(d), d a_i / d m_j = G d / |d|^3, d a_j / d m_i = -G d / |d|^3.
 */
import { MAX_BODIES } from '../limits.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { Field } from './field.ts';
import { nbodyWasmSource } from '../wasm/nbody.ts';

export interface NBodyOptions {
  readonly bodies: number;
  /** Spatial dimensions, 2 or 3 (default 3). */
  readonly dims?: 2 | 3;
  /** Gravitational constant (default 1). */
  readonly G?: number;
  /** Factor on dr/dt (default 1). */
  readonly velocityScale?: number;
}

/** The options with their defaults, checked (shared with the equation model of the same system). */
export function resolveNBodyOptions(options: NBodyOptions): Required<NBodyOptions> {
  const n = options.bodies;
  const dims = options.dims ?? 3;
  const G = options.G ?? 1;
  const velocityScale = options.velocityScale ?? 1;
  if (!Number.isInteger(n) || n < 2 || n > MAX_BODIES) throw new InvalidArgumentError('bodies', n, `an integer from 2 to ${MAX_BODIES}`);
  if (dims !== 2 && dims !== 3) throw new InvalidArgumentError('dims', dims, '2 or 3');
  if (!Number.isFinite(G)) throw new InvalidArgumentError('G', G, 'a finite number');
  if (!Number.isFinite(velocityScale)) throw new InvalidArgumentError('velocityScale', velocityScale, 'a finite number');
  return { bodies: n, dims, G, velocityScale };
}

export function nbodyField(options: NBodyOptions): Field {
  const { bodies: n, dims, G, velocityScale: vs } = resolveNBodyOptions(options);
  const half = n * dims;
  const dim = 2 * half;
  const axes = ['x', 'y', 'z'].slice(0, dims);
  const stateNames = [
    ...Array.from({ length: n }, (_, i) => axes.map((a) => `${a}${i + 1}`)).flat(),
    ...Array.from({ length: n }, (_, i) => axes.map((a) => `v${a}${i + 1}`)).flat(),
  ];
  const paramNames = Array.from({ length: n }, (_, i) => `m${i + 1}`);
  const spec = { kind: 'nbody', bodies: n, dims, G, velocityScale: vs };
  const field = dims === 3 ? nbody3(n, G, vs, dim, spec, stateNames, paramNames) : nbodyGeneric(n, dims, G, vs, dim, spec, stateNames, paramNames);
  return { ...field, ...forwardDerivatives(n, dims, G, vs) };
}

/** The JVP and the Jacobians of the module comment, for 2-D and 3-D. */
function forwardDerivatives(n: number, dims: number, G: number, vs: number): Pick<Field, 'jvp' | 'jacobian'> {
  const half = dims * n;
  const dim = 2 * half;
  const dc = new Float64Array(dims);
  return {
    jvp(_t, y, p, v, vp, out) {
      for (let k = 0; k < half; k++) {
        out[k] = vs * v[half + k];
        out[half + k] = 0;
      }
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          let r2 = 0;
          let dDot = 0;
          for (let c = 0; c < dims; c++) {
            const d = y[dims * j + c] - y[dims * i + c];
            dc[c] = d;
            r2 += d * d;
            dDot += d * (v[dims * j + c] - v[dims * i + c]);
          }
          const inv3 = G / (r2 * Math.sqrt(r2));
          const s = (3 * inv3 * dDot) / r2;
          const mi = vp === null ? 0 : vp[i];
          const mj = vp === null ? 0 : vp[j];
          for (let c = 0; c < dims; c++) {
            // J(d) dot d, times G
            const jd = inv3 * (v[dims * j + c] - v[dims * i + c]) - s * dc[c];
            out[half + dims * i + c] += p[j] * jd + mj * inv3 * dc[c];
            out[half + dims * j + c] -= p[i] * jd + mi * inv3 * dc[c];
          }
        }
      }
    },
    jacobian(_t, y, p, outJy, outJp) {
      outJy.fill(0);
      if (outJp) outJp.fill(0);
      for (let k = 0; k < half; k++) outJy[k * dim + half + k] = vs;
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          let r2 = 0;
          for (let c = 0; c < dims; c++) {
            const d = y[dims * j + c] - y[dims * i + c];
            dc[c] = d;
            r2 += d * d;
          }
          const inv3 = G / (r2 * Math.sqrt(r2));
          const inv5x3 = (3 * inv3) / r2;
          for (let c = 0; c < dims; c++) {
            const ai = half + dims * i + c;
            const aj = half + dims * j + c;
            for (let e = 0; e < dims; e++) {
              const J = (c === e ? inv3 : 0) - inv5x3 * dc[c] * dc[e];
              const ri = dims * i + e;
              const rj = dims * j + e;
              outJy[ai * dim + rj] += p[j] * J;
              outJy[ai * dim + ri] -= p[j] * J;
              outJy[aj * dim + ri] += p[i] * J;
              outJy[aj * dim + rj] -= p[i] * J;
            }
            if (outJp) {
              outJp[ai * n + j] += inv3 * dc[c];
              outJp[aj * n + i] -= inv3 * dc[c];
            }
          }
        }
      }
    },
  };
}

function nbody3(
  n: number,
  G: number,
  vs: number,
  dim: number,
  spec: Field['spec'],
  stateNames: string[],
  paramNames: string[],
): Field {
  const half = 3 * n;
  return {
    dim,
    nParams: n,
    spec,
    // The same loops as WebAssembly, for the generated solver (src/wasm/nbody.ts).
    wasm: nbodyWasmSource(n, G, vs),
    stateNames,
    paramNames,
    f(_t, y, p, out) {
      for (let k = 0; k < half; k++) {
        out[k] = vs * y[half + k];
        out[half + k] = 0;
      }
      for (let i = 0; i < n; i++) {
        const ix = 3 * i;
        const xi = y[ix], yi = y[ix + 1], zi = y[ix + 2];
        for (let j = i + 1; j < n; j++) {
          const jx = 3 * j;
          const dx = y[jx] - xi, dy = y[jx + 1] - yi, dz = y[jx + 2] - zi;
          const r2 = dx * dx + dy * dy + dz * dz;
          const inv3 = G / (r2 * Math.sqrt(r2));
          const wi = p[j] * inv3;
          const wj = p[i] * inv3;
          out[half + ix] += wi * dx;
          out[half + ix + 1] += wi * dy;
          out[half + ix + 2] += wi * dz;
          out[half + jx] -= wj * dx;
          out[half + jx + 1] -= wj * dy;
          out[half + jx + 2] -= wj * dz;
        }
      }
    },
    vjp(_t, y, p, a, outY, outP) {
      for (let k = 0; k < half; k++) {
        outY[k] = 0;
        outY[half + k] = vs * a[k];
      }
      for (let i = 0; i < n; i++) {
        const ix = 3 * i;
        const xi = y[ix], yi = y[ix + 1], zi = y[ix + 2];
        const aix = a[half + ix], aiy = a[half + ix + 1], aiz = a[half + ix + 2];
        for (let j = i + 1; j < n; j++) {
          const jx = 3 * j;
          const dx = y[jx] - xi, dy = y[jx + 1] - yi, dz = y[jx + 2] - zi;
          const r2 = dx * dx + dy * dy + dz * dz;
          const inv3 = G / (r2 * Math.sqrt(r2));
          const inv5x3 = (3 * inv3) / r2;
          const ajx = a[half + jx], ajy = a[half + jx + 1], ajz = a[half + jx + 2];
          // w = m_j a_vi - m_i a_vj; u = G J(d) w
          const wx = p[j] * aix - p[i] * ajx;
          const wy = p[j] * aiy - p[i] * ajy;
          const wz = p[j] * aiz - p[i] * ajz;
          const dw = (dx * wx + dy * wy + dz * wz) * inv5x3;
          const ux = inv3 * wx - dw * dx;
          const uy = inv3 * wy - dw * dy;
          const uz = inv3 * wz - dw * dz;
          outY[jx] += ux;
          outY[jx + 1] += uy;
          outY[jx + 2] += uz;
          outY[ix] -= ux;
          outY[ix + 1] -= uy;
          outY[ix + 2] -= uz;
          outP[j] += inv3 * (dx * aix + dy * aiy + dz * aiz);
          outP[i] -= inv3 * (dx * ajx + dy * ajy + dz * ajz);
        }
      }
    },
  };
}

function nbodyGeneric(
  n: number,
  dims: number,
  G: number,
  vs: number,
  dim: number,
  spec: Field['spec'],
  stateNames: string[],
  paramNames: string[],
): Field {
  const half = dims * n;
  return {
    dim,
    nParams: n,
    spec,
    stateNames,
    paramNames,
    f(_t, y, p, out) {
      for (let k = 0; k < half; k++) {
        out[k] = vs * y[half + k];
        out[half + k] = 0;
      }
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          let r2 = 0;
          for (let c = 0; c < dims; c++) {
            const dc = y[dims * j + c] - y[dims * i + c];
            r2 += dc * dc;
          }
          const inv3 = G / (r2 * Math.sqrt(r2));
          for (let c = 0; c < dims; c++) {
            const dc = y[dims * j + c] - y[dims * i + c];
            out[half + dims * i + c] += p[j] * inv3 * dc;
            out[half + dims * j + c] -= p[i] * inv3 * dc;
          }
        }
      }
    },
    vjp(_t, y, p, a, outY, outP) {
      for (let k = 0; k < half; k++) {
        outY[k] = 0;
        outY[half + k] = vs * a[k];
      }
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          let r2 = 0;
          let dw = 0;
          let dai = 0;
          let daj = 0;
          for (let c = 0; c < dims; c++) {
            const dc = y[dims * j + c] - y[dims * i + c];
            const ai = a[half + dims * i + c];
            const aj = a[half + dims * j + c];
            r2 += dc * dc;
            dw += dc * (p[j] * ai - p[i] * aj);
            dai += dc * ai;
            daj += dc * aj;
          }
          const inv3 = G / (r2 * Math.sqrt(r2));
          const s = (3 * inv3 * dw) / r2;
          for (let c = 0; c < dims; c++) {
            const dc = y[dims * j + c] - y[dims * i + c];
            const wc = p[j] * a[half + dims * i + c] - p[i] * a[half + dims * j + c];
            const u = inv3 * wc - s * dc;
            outY[dims * j + c] += u;
            outY[dims * i + c] -= u;
          }
          outP[j] += inv3 * dai;
          outP[i] -= inv3 * daj;
        }
      }
    },
  };
}
