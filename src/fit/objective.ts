/**
 * A problem's loss as a function of theta (the fitted values in fitted coordinates, values.ts):
 * theta -> (y0, p) -> gradient(...) at the data's times -> (loss, dL/dtheta). dL/dy0 and dL/dp
 * come from the problem's gradient settings (ACA by default), passed to the driver unchanged; the
 * chain rule through the transforms is one factor per entry. This is the one path from a spec's
 * problem to a loss and its gradient: `aca grad`, `aca fit` and batch grad and fit runs all call
 * evaluateProblem, so the same spec gives bitwise the same numbers on each.
 */
import { gradient } from '../gradients/gradient.ts';
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
