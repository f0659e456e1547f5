/**
 * The vector-field contract (shared/design/architecture.md). Everything the solvers and gradient
 * methods need from a model is here; nothing here allocates per call.
 *
 *   f(t, y, p, out)                 out <- f(t, y, p)
 *   vjp(t, y, p, a, outY, outP)     outY <- a^T df/dy (overwritten);  outP += a^T df/dp (added)
 *
 * A field also carries `spec`: plain JSON from which `buildField` (fields/registry.ts) rebuilds
 * the same field inside a worker thread.
 */
export interface Field {
  /** Number of state components d. */
  readonly dim: number;
  /** Number of parameters P (the length of p). */
  readonly nParams: number;
  /** Writes f(t, y, p) into out (length dim). Must not allocate. */
  f(t: number, y: Float64Array, p: Float64Array, out: Float64Array): void;
  /**
   * Vector-Jacobian product at (t, y, p) with cotangent a: overwrites outY with a^T df/dy and ADDS
   * a^T df/dp to outP. Optional: fields without it can be solved but not differentiated.
   */
  vjp?(
    t: number,
    y: Float64Array,
    p: Float64Array,
    a: Float64Array,
    outY: Float64Array,
    outP: Float64Array,
  ): void;
  /** Serialisable description (JSON) that rebuilds this field: see fields/registry.ts. */
  readonly spec?: FieldSpec;
  /** Names of the state components and parameters, for output tables. */
  readonly stateNames?: readonly string[];
  readonly paramNames?: readonly string[];
}

/** A JSON description of a field; `kind` selects the builder in fields/registry.ts. */
export interface FieldSpec {
  readonly kind: string;
  readonly [key: string]: unknown;
}
