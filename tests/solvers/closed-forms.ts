/**
 * Test problems with known solutions, as fields with their exact solutions:
 *   - expSin:    y' = cos(t) y,          y = y0 exp(sin t)              (non-autonomous, scalar)
 *   - gaussian:  y' = -2 t y + t,        y = 1/2 + (y0 - 1/2) exp(-t^2)
 *   - rotation:  y' = [[-k, -w], [w, -k]] y,  y = exp(-k t) R(w t) y0  (data/problems)
 *   - kepler:    q'' = -q / |q|^3, eccentricity e, through Kepler's equation (a system, nonlinear)
 *   - arenstorf: the restricted three-body orbit of Hairer, Norsett & Wanner, Solving ODEs I,
 *                sec. II.0, eq. (0.1), periodic with a published period
 *   - eulerRigidBody: DETEST problem B5 (Hull et al. 1972), y = (sn, cn, dn)(t | m = 0.51)
 */
import type { Field } from '../../src/index.ts';

export interface ClosedForm {
  readonly name: string;
  readonly field: Field;
  readonly params: number[];
  readonly y0: number[];
  /** The exact solution at t (from t = 0). */
  exact(t: number): number[];
}

function scalar(name: string, f: (t: number, y: number) => number, y0: number, exact: (t: number) => number): ClosedForm {
  return {
    name,
    field: {
      dim: 1,
      nParams: 0,
      f(t, y, _p, out) {
        out[0] = f(t, y[0]);
      },
    },
    params: [],
    y0: [y0],
    exact: (t) => [exact(t)],
  };
}

export const expSin: ClosedForm = scalar('exp(sin t)', (t, y) => Math.cos(t) * y, 1, (t) => Math.exp(Math.sin(t)));

export const gaussian: ClosedForm = scalar(
  "y' = -2ty + t",
  (t, y) => -2 * t * y + t,
  2,
  (t) => 0.5 + 1.5 * Math.exp(-t * t),
);

/** The damped rotation of data/problems/linear_damped_rotation.json (k = 0.5, w = 2, y0 = (1, 0)). */
export const rotation: ClosedForm = (() => {
  const k = 0.5;
  const w = 2;
  return {
    name: 'damped rotation',
    field: {
      dim: 2,
      nParams: 2,
      f(_t, y, p, out) {
        out[0] = -p[0] * y[0] - p[1] * y[1];
        out[1] = p[1] * y[0] - p[0] * y[1];
      },
    },
    params: [k, w],
    y0: [1, 0],
    exact: (t) => [Math.exp(-k * t) * Math.cos(w * t), Math.exp(-k * t) * Math.sin(w * t)],
  };
})();

/**
 * The Kepler two-body problem q'' = -q/|q|^3 with state (q1, q2, p1, p2), started at the
 * pericentre of an orbit of eccentricity e and semi-major axis 1 (period 2 pi). With the
 * eccentric anomaly E from Kepler's equation E - e sin E = t (Hairer, Lubich & Wanner,
 * Geometric Numerical Integration, sec. I.2.3):
 *   q = (cos E - e, sqrt(1-e^2) sin E),  p = (-sin E, sqrt(1-e^2) cos E) / (1 - e cos E).
 */
export function kepler(e: number): ClosedForm {
  const s = Math.sqrt(1 - e * e);
  return {
    name: `Kepler e = ${e}`,
    field: {
      dim: 4,
      nParams: 0,
      f(_t, y, _p, out) {
        const r2 = y[0] * y[0] + y[1] * y[1];
        const r3 = r2 * Math.sqrt(r2);
        out[0] = y[2];
        out[1] = y[3];
        out[2] = -y[0] / r3;
        out[3] = -y[1] / r3;
      },
    },
    params: [],
    y0: [1 - e, 0, 0, Math.sqrt((1 + e) / (1 - e))],
    exact(t) {
      const E = eccentricAnomaly(t, e);
      const c = Math.cos(E);
      const sn = Math.sin(E);
      const den = 1 - e * c;
      return [c - e, s * sn, -sn / den, (s * c) / den];
    },
  };
}

/** Solves Kepler's equation E - e sin E = M by Newton's method, to rounding. */
export function eccentricAnomaly(M: number, e: number): number {
  let E = M + e * Math.sin(M);
  for (let i = 0; i < 50; i++) {
    const dE = (E - e * Math.sin(E) - M) / (1 - e * Math.cos(E));
    E -= dE;
    if (Math.abs(dE) < 1e-16 * Math.max(1, Math.abs(E))) break;
  }
  return E;
}

/**
 * The Arenstorf orbit (Solving ODEs I, sec. II.0, eq. (0.1) and (0.2)): the restricted
 * three-body problem earth-moon-satellite with mu = 0.012277471, state (y1, y2, y1', y2').
 * The published initial value returns to itself after the published period T.
 */
export const ARENSTORF = {
  mu: 0.012277471,
  y0: [0.994, 0, 0, -2.00158510637908252240537862224],
  period: 17.0652165601579625588917206249,
};

export function arenstorfField(): Field {
  const mu = ARENSTORF.mu;
  const muP = 1 - mu;
  return {
    dim: 4,
    nParams: 0,
    f(_t, y, _p, out) {
      const a = y[0] + mu;
      const b = y[0] - muP;
      const y2sq = y[1] * y[1];
      const d1 = Math.pow(a * a + y2sq, 1.5);
      const d2 = Math.pow(b * b + y2sq, 1.5);
      out[0] = y[2];
      out[1] = y[3];
      out[2] = y[0] + 2 * y[3] - (muP * a) / d1 - (mu * b) / d2;
      out[3] = y[1] - 2 * y[2] - (muP * y[1]) / d1 - (mu * y[1]) / d2;
    },
  };
}

/**
 * DETEST B5, Euler's equations of a rigid body without external forces (Hull, Enright, Fellen &
 * Sedgwick, SIAM J. Numer. Anal. 9 (1972) 603-637; Solving ODEs I, sec. II.10):
 *   y1' = y2 y3,  y2' = -y1 y3,  y3' = -0.51 y1 y2,  y(0) = (0, 1, 1),
 * with the solution y = (sn(t|m), cn(t|m), dn(t|m)), m = 0.51.
 */
export const eulerRigidBody: ClosedForm = {
  name: 'DETEST B5 (rigid body)',
  field: {
    dim: 3,
    nParams: 0,
    f(_t, y, _p, out) {
      out[0] = y[1] * y[2];
      out[1] = -y[0] * y[2];
      out[2] = -0.51 * y[0] * y[1];
    },
  },
  params: [],
  y0: [0, 1, 1],
  exact: (t) => jacobiSnCnDn(t, 0.51),
};

/**
 * Jacobi's sn, cn, dn (u | m) by the arithmetic-geometric mean and descending Landen
 * transformation (Abramowitz & Stegun 16.4), accurate to a few ulps for 0 < m < 1.
 */
export function jacobiSnCnDn(u: number, m: number): number[] {
  const a: number[] = [1];
  const c: number[] = [Math.sqrt(m)];
  let b = Math.sqrt(1 - m);
  let n = 0;
  while (Math.abs(c[n]) > 1e-17 && n < 30) {
    const an = a[n];
    a.push((an + b) / 2);
    c.push((an - b) / 2);
    b = Math.sqrt(an * b);
    n++;
  }
  let phi = Math.pow(2, n) * a[n] * u;
  for (let k = n; k > 0; k--) phi = (phi + Math.asin((c[k] / a[k]) * Math.sin(phi))) / 2;
  const sn = Math.sin(phi);
  const cn = Math.cos(phi);
  return [sn, cn, Math.sqrt(1 - m * sn * sn)];
}

/** Max-abs difference of two vectors. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Max over components of |a_i - b_i| / (atol + rtol |b_i|): the error in units of the tolerance. */
export function scaledError(a: ArrayLike<number>, b: ArrayLike<number>, rtol: number, atol: number): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / (atol + rtol * Math.abs(b[i])));
  return m;
}

/** RMS over components of (a_i - b_i) / (atol + rtol |b_i|): the solver's own error norm. */
export function rmsScaledError(a: ArrayLike<number>, b: ArrayLike<number>, rtol: number, atol: number): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += ((a[i] - b[i]) / (atol + rtol * Math.abs(b[i]))) ** 2;
  return Math.sqrt(sum / a.length);
}

/** Least-squares slope of y against x. */
export function slope(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  return sxy / sxx;
}
