/**
 * The WebAssembly back end's JavaScript side: which back end a solve uses ('auto' picks
 * WebAssembly when the field has a WebAssembly form and the method is supported, and says why
 * not otherwise), the module cache (one compiled module per field object and method, so a worker,
 * which caches its fields by the model's hash, also reuses their modules), and the calls: the
 * first stage and Hairer's initial step in TypeScript (two f evaluations, identical to the
 * TypeScript path's), then one exported call for the whole solve, and one for ACA's backward
 * sweep. Errors come back as status codes and are raised as the same typed errors.
 */
import {
  AcaError,
  InvalidArgumentError,
  MaxStepsExceededError,
  NonFiniteError,
  StepSizeUnderflowError,
} from '../errors.ts';
import type { Field } from '../fields/field.ts';
import { nonFiniteAdjoint } from '../gradients/aca.ts';
import { initialStepSize } from '../solvers/controller.ts';
import type { PreparedMethod } from '../solvers/methods.ts';
import type { ResolvedOptions } from '../solvers/options.ts';
import { H, Status, layout, type Layout } from './layout.ts';
import { buildSolverModule, unsupportedMethod } from './solver.ts';

/**
 * The few WebAssembly JS-API members used here, typed locally: the project's TypeScript
 * configuration has no DOM library, and @types/node 20 does not declare the global.
 */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}
const WASM = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

export type Backend = 'auto' | 'js' | 'wasm';
export const BACKENDS: readonly Backend[] = ['auto', 'js', 'wasm'];

/** The back end a run used, and why not WebAssembly when it did not. */
export interface BackendChoice {
  readonly backend: 'js' | 'wasm';
  readonly reason?: string;
}

/** Why (field, method) has no WebAssembly path, or null when it has. */
export function wasmUnsupported(field: Field, method: PreparedMethod, needVjp: boolean): string | null {
  if (WASM === undefined) return 'WebAssembly is not available in this runtime';
  if (!field.wasm) return 'the field has no WebAssembly form (hand-written JavaScript fields, networks and hybrids run in TypeScript)';
  if (needVjp && !field.wasm.emitVjp) return "the field's WebAssembly form has no VJP";
  return unsupportedMethod(method);
}

/** Chooses the back end for a run; an explicit 'wasm' that cannot be honoured is an error. */
export function chooseBackend(field: Field, options: ResolvedOptions, requested: Backend | undefined, needVjp: boolean): BackendChoice {
  const want = requested ?? 'auto';
  if (!BACKENDS.includes(want)) throw new InvalidArgumentError('backend', requested, "'auto', 'js' or 'wasm'");
  if (want === 'js') return { backend: 'js', reason: "backend: 'js' was asked for" };
  const why = wasmUnsupported(field, options.method, needVjp);
  if (why === null && want === 'auto' && options.stiffnessCheck && field.wasm?.mayBeStiff !== false) {
    // A stiff problem must stop with StiffnessDetectedError (and ACA's adjoint-growth check), not
    // crawl or return a gradient of an unstable map: those checks live in the TypeScript loop.
    return {
      backend: 'js',
      reason: "this field may be stiff and the stiffness test runs in TypeScript (backend: 'wasm', or stiffnessCheck: false, chooses WebAssembly)",
    };
  }
  if (why === null) return { backend: 'wasm' };
  if (want === 'wasm') throw new InvalidArgumentError('backend', 'wasm', `a back end this problem supports: ${why}`);
  return { backend: 'js', reason: why };
}

/** A compiled module for one field and method, with its memory. */
export class WasmSolver {
  readonly layout: Layout;
  readonly memory: WasmMemory;
  private readonly solveFn: () => void;
  private readonly backwardFn: (() => void) | null;
  /**
   * Set by a gradient between its forward solve and its backward sweep, while the checkpoints
   * live in this module's memory: a solve of the same field meanwhile (say, from inside the loss)
   * gets a module of its own instead of overwriting them.
   */
  busy = false;
  /** Milliseconds spent generating the bytes and compiling them (paid once per field and method). */
  readonly buildMs: number;
  readonly bytes: number;

  constructor(readonly field: Field, readonly method: PreparedMethod, withVjp: boolean) {
    const start = performance.now();
    this.layout = layout(field.dim, field.nParams, method.stages);
    const bytes = buildSolverModule(field.wasm!, method, this.layout, withVjp);
    const math: Record<string, (...x: number[]) => number> = {};
    for (const name of field.wasm!.imports) math[name] = (Math as unknown as Record<string, (...x: number[]) => number>)[name];
    const module = new WASM!.Module(bytes);
    const instance = new WASM!.Instance(module, { math });
    const exports = instance.exports as { memory: WasmMemory; solve: () => void; backward?: () => void };
    this.memory = exports.memory;
    this.solveFn = exports.solve;
    this.backwardFn = exports.backward ?? null;
    this.bytes = bytes.length;
    this.buildMs = performance.now() - start;
  }

  get hasBackward(): boolean {
    return this.backwardFn !== null;
  }

  /** Float64 view of the whole memory (renewed after the memory grows). */
  private view(): Float64Array {
    return new Float64Array(this.memory.buffer);
  }

  /**
   * The forward solve (integrator.ts, bit for bit). With `record`, keeps the checkpoints that
   * backward() needs. Throws the errors of errors.ts.
   */
  solve(options: ResolvedOptions, y0: ArrayLike<number>, record: boolean): WasmForward {
    const { field, method } = this;
    const L = this.layout;
    const d = L.d;
    const times = options.times;
    const nT = times.length;
    const TIMES = L.DYNAMIC;
    const OUT = TIMES + 8 * nT;
    const OUT_STEP = OUT + 8 * nT * d;
    const OUT_THETA = OUT_STEP + 8 * nT;
    const G = OUT_THETA + 8 * nT;
    const CKPT = G + 8 * nT * d;
    // Room for the regions and some checkpoints; the module doubles the memory when it needs more.
    const need = CKPT + (record ? 64 * 8 * L.checkpointSlots : 0);
    const have = this.memory.buffer.byteLength;
    if (need > have) this.memory.grow(Math.ceil((need - have) / 65536));
    let mem = this.view();
    const p = options.params;
    mem.set(p, L.P / 8);
    mem.set(options.rtol, L.RTOL / 8);
    mem.set(options.atol, L.ATOL / 8);
    mem.set(times, TIMES / 8);
    const y = mem.subarray(L.Y / 8, L.Y / 8 + d);
    y.set(y0);
    const stats = { accepted: 0, rejected: 0, fEvals: 0 };
    mem[H.CHECKPOINTS] = 0;
    // Outputs at t0 (integrator.ts emitOutputsAtStart).
    const t0 = options.t0;
    let next = 0;
    while (next < nT && times[next] === t0) {
      mem.set(y, OUT / 8 + next * d);
      mem[OUT_STEP / 8 + next] = -1;
      mem[OUT_THETA / 8 + next] = 0;
      next++;
    }
    const result = (): WasmForward => {
      const m = this.view();
      return {
        outputs: m.slice(OUT / 8, OUT / 8 + nT * d),
        outputStep: Int32Array.from(m.subarray(OUT_STEP / 8, OUT_STEP / 8 + nT)),
        outputTheta: m.slice(OUT_THETA / 8, OUT_THETA / 8 + nT),
        stats,
        checkpoints: record ? m[H.CHECKPOINTS] : 0,
        regions: { G, CKPT, nT },
      };
    };
    if (t0 === options.t1) return result();

    // K_0 = f(t0, y0) and the first step, in TypeScript as integrator.ts does them.
    const K0 = mem.subarray(L.K / 8, L.K / 8 + d);
    field.f(t0, y, p, K0);
    stats.fEvals++;
    for (let i = 0; i < d; i++) if (!Number.isFinite(K0[i])) throw new NonFiniteError('derivative', t0, i, K0[i]);
    let h: number;
    if (!Number.isNaN(options.firstStep)) h = options.firstStep;
    else {
      const scratch: [Float64Array, Float64Array] = [mem.subarray(L.STAGE / 8, L.STAGE / 8 + d), new Float64Array(d)];
      h = initialStepSize(field, t0, y, K0, p, options.direction, method.order, options.rtol, options.atol, scratch);
      stats.fEvals++;
    }
    h = Math.min(Math.max(h, options.minStep), options.maxStep, Math.abs(options.t1 - t0));
    const q = method.errorOrder;
    const ctl = options.controller;
    const hdr: [number, number][] = [
      [H.T0, t0], [H.T1, options.t1], [H.DIR, options.direction], [H.H0, h],
      [H.MAX_STEP, options.maxStep], [H.MIN_STEP, options.minStep],
      // An i32 in the module (more attempts than 2^31 - 1 are out of reach anyway).
      [H.MAX_STEPS, Math.min(options.maxSteps, 0x7fffffff)],
      [H.N_TIMES, nT], [H.NEXT_OUTPUT, next], [H.LAND, options.landOnOutputs ? 1 : 0], [H.RECORD, record ? 1 : 0],
      [H.SAFETY, ctl.safety], [H.FACTOR_MIN, ctl.factorMin], [H.FACTOR_MAX, ctl.factorMax], [H.PI, ctl.kind === 'pi' ? 1 : 0],
      [H.EXP_I, -1 / (q + 1)], [H.EXP_P1, -0.7 / (q + 1)], [H.EXP_P2, 0.4 / (q + 1)],
      [H.TIMES, TIMES], [H.OUT, OUT], [H.OUT_STEP, OUT_STEP], [H.OUT_THETA, OUT_THETA], [H.CKPT, CKPT], [H.G, G],
      [H.F_EVALS_IN, stats.fEvals],
    ];
    for (const [slot, value] of hdr) mem[slot] = value;
    this.solveFn();
    mem = this.view();
    stats.accepted = mem[H.ACCEPTED];
    stats.rejected = mem[H.REJECTED];
    stats.fEvals = mem[H.F_EVALS];
    const status = mem[H.STATUS];
    if (status === Status.Underflow && mem[H.NF_FLAG] === 1) throw this.nonFiniteTrial(mem);
    if (status !== Status.Ok) throw statusError(status, mem, options);
    return result();
  }

  /**
   * integrator.ts findNonFinite for the last rejected trial: the first non-finite stage component
   * (at its stage time), else of y_new, else the error estimate itself.
   */
  private nonFiniteTrial(mem: Float64Array): NonFiniteError {
    const { method } = this;
    const { d, K } = this.layout;
    const s = method.stages;
    const t = mem[H.NF_T];
    const hs = mem[H.NF_H];
    for (let j = 0; j < s; j++) {
      const at = (j === 0 ? mem[H.K0_PTR] : j === s - 1 ? mem[H.KL_PTR] : K + 8 * j * d) / 8;
      for (let i = 0; i < d; i++) {
        if (!Number.isFinite(mem[at + i])) return new NonFiniteError('derivative', t + method.c[j] * hs, i, mem[at + i]);
      }
    }
    const yNew = mem[H.YNEW_PTR] / 8;
    for (let i = 0; i < d; i++) if (!Number.isFinite(mem[yNew + i])) return new NonFiniteError('state', t + hs, i, mem[yNew + i]);
    return new NonFiniteError('error estimate', t, 0, mem[H.NF_ERR]);
  }

  /**
   * ACA's backward pass over the checkpoints of the last recorded solve: g is dL/d(outputs);
   * returns dL/dy0 and adds dL/dp into dp.
   */
  backward(forward: WasmForward, g: Float64Array, dy0: Float64Array, dp: Float64Array): { vjpEvals: number } {
    if (!this.backwardFn) throw new Error('internal error: module built without backward()');
    const L = this.layout;
    let mem = this.view();
    mem.set(g, forward.regions.G / 8);
    mem.fill(0, L.ADJ / 8, L.ADJ / 8 + L.d);
    mem.fill(0, L.DP / 8, L.DP / 8 + L.nP);
    mem[H.G] = forward.regions.G;
    mem[H.CKPT] = forward.regions.CKPT;
    mem[H.N_TIMES] = forward.regions.nT;
    mem[H.CHECKPOINTS] = forward.checkpoints;
    this.backwardFn();
    mem = this.view();
    if (mem[H.STATUS] !== Status.Ok) throw nonFiniteAdjoint(mem.subarray(L.YB / 8, L.YB / 8 + L.d), mem[H.E_T]);
    dy0.set(mem.subarray(L.ADJ / 8, L.ADJ / 8 + L.d));
    const grad = mem.subarray(L.DP / 8, L.DP / 8 + L.nP);
    for (let j = 0; j < L.nP; j++) dp[j] += grad[j];
    return { vjpEvals: mem[H.VJP_EVALS] };
  }

  /** The accepted steps (start times and signed sizes) of the last recorded solve. */
  acceptedSteps(forward: WasmForward): { t: Float64Array; h: Float64Array } {
    const mem = this.view();
    const n = forward.checkpoints;
    const stride = this.layout.checkpointSlots;
    const base = forward.regions.CKPT / 8;
    const t = new Float64Array(n);
    const h = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      t[i] = mem[base + i * stride];
      h[i] = mem[base + i * stride + 1];
    }
    return { t, h };
  }
}

export interface WasmForward {
  readonly outputs: Float64Array;
  readonly outputStep: Int32Array;
  readonly outputTheta: Float64Array;
  readonly stats: { accepted: number; rejected: number; fEvals: number };
  /** Checkpoints kept (one per accepted step when recording). */
  readonly checkpoints: number;
  readonly regions: { readonly G: number; readonly CKPT: number; readonly nT: number };
}

function statusError(status: number, mem: Float64Array, options: ResolvedOptions): AcaError {
  switch (status) {
    case Status.MaxSteps:
      return new MaxStepsExceededError(mem[H.E_T], options.maxSteps, options.t1);
    case Status.Underflow:
      return new StepSizeUnderflowError(mem[H.E_T], mem[H.E_H], mem[H.E_LIMIT]);
    case Status.NonFinite:
      return new NonFiniteError(mem[H.E_WHAT] === 1 ? 'state' : 'derivative', mem[H.E_T], mem[H.E_INDEX], mem[H.E_VALUE]);
    default:
      return new InvalidArgumentError('checkpoint memory', mem[H.E_T], 'WebAssembly memory enough for the checkpoints (4 GiB at most)');
  }
}

const cache = new WeakMap<Field, Map<string, WasmSolver>>();

/**
 * The compiled module for (field, method), built on first use and cached on the field object.
 * A module with backward() serves plain solves too, so `withVjp` requests only upgrade it.
 */
export function wasmSolver(field: Field, method: PreparedMethod, withVjp: boolean): WasmSolver {
  let byMethod = cache.get(field);
  if (!byMethod) cache.set(field, (byMethod = new Map()));
  const cached = byMethod.get(method.name);
  if (cached?.busy) return new WasmSolver(field, method, withVjp);
  if (cached && (cached.hasBackward || !withVjp)) return cached;
  // A field with a VJP gets backward() from the start: one build serves solves and gradients.
  const solver = new WasmSolver(field, method, withVjp || field.wasm!.emitVjp !== undefined);
  byMethod.set(method.name, solver);
  return solver;
}
