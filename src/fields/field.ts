/**
 * The vector-field contract (docs/design.md, "Fields"). Everything the solvers and gradient
 * methods need from a model is here; nothing here allocates per call.
 *
 *   f(t, y, p, out)                     out <- f(t, y, p)
 *   vjp(t, y, p, a, outY, outP)         outY <- a^T df/dy (overwritten);  outP += a^T df/dp (added)
 *   jvp(t, y, p, v, vp, out)            out <- df/dy v + df/dp vp (overwritten; vp may be null)
 *   jacobian(t, y, p, outJy, outJp)     outJy <- df/dy (d x d, row-major), outJp <- df/dp (d x P,
 *                                       row-major; may be null when only df/dy is wanted)
 *
 * Only f is required. vjp is needed for reverse-mode gradients; jvp and jacobian are optional
 * speed-ups: implicit solvers, forward sensitivities and least-squares Jacobians obtain them
 * through fields/derivatives.ts, which uses the field's own when present and otherwise assembles
 * them from d VJPs (or d JVPs). Equation models compile all four from the same symbolic
 * derivatives; the N-body and network fields derive them by hand.
 *
 * A field also carries `spec`: plain JSON from which `buildField` (fields/registry.ts) rebuilds
 * the same field inside a worker thread.
 *
 * Optionally a field has a WebAssembly form, `wasm` (wasm/field-source.ts): emitters of f and its
 * VJP into a generated module that runs the whole solve and ACA's backward sweep (src/wasm/,
 * docs/wasm.md). The emitted code must compute what f and vjp compute, operation for operation;
 * equation models and the 3-D N-body field have one, hand-written JavaScript fields, networks and
 * hybrids do not and run in TypeScript.
 */
import type { WasmFieldSource } from '../wasm/field-source.ts';

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
  /**
   * Jacobian-vector product: overwrites out (length d) with df/dy v + df/dp vp. vp (length P) may
   * be null, meaning zero. Optional (fields/derivatives.ts assembles it otherwise).
   */
  jvp?(
    t: number,
    y: Float64Array,
    p: Float64Array,
    v: Float64Array,
    vp: Float64Array | null,
    out: Float64Array,
  ): void;
  /**
   * The Jacobians at (t, y, p): overwrites outJy (d x d, row-major: outJy[i d + j] = df_i/dy_j)
   * and, when given, outJp (d x P, row-major). Optional (fields/derivatives.ts assembles it).
   */
  jacobian?(t: number, y: Float64Array, p: Float64Array, outJy: Float64Array, outJp: Float64Array | null): void;
  /** The field's WebAssembly form, when it has one (see the header). */
  readonly wasm?: WasmFieldSource;
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
