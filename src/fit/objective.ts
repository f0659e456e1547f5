/**
 * A problem's loss as a function of theta (the fitted values in fitted coordinates, values.ts):
 * theta -> (y0, p) -> gradient(...) at the data's times -> (loss, dL/dtheta). dL/dy0 and dL/dp
 * come from the problem's gradient settings (ACA by default), passed to the driver unchanged; the
 * chain rule through the transforms is one factor per entry. This is the one path from a spec's
 * problem to a loss and its gradient: `aca grad`, `aca fit` and batch grad and fit runs all call
 * evaluateProblem, so the same spec gives bitwise the same numbers on each.
 */
import { DEFAULT_TOLERANCE_FACTOR, gradient } from '../gradients/gradient.ts';
import { forwardSensitivities } from '../gradients/sensitivities.ts';
import type { GradientResult } from '../gradients/types.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { Problem } from '../spec/problem.ts';
import { fittedJacobian, fromFitted, toFitted } from '../spec/values.ts';
import type { ObjectiveValue } from './lbfgs.ts';

export interface Evaluation extends ObjectiveValue {
  /** The gradient method's own result (outputs, stats). */
  readonly result: GradientResult;
}

/** theta at the spec's starting values. */
export function initialTheta(problem: Problem): Float64Array {
  return Float64Array.from(problem.free, (free) => toFitted(free, free.value));
}

/** y0 and p with the fitted entries taken from theta. */
export function valuesAt(problem: Problem, theta: ArrayLike<number>): { y0: Float64Array; params: Float64Array } {
  const y0 = Float64Array.from(problem.y0);
  const params = Float64Array.from(problem.params);
  problem.free.forEach((free, j) => {
    (free.target === 'initial' ? y0 : params)[free.index] = fromFitted(free, theta[j]);
  });
  return { y0, params };
}

/** The loss and dL/dtheta at theta (synchronous; the problem must have data). */
export function evaluateProblem(problem: Problem, theta: ArrayLike<number>): Evaluation {
  const loss = problem.loss;
  const data = problem.data;
  const eventLoss = problem.eventLoss;
  if ((!loss || !data) && !eventLoss) {
    throw new InvalidArgumentError('problem.data', undefined, 'a data table or observed event times (the loss needs observations)');
  }
  const { y0, params } = valuesAt(problem, theta);
  // Observed event times (spec/events.ts) add their squared error to the data's loss; without
  // data the solve runs to the spec's t1 (or its last output time) and the loss is the events'.
  const events = problem.events.length > 0 ? { events: problem.events, eventLoss } : {};
  const span = data ? { times: data.times } : { times: [], t1: problem.t1 ?? problem.times?.[problem.times.length - 1] };
  if (!data && span.t1 === undefined) {
    throw new InvalidArgumentError('spec.t1', undefined, 'the end of the solve (a fit of event times without data needs t1 or times)');
  }
  const result = gradient(problem.field, y0, {
    ...problem.solver,
    ...span,
    ...events,
    t0: problem.t0,
    params,
    loss: data ? loss : undefined,
    gradient: problem.gradient,
  });
  const g = Float64Array.from(problem.free, (free, j) => {
    const dv = free.target === 'initial' ? result.dy0[free.index] : result.dp[free.index];
    return dv * fittedJacobian(free, theta[j]);
  });
  return { f: result.loss, g, result };
}

/** The JSON of a gradient evaluation (`aca grad`, batch grad runs): values by name. */
export interface GradientReport {
  readonly name: string;
  readonly method: string;
  readonly loss: number;
  /** dL/dtheta by fitted entry (e.g. "params.a"), in fitted coordinates. */
  readonly gradient: Record<string, number>;
  readonly dy0: Record<string, number>;
  readonly dp: Record<string, number>;
  readonly stats: GradientResult['stats'];
  /** ACA with `accuracy`: the error estimate (docs/gradient-accuracy.md). */
  readonly accuracy?: GradientResult['accuracy'];
  /** The adjoint: its reconstruction drift. */
  readonly diagnostics?: GradientResult['diagnostics'];
}

export function gradientReport(problem: Problem, evaluation: Evaluation): GradientReport {
  const { f, g, result } = evaluation;
  return {
    name: problem.name,
    method: result.method,
    loss: f,
    gradient: Object.fromEntries(problem.free.map((free, j) => [free.path, g[j]])),
    dy0: Object.fromEntries(problem.stateNames.map((n, i) => [n, result.dy0[i]])),
    dp: Object.fromEntries(problem.paramNames.map((n, i) => [n, result.dp[i]])),
    stats: result.stats,
    ...(result.accuracy ? { accuracy: result.accuracy } : {}),
    ...(result.diagnostics ? { diagnostics: result.diagnostics } : {}),
  };
}

/** The weighted residuals and their Jacobian in fitted coordinates (least squares: loss = |r|^2). */
export interface ResidualEvaluation {
  /** r_q = sqrt(scale w_j) (h_j(t_k, y_k) - data_kj) over the observed cells, row by row. */
  readonly r: Float64Array;
  /** dr/dtheta: r.length x theta.length, row-major (forward sensitivities, steps fixed). */
  readonly J: Float64Array;
  /** |r|^2: the problem's loss, the same number evaluateProblem gives (to round-off). */
  readonly loss: number;
  readonly stats: {
    readonly fEvals: number;
    readonly vjpEvals: number;
    readonly accepted: number;
    readonly rejected: number;
    /** How J was built: 'forward' (sensitivities, one pass for all n columns) or 'reverse' (one ACA backward pass per row). */
    readonly jacobian: JacobianPath;
  };
}

/** 'forward': forward sensitivities; 'reverse': one ACA backward pass per residual. */
export type JacobianPath = 'forward' | 'reverse';

/**
 * The cheaper way to the residual Jacobian (m residuals x n fitted values): forward
 * sensitivities carry n columns through one solve, reverse passes give one row each, so reverse
 * wins when m < n (Griewank & Walther, Evaluating Derivatives, 2nd ed., sec. 3.3: forward mode
 * costs O(n), reverse O(m) evaluations of the map). Reverse needs ACA (the backward pass of the
 * same discrete map the sensitivities differentiate), without an accuracy loop (which would
 * refine the tolerances the sensitivities keep fixed).
 */
export function jacobianPath(problem: Problem, residuals: number, fitted: number): JacobianPath {
  const g = problem.gradient;
  return residuals < fitted && g.method === 'aca' && g.accuracy === undefined ? 'reverse' : 'forward';
}

/**
 * The residuals whose sum of squares is the problem's loss (spec/problem.ts seriesLoss), and
 * their Jacobian with respect to theta from the forward sensitivities of the same discrete map
 * (gradients/sensitivities.ts): 2 J^T r equals evaluateProblem's gradient to round-off.
 */
export function evaluateResiduals(problem: Problem, theta: ArrayLike<number>, path?: JacobianPath): ResidualEvaluation {
  const data = problem.data;
  if (!problem.loss || !data) throw new InvalidArgumentError('problem.data', undefined, 'a data table (the residuals need observations)');
  const { y0, params } = valuesAt(problem, theta);
  let observedCells = 0;
  for (let q = 0; q < data.values.length; q++) if (!Number.isNaN(data.values[q])) observedCells++;
  const chosen = path ?? jacobianPath(problem, observedCells, problem.free.length);
  if (chosen === 'reverse') {
    if (problem.gradient.method !== 'aca') {
      throw new InvalidArgumentError('jacobian', 'reverse', `'forward' (reverse rows need ACA; the problem's gradient method is ${problem.gradient.method})`);
    }
    return reverseResiduals(problem, theta, y0, params, data, observedCells);
  }
  const seeds = problem.free.map((free) => ({ target: free.target === 'initial' ? ('initial' as const) : ('params' as const), index: free.index }));
  // The same forward pass as the gradient's: ACA runs at toleranceFactor x the tolerances, so
  // |r|^2 here is its loss and 2 J^T r its gradient.
  const g = problem.gradient;
  const factor = g.method === 'aca' ? (g.toleranceFactor ?? DEFAULT_TOLERANCE_FACTOR) : 1;
  const sens = forwardSensitivities(problem.field, y0, { ...problem.solver, times: data.times, t0: problem.t0, params }, seeds, factor);
  const d = problem.field.dim;
  const n = seeds.length;
  const m = problem.series.length;
  const K = data.times.length;
  let cells = 0;
  for (let q = 0; q < data.values.length; q++) if (!Number.isNaN(data.values[q])) cells++;
  const scale = (problem.spec.loss?.reduction ?? 'sum') === 'mean' ? 1 / Math.max(cells, 1) : 1;
  const chain = Float64Array.from(problem.free, (free, j) => fittedJacobian(free, theta[j]));
  const r = new Float64Array(cells);
  const J = new Float64Array(cells * n);
  const dh = new Float64Array(d);
  let q = 0;
  for (let k = 0; k < K; k++) {
    const y = sens.outputs.subarray(k * d, (k + 1) * d);
    for (let j = 0; j < m; j++) {
      const observed = data.values[k * m + j];
      if (Number.isNaN(observed)) continue;
      const s = problem.series[j];
      const sw = Math.sqrt(scale * s.weight);
      r[q] = sw * ((s.observation ? s.observation.value(data.times[k], y) : y[s.state]) - observed);
      const row = J.subarray(q * n, (q + 1) * n);
      if (s.observation) {
        s.observation.gradient(data.times[k], y, dh);
        for (let i = 0; i < d; i++) {
          if (dh[i] === 0) continue;
          const base = (k * d + i) * n;
          for (let c = 0; c < n; c++) row[c] += dh[i] * sens.jacobian[base + c];
        }
      } else {
        const base = (k * d + s.state) * n;
        for (let c = 0; c < n; c++) row[c] = sens.jacobian[base + c];
      }
      for (let c = 0; c < n; c++) row[c] *= sw * chain[c];
      q++;
    }
  }
  let loss = 0;
  for (let i = 0; i < cells; i++) loss += r[i] * r[i];
  const { fEvals, accepted, rejected } = sens.stats;
  return { r, J, loss, stats: { fEvals, vjpEvals: 0, accepted, rejected, jacobian: 'forward' } };
}

/**
 * The residuals with J row by row: for each observed cell q, the gradient driver with the loss
 * r_q (its value and d r_q / d outputs, nonzero at one output time) gives d r_q / d(y0, p) by one
 * ACA backward pass. Same settings as the forward path (ACA's toleranceFactor, the TypeScript
 * integrator), so both give the same J to round-off.
 */
function reverseResiduals(
  problem: Problem,
  theta: ArrayLike<number>,
  y0: Float64Array,
  params: Float64Array,
  data: NonNullable<Problem['data']>,
  cells: number,
): ResidualEvaluation {
  const d = problem.field.dim;
  const n = problem.free.length;
  const m = problem.series.length;
  const K = data.times.length;
  const scale = (problem.spec.loss?.reduction ?? 'sum') === 'mean' ? 1 / Math.max(cells, 1) : 1;
  const chain = Float64Array.from(problem.free, (free, j) => fittedJacobian(free, theta[j]));
  const r = new Float64Array(cells);
  const J = new Float64Array(cells * n);
  const dh = new Float64Array(d);
  const stats = { fEvals: 0, vjpEvals: 0, accepted: 0, rejected: 0, jacobian: 'reverse' as const };
  let q = 0;
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < m; j++) {
      const observed = data.values[k * m + j];
      if (Number.isNaN(observed)) continue;
      const s = problem.series[j];
      const sw = Math.sqrt(scale * s.weight);
      const t = data.times[k];
      // The loss r_q: one residual, linear in the output row k through h's gradient.
      const loss = (outputs: Float64Array, _times: Float64Array, grad: Float64Array): number => {
        grad.fill(0);
        const y = outputs.subarray(k * d, (k + 1) * d);
        if (s.observation) {
          s.observation.gradient(t, y, dh);
          for (let i = 0; i < d; i++) grad[k * d + i] = sw * dh[i];
          return sw * (s.observation.value(t, y) - observed);
        }
        grad[k * d + s.state] = sw;
        return sw * (y[s.state] - observed);
      };
      const result = gradient(problem.field, y0, {
        ...problem.solver,
        times: data.times,
        t0: problem.t0,
        params,
        loss,
        gradient: problem.gradient,
        backend: 'js',
      });
      r[q] = result.loss;
      const row = J.subarray(q * n, (q + 1) * n);
      problem.free.forEach((free, c) => {
        row[c] = (free.target === 'initial' ? result.dy0[free.index] : result.dp[free.index]) * chain[c];
      });
      stats.fEvals += result.stats.fEvals;
      stats.vjpEvals += result.stats.vjpEvals;
      stats.accepted += result.stats.accepted;
      stats.rejected += result.stats.rejected;
      q++;
    }
  }
  let loss = 0;
  for (let i = 0; i < cells; i++) loss += r[i] * r[i];
  return { r, J, loss, stats };
}
