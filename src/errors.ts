/**
 * Errors as classes with a stable `code`, so callers (the CLI, the worker pool, tests) can branch
 * on the kind of failure without parsing messages. Every message names the quantity at fault, its
 * value and what would have been allowed.
 */
export class AcaError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An argument with a value outside what is allowed; `argument` is its name (a dotted path). */
export class InvalidArgumentError extends AcaError {
  readonly argument: string;
  readonly value: unknown;
  constructor(argument: string, value: unknown, allowed: string) {
    super('ERR_INVALID_ARGUMENT', `invalid ${argument}: ${describeValue(value)} (${allowed})`);
    this.argument = argument;
    this.value = value;
  }
}

/** The controller asked for a step smaller than the smallest the solver may take at t. */
export class StepSizeUnderflowError extends AcaError {
  readonly t: number;
  readonly h: number;
  constructor(t: number, h: number, hmin: number) {
    super(
      'ERR_STEP_SIZE_UNDERFLOW',
      `step size underflow at t = ${t}: h = ${h} is below the smallest allowed step ${hmin} ` +
        `(the problem may be stiff or singular here; loosen rtol/atol or lower minStep)`,
    );
    this.t = t;
    this.h = h;
  }
}

/** The solver took maxSteps steps (accepted and rejected) before reaching the end. */
export class MaxStepsExceededError extends AcaError {
  readonly t: number;
  readonly maxSteps: number;
  constructor(t: number, maxSteps: number, tEnd: number) {
    super(
      'ERR_MAX_STEPS',
      `maximum number of steps (${maxSteps}) exceeded at t = ${t} before reaching t = ${tEnd} ` +
        `(raise maxSteps, or loosen rtol/atol)`,
    );
    this.t = t;
    this.maxSteps = maxSteps;
  }
}

/** A state or derivative component became NaN or infinite. */
export class NonFiniteError extends AcaError {
  readonly t: number;
  readonly index: number;
  readonly what: string;
  constructor(what: string, t: number, index: number, value: number) {
    super(
      'ERR_NON_FINITE',
      `non-finite ${what} at t = ${t}: component ${index} is ${value}`,
    );
    this.t = t;
    this.index = index;
    this.what = what;
  }
}

/**
 * The loss, its gradient at the outputs, or the gradient itself is NaN or infinite: a gradient
 * failure, never a result (printed as `null` it would look like one). `what` names the quantity
 * (e.g. 'dL/dp', 'loss gradient dL/dy'), `t` the time it belongs to and `index` its component.
 */
export class NonFiniteGradientError extends AcaError {
  readonly t: number;
  readonly index: number;
  readonly what: string;
  constructor(what: string, t: number, index: number, value: number, hint = '') {
    super(
      'ERR_NON_FINITE_GRADIENT',
      `gradient failure: non-finite ${what} at t = ${t}: component ${index} is ${value}` + (hint ? ` (${hint})` : ''),
    );
    this.t = t;
    this.index = index;
    this.what = what;
  }
}

/**
 * The continuous adjoint's backward solve reconstructs y(t) instead of storing it; on a
 * contracting flow (a stable limit cycle, damping) that reconstruction expands backwards and
 * leaves the forward trajectory. Raised when it drifts beyond `limit` times the tolerance at an
 * output time, or when the backward solve fails outright.
 */
export class AdjointDriftError extends AcaError {
  readonly t: number;
  readonly drift: number;
  readonly limit: number;
  constructor(t: number, drift: number, limit: number, cause?: string) {
    super(
      'ERR_ADJOINT_DRIFT',
      (cause
        ? `the continuous adjoint's backward solve failed at t = ${t} (${cause}): its reconstruction of y left the forward solution`
        : `the continuous adjoint's reconstruction of y drifted from the forward solution at t = ${t}: ` +
          `${drift.toPrecision(3)} times the tolerance (allowed: ${limit}, gradient.maxDrift)`) +
        "; its gradient would be wrong. Use gradient method 'aca' (exact on the forward steps)",
    );
    this.t = t;
    this.drift = drift;
    this.limit = limit;
  }
}

/** The gradient did not reach the requested accuracy within the allowed refinements. */
export class GradientAccuracyError extends AcaError {
  readonly estimate: number;
  readonly requested: number;
  constructor(requested: number, estimate: number, refinements: number, toleranceFactor: number) {
    super(
      'ERR_GRADIENT_ACCURACY',
      `gradient accuracy ${requested} not reached: after ${refinements} refinements (tolerance x ${toleranceFactor}) ` +
        `successive gradients still differ by ${estimate.toPrecision(3)} (raise gradient.maxRefinements or gradient.accuracy)`,
    );
    this.estimate = estimate;
    this.requested = requested;
  }
}

/**
 * An explicit method's steps were held on its stability boundary by a stiff problem (Hairer's
 * test, solvers/stiffness.ts): it would crawl on (to maxSteps) and its gradients through ACA would
 * be wrong. Names the implicit methods to use instead.
 */
export class StiffnessDetectedError extends AcaError {
  readonly t: number;
  readonly method: string;
  readonly steps: number;
  constructor(t: number, method: string, hLambda: number, steps: number, implicitMethods: readonly string[]) {
    super(
      'ERR_STIFF',
      `the problem is stiff at t = ${t}: ${method}'s last ${steps} steps sat on its stability boundary ` +
        `(h * |lambda| about ${hLambda.toPrecision(3)}), so an explicit method crawls and its ACA gradient ` +
        `is unstable; use an implicit method: solver.method = ${implicitMethods.map((m) => `'${m}'`).join(' or ')}` +
        ` (or set stiffnessCheck: false to continue anyway)`,
    );
    this.t = t;
    this.method = method;
    this.steps = steps;
  }
}

/**
 * ACA's backward pass through an explicit method grew the adjoint explosively: the discrete map
 * with the steps held fixed is unstable (a stiff problem), so its exact derivative is not the
 * derivative of the solution. No gradient is returned.
 */
export class UnstableAdjointError extends AcaError {
  readonly t: number;
  readonly growth: number;
  constructor(t: number, growth: number, method: string, implicitMethods: readonly string[]) {
    super(
      'ERR_UNSTABLE_ADJOINT',
      `ACA's adjoint through ${method} grew by a factor ${growth.toPrecision(3)} down to t = ${t}: ` +
        `the fixed-step discrete map is unstable (the problem is stiff for ${method}), so its derivative ` +
        `is not a gradient of the solution; use an implicit method: ${implicitMethods.map((m) => `'${m}'`).join(' or ')}`,
    );
    this.t = t;
    this.growth = growth;
  }
}

export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as Float64Array).length})`;
  try {
    const s = JSON.stringify(value);
    return s.length > 80 ? s.slice(0, 77) + '...' : s;
  } catch {
    return String(value);
  }
}
