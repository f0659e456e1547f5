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
