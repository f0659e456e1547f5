/**
 * The method registry: name -> tableau, and the prepared (flat, typed-array) form the stepper
 * runs. Adding a method is adding a tableau file and one line here.
 */
import { InvalidArgumentError } from '../errors.ts';
import type { Tableau } from './tableau.ts';
import { euler, midpoint, rk4 } from './tableaus/fixed.ts';
import { bosh3, heunEuler } from './tableaus/embedded.ts';
import { dopri5 } from './tableaus/dopri5.ts';
import { tsit5 } from './tableaus/tsit5.ts';
import { dopri8 } from './tableaus/dopri8.ts';
import { kvaerno3, kvaerno5 } from './tableaus/kvaerno.ts';

export const TABLEAUS: Readonly<Record<string, Tableau>> = {
  euler,
  midpoint,
  rk4,
  heun_euler: heunEuler,
  bosh3,
  dopri5,
  tsit5,
  dopri8,
  kvaerno3,
  kvaerno5,
};

/** The implicit (ESDIRK) methods, for messages that advise them (a stiff problem). */
export const IMPLICIT_METHOD_NAMES = Object.keys(TABLEAUS).filter((name) => TABLEAUS[name].gamma !== undefined);

export type MethodName = keyof typeof TABLEAUS;
export const METHOD_NAMES = Object.keys(TABLEAUS);

/**
 * A tableau in the form the stepper runs: flat Float64Arrays, and extended by one stage for
 * dense output when needed. Cubic Hermite interpolation needs f(t+h, y_new); FSAL methods have
 * it as their last stage, the others get an extra stage K_{s+1} = f(t+h, y + h sum b K) (a row
 * equal to b, c = 1), computed only for steps that contain an output time. The extra stage is an
 * ordinary stage to the gradient methods, so the dense output is differentiated like the step.
 */
export interface PreparedMethod {
  readonly tableau: Tableau;
  readonly name: string;
  /** Stages of one step. */
  readonly stages: number;
  /** Stages needed for dense output (stages, or stages + 1). */
  readonly denseStages: number;
  /** a as a dense (denseStages x denseStages) row-major matrix, zero on and above the diagonal. */
  readonly a: Float64Array;
  readonly b: Float64Array;
  /**
   * The nonzero entries of `a` by rows (compressed sparse rows), for the stage inputs: row j's
   * terms are aCol[k], aVal[k] for aStart[j] <= k < aStart[j + 1], in increasing column order.
   */
  readonly aStart: Int32Array;
  readonly aCol: Int32Array;
  readonly aVal: Float64Array;
  /** c, length denseStages. */
  readonly c: Float64Array;
  readonly e: Float64Array | null;
  readonly e3: Float64Array | null;
  /** The nonzero entries of e and e3 (stage indices, weights), for the error estimate. */
  readonly eCol: Int32Array;
  readonly eVal: Float64Array;
  readonly e3Col: Int32Array;
  readonly e3Val: Float64Array;
  readonly adaptive: boolean;
  readonly fsal: boolean;
  readonly order: number;
  /** Exponent order q in h_new = h * err^(-1/(q+1)). */
  readonly errorOrder: number;
  /** Dense weights w_j(theta) = sum_k dense[j * degree + k] theta^(k+1), j < denseStages. */
  readonly dense: Float64Array;
  readonly denseDegree: number;
  /** True when the dense output uses the extra stage (non-FSAL Hermite). */
  readonly denseNeedsExtraStage: boolean;
  /** ESDIRK: stages 1..s-1 are implicit with the diagonal gamma (solvers/implicit.ts). */
  readonly implicit: boolean;
  /** The diagonal a_jj, length denseStages (0 for explicit stages, the dense stage included). */
  readonly diagonal: Float64Array;
  /**
   * Explicit methods: the stability boundary on the negative real axis, the largest r with
   * |R(-x)| <= 1 on [0, r] (R the stability function), for the stiffness test of
   * solvers/stiffness.ts. NaN for implicit methods.
   */
  readonly stabilityBoundary: number;
}

const prepared = new Map<string, PreparedMethod>();

export function getMethod(name: string): PreparedMethod {
  const cached = prepared.get(name);
  if (cached) return cached;
  const tableau = TABLEAUS[name];
  if (!tableau) {
    throw new InvalidArgumentError('method', name, `one of ${METHOD_NAMES.join(', ')}`);
  }
  const method = prepare(tableau);
  prepared.set(name, method);
  return method;
}

function prepare(tab: Tableau): PreparedMethod {
  const s = tab.stages;
  const needsExtra = !tab.dense && !tab.fsal;
  const sd = needsExtra ? s + 1 : s;
  const a = new Float64Array(sd * sd);
  for (let j = 0; j < s; j++) for (let l = 0; l < j; l++) a[j * sd + l] = tab.a[j][l] ?? 0;
  if (needsExtra) for (let l = 0; l < s; l++) a[s * sd + l] = tab.b[l];
  const aStart = new Int32Array(sd + 1);
  const aCol: number[] = [];
  const aVal: number[] = [];
  for (let j = 0; j < sd; j++) {
    for (let l = 0; l < j; l++) {
      if (a[j * sd + l] !== 0) aCol.push(l), aVal.push(a[j * sd + l]);
    }
    aStart[j + 1] = aCol.length;
  }
  const c = new Float64Array(sd);
  for (let j = 0; j < s; j++) c[j] = tab.c[j];
  if (needsExtra) c[s] = 1;

  let dense: Float64Array;
  let degree: number;
  if (tab.dense) {
    degree = Math.max(...tab.dense.map((row) => row.length));
    dense = new Float64Array(sd * degree);
    tab.dense.forEach((row, j) => row.forEach((v, k) => (dense[j * degree + k] = v)));
  } else {
    // Cubic Hermite through (y0, f0) and (y1, f1), written as weights on the stages:
    // y(theta) = y0 + h [ h01(theta) sum_j b_j K_j + h10(theta) K_1 + h11(theta) f1 ],
    // h01 = 3 theta^2 - 2 theta^3, h10 = theta - 2 theta^2 + theta^3, h11 = -theta^2 + theta^3.
    degree = 3;
    dense = new Float64Array(sd * degree);
    const f1 = tab.fsal ? s - 1 : s;
    for (let j = 0; j < s; j++) {
      dense[j * degree + 1] += 3 * tab.b[j];
      dense[j * degree + 2] += -2 * tab.b[j];
    }
    dense[0] += 1;
    dense[1] += -2;
    dense[2] += 1;
    dense[f1 * degree + 1] += -1;
    dense[f1 * degree + 2] += 1;
  }
  if (tab.gamma !== undefined) checkImplicitTableau(tab);
  const diagonal = new Float64Array(sd);
  if (tab.gamma !== undefined) for (let j = 1; j < s; j++) diagonal[j] = tab.gamma;
  const q = tab.errorOrder ?? tab.order - 1;
  const e = tab.e ? Float64Array.from({ length: sd }, (_, j) => (j < s ? tab.e![j] : 0)) : null;
  const e3 = tab.e3 ? Float64Array.from({ length: sd }, (_, j) => (j < s ? tab.e3![j] : 0)) : null;
  const eTerms = nonzeros(e);
  const e3Terms = nonzeros(e3);
  return {
    tableau: tab,
    name: tab.name,
    stages: s,
    denseStages: sd,
    a,
    aStart,
    aCol: Int32Array.from(aCol),
    aVal: Float64Array.from(aVal),
    b: Float64Array.from({ length: sd }, (_, j) => (j < s ? tab.b[j] : 0)),
    c,
    e,
    e3,
    eCol: eTerms.col,
    eVal: eTerms.val,
    e3Col: e3Terms.col,
    e3Val: e3Terms.val,
    adaptive: tab.e !== undefined,
    fsal: tab.fsal,
    order: tab.order,
    errorOrder: q,
    dense,
    denseDegree: degree,
    denseNeedsExtraStage: needsExtra,
    implicit: tab.gamma !== undefined,
    diagonal,
    stabilityBoundary: tab.gamma === undefined ? realStabilityBoundary(tab) : NaN,
  };
}

/**
 * An ESDIRK tableau checks its own consistency: c_j = sum_l a_jl + gamma (row sums, with the
 * diagonal), stiff accuracy (b = the last row with its gamma; the step's end is the last stage,
 * which the implicit stage solver and the adjoint rely on), and the quadrature order conditions
 * b . c^(k-1) = 1/k for k <= order, and (b - e) . c^(k-1) = 1/k for k <= errorOrder (Hairer and
 * Wanner, Solving ODEs II, sec. IV.5). A violation is a typing error in the coefficients.
 */
function checkImplicitTableau(tab: Tableau): void {
  const s = tab.stages;
  const g = tab.gamma!;
  const fail = (what: string) => {
    throw new Error(`internal error: implicit tableau ${tab.name}: ${what}`);
  };
  if (!(g > 0) || tab.c[0] !== 0 || tab.fsal || tab.e === undefined) fail('needs gamma > 0, c_0 = 0, no FSAL and an error estimate');
  for (let j = 1; j < s; j++) {
    const sum = tab.a[j].reduce((acc, v) => acc + v, 0) + g;
    if (Math.abs(sum - tab.c[j]) > 1e-14 * Math.max(1, Math.abs(tab.c[j]))) fail(`row ${j} sums to ${sum}, c_${j} = ${tab.c[j]}`);
  }
  for (let l = 0; l < s; l++) {
    const last = l < s - 1 ? tab.a[s - 1][l] : g;
    if (tab.b[l] !== last) fail(`not stiffly accurate: b_${l} = ${tab.b[l]} but a_${s - 1},${l} = ${last}`);
  }
  const quadrature = (w: readonly number[], order: number, label: string) => {
    for (let k = 1; k <= order; k++) {
      const sum = w.reduce((acc, wj, j) => acc + wj * Math.pow(tab.c[j], k - 1), 0);
      if (Math.abs(sum - 1 / k) > 1e-13) fail(`${label}: sum w c^${k - 1} = ${sum}, not 1/${k}`);
    }
  };
  quadrature(tab.b, tab.order, 'b');
  quadrature(tab.b.map((bj, j) => bj - tab.e![j]), tab.errorOrder ?? tab.order - 1, 'embedded weights');
}

/**
 * The real stability interval of an explicit method: R(z) = 1 + z b^T (I - z A)^{-1} 1 (Hairer and
 * Wanner, Solving ODEs II, sec. IV.2), evaluated by the stage recursion, scanned along z = -x in
 * steps of 0.001 until |R| > 1, then refined by bisection.
 */
function realStabilityBoundary(tab: Tableau): number {
  const s = tab.stages;
  const g = new Float64Array(s);
  const R = (z: number) => {
    for (let j = 0; j < s; j++) {
      let acc = 1;
      for (let l = 0; l < j; l++) acc += z * (tab.a[j][l] ?? 0) * g[l];
      g[j] = acc;
    }
    let r = 1;
    for (let j = 0; j < s; j++) r += z * tab.b[j] * g[j];
    return Math.abs(r);
  };
  let x = 0;
  while (x < 100 && R(-(x + 0.001)) <= 1 + 1e-12) x += 0.001;
  let lo = x;
  let hi = x + 0.001;
  for (let k = 0; k < 40; k++) {
    const mid = 0.5 * (lo + hi);
    if (R(-mid) <= 1 + 1e-12) lo = mid;
    else hi = mid;
  }
  return lo;
}

function nonzeros(w: Float64Array | null): { col: Int32Array; val: Float64Array } {
  const col: number[] = [];
  if (w) w.forEach((v, j) => v !== 0 && col.push(j));
  return { col: Int32Array.from(col), val: Float64Array.from(col, (j) => w![j]) };
}

/** Fills w (length denseStages) with the dense-output weights at theta in [0, 1]. */
export function denseWeights(method: PreparedMethod, theta: number, w: Float64Array): void {
  const deg = method.denseDegree;
  const coef = method.dense;
  for (let j = 0; j < method.denseStages; j++) {
    let acc = 0;
    for (let k = deg - 1; k >= 0; k--) acc = (acc + coef[j * deg + k]) * theta;
    w[j] = acc;
  }
}

/** Derivative of the dense weights with respect to theta (for dL/dt of interpolated outputs). */
export function denseWeightsDerivative(method: PreparedMethod, theta: number, w: Float64Array): void {
  const deg = method.denseDegree;
  const coef = method.dense;
  for (let j = 0; j < method.denseStages; j++) {
    let acc = 0;
    for (let k = deg - 1; k >= 0; k--) acc = acc * theta + (k + 1) * coef[j * deg + k];
    w[j] = acc;
  }
}
