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
