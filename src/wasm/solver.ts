/**
 * The generated WebAssembly solver: one module per (field, tableau) holding the field's f and VJP
 * (field-source.ts), controllerPow (pow.ts), the adaptive loop of solvers/integrator.ts for an
 * explicit FSAL tableau with its own dense output (dopri5, tsit5), and ACA's backward sweep
 * (gradients/aca.ts with step-adjoint.ts). The tableau's coefficients come from the same
 * PreparedMethod the TypeScript stepper runs, and every sum is emitted in the order stepper.ts,
 * controller.ts, integrator.ts and step-adjoint.ts evaluate it, so the two paths take the same
 * steps and agree to the last bit (tests/wasm/). Vectors are loops over the components (never
 * unrolled: issue 19 measured straight-line code losing to loops at 50 bodies).
 *
 * Exports: solve() runs the loop from the state, first stage K_0 = f(t0, y0) and first step that
 * the driver (backend.ts) wrote into memory, writes the outputs, and when the header's RECORD is
 * set keeps one checkpoint per accepted step (t, h, y, Y_1..Y_{s-1}); backward() then turns the
 * loss gradient at the outputs into dL/dy0 (in ADJ) and dL/dp (added to DP). Errors come back
 * as a status in the header (layout.ts), raised as the errors of errors.ts by the driver.
 */
import type { PreparedMethod } from '../solvers/methods.ts';
import { Body, F64, I32, ModuleBuilder, V128 } from './encoder.ts';
import { F_PARAMS, VJP_PARAMS, type WasmFieldSource } from './field-source.ts';
import { H, Status, type Layout } from './layout.ts';
import { emitPow } from './pow.ts';

/** Why a method cannot be generated, or null when it can. */
export function unsupportedMethod(method: PreparedMethod): string | null {
  if (!method.adaptive) return `method ${method.name} is fixed-step (the WebAssembly back end runs adaptive FSAL methods: dopri5, tsit5)`;
  if (!method.fsal || method.denseNeedsExtraStage || method.e3 !== null) {
    return `method ${method.name} is not an FSAL method with its own dense output (the WebAssembly back end runs dopri5 and tsit5)`;
  }
  const s = method.stages;
  if (method.b[s - 1] !== 0) return `method ${method.name}: b[s-1] != 0`;
  for (let l = 0; l < s - 1; l++) {
    if (method.a[(s - 1) * method.denseStages + l] !== method.b[l]) return `method ${method.name}: last row of a is not b`;
  }
  return null;
}

/** A vector in memory: at a fixed byte offset, or at the address held by an i32 local. */
type Vec = { readonly fixed: number } | { readonly ptr: number };

/** The module's bytes. `withVjp` adds backward() (the field must have emitVjp). */
export function buildSolverModule(source: WasmFieldSource, method: PreparedMethod, L: Layout, withVjp: boolean): Uint8Array {
  const mod = new ModuleBuilder();
  const mathIndex = new Map<string, number>();
  for (const name of source.imports) {
    const binary = name === 'pow';
    mathIndex.set(name, mod.import({ module: 'math', name, params: binary ? [F64, F64] : [F64], results: [F64] }));
  }
  const math = (name: string) => {
    const k = mathIndex.get(name);
    if (k === undefined) throw new Error(`internal error: math.${name} not imported`);
    return k;
  };
  const f = mod.declare([...F_PARAMS], []);
  source.emitF(f, math);
  let vjp: Body | null = null;
  if (withVjp) {
    vjp = mod.declare([...VJP_PARAMS], []);
    source.emitVjp!(vjp, math);
  }
  const pow = mod.declare([F64, F64], [F64]);
  emitPow(pow);
  const findNonFinite = mod.declare([I32, I32], [I32]);
  emitFindNonFinite(findNonFinite);
  const solve = mod.declare([], []);
  new SolveEmitter(solve, method, L, mod.indexOf(f), mod.indexOf(pow), mod.indexOf(findNonFinite)).emit();
  mod.export('solve', solve);
  if (vjp) {
    const backward = mod.declare([], []);
    new BackwardEmitter(backward, method, L, mod.indexOf(vjp), mod.indexOf(findNonFinite)).emit();
    mod.export('backward', backward);
  }
  mod.export('pow', pow);
  return mod.encode(Math.max(1, Math.ceil(L.DYNAMIC / 65536)));
}

/** findNonFinite(ptr, n8): the index of the first non-finite Float64 at ptr..ptr+n8, or -1. */
function emitFindNonFinite(b: Body): void {
  const i = b.local(I32);
  const v = b.local(F64);
  b.block().loop();
  b.get(i).get(1).i32GeS().brIf(1);
  b.get(0).get(i).i32Add().f64Load(0).tee(v).get(v).f64Sub().f64(0).f64Ne().if();
  b.get(i).i32(3).i32ShrU().return();
  b.end();
  b.get(i).i32(8).i32Add().set(i);
  b.br(0);
  b.end().end();
  b.i32(-1);
}

/** Shared helpers of the two emitters. */
class Emitter {
  /** The component loop's byte offset. */
  protected readonly i: number;
  protected readonly n8: number;

  constructor(protected readonly b: Body, protected readonly method: PreparedMethod, protected readonly L: Layout) {
    this.i = b.local(I32);
    this.n8 = 8 * L.d;
  }

  protected hdr(slot: number): Body {
    return this.b.i32(0).f64Load(8 * slot);
  }

  protected setHdr(slot: number, value: () => void): void {
    this.b.i32(0);
    value();
    this.b.f64Store(8 * slot);
  }

  protected hdrPtr(slot: number, local: number): void {
    this.hdr(slot).i32TruncF64S().set(local);
  }

  protected load(v: Vec): Body {
    const b = this.b;
    if ('fixed' in v) return b.get(this.i).f64Load(v.fixed);
    return b.get(v.ptr).get(this.i).i32Add().f64Load(0);
  }

  protected store(v: Vec, value: () => void): void {
    const b = this.b;
    if ('fixed' in v) b.get(this.i);
    else b.get(v.ptr).get(this.i).i32Add();
    value();
    b.f64Store('fixed' in v ? v.fixed : 0);
  }

  /** Two lanes at component i (v128). */
  protected load2(v: Vec): Body {
    const b = this.b;
    if ('fixed' in v) return b.get(this.i).v128Load(v.fixed);
    return b.get(v.ptr).get(this.i).i32Add().v128Load(0);
  }

  protected store2(v: Vec, value: () => void): void {
    const b = this.b;
    if ('fixed' in v) b.get(this.i);
    else b.get(v.ptr).get(this.i).i32Add();
    value();
    b.v128Store('fixed' in v ? v.fixed : 0);
  }

  /**
   * The component loop two lanes at a time (f64x2), then the last component alone when d is odd:
   * body2() handles lanes i, i+1, body1() component i. Each lane rounds as the scalar code does,
   * so the results are those of forEach(body1).
   */
  protected forEach2(body2: () => void, body1: () => void): void {
    const b = this.b;
    if (this.L.d < 2) {
      this.forEach(body1);
      return;
    }
    b.i32(0).set(this.i);
    b.loop();
    body2();
    b.get(this.i).i32(16).i32Add().tee(this.i).i32(this.n8 - 16).i32LeS().brIf(0);
    b.end();
    if (this.L.d % 2 === 1) body1(); // i = 8 (d - 1) here
  }

  /** for (i = 0; i < 8 d; i += 8) body()  (d >= 1, so a do-while). */
  protected forEach(body: () => void): void {
    const b = this.b;
    b.i32(0).set(this.i);
    b.loop();
    body();
    b.get(this.i).i32(8).i32Add().tee(this.i).i32(this.n8).i32LtS().brIf(0);
    b.end();
  }

  /** Address of stage K_j (fixed; the FSAL pair K_0, K_{s-1} is swapped by the solver). */
  protected kFixed(j: number): Vec {
    return { fixed: this.L.K + j * this.n8 };
  }
}

class SolveEmitter extends Emitter {
  private readonly L_ = {
    t: 0, t1: 0, dir: 0, h: 0, hs: 0, target: 0, err: 0, errPrev: 0, tNew: 0, sum: 0, probe: 0, factor: 0,
    maxStep: 0, minStep: 0, theta: 0, safety: 0, fmin: 0, fmax: 0, expI: 0, expP1: 0, expP2: 0, tk: 0, w: 0,
    nfT: 0, nfH: 0, nfErr: 0, nf: 0,
    landing: 0, acc: 0, rej: 0, fEvals: 0, maxSteps: 0, nT: 0, next: 0, land: 0, record: 0, pi: 0,
    yP: 0, ynP: 0, k0P: 0, kLP: 0, ckPtr: 0, ckBase: 0, timesP: 0, outP: 0, oStepP: 0, oThetaP: 0, k: 0, rowP: 0, tmp: 0, idx: 0,
  };
  private readonly weights: number[] = [];
  private readonly weights2: number[] = [];
  private readonly denseW: number[] = [];

  constructor(
    b: Body,
    method: PreparedMethod,
    L: Layout,
    private readonly fIndex: number,
    private readonly powIndex: number,
    private readonly findIndex: number,
  ) {
    super(b, method, L);
    const f64 = ['t', 't1', 'dir', 'h', 'hs', 'target', 'err', 'errPrev', 'tNew', 'sum', 'probe', 'factor', 'maxStep', 'minStep', 'theta', 'safety', 'fmin', 'fmax', 'expI', 'expP1', 'expP2', 'tk', 'w', 'nfT', 'nfH', 'nfErr'] as const;
    for (const name of f64) this.L_[name] = b.local(F64);
    const i32 = ['landing', 'acc', 'rej', 'fEvals', 'maxSteps', 'nT', 'next', 'land', 'record', 'pi', 'yP', 'ynP', 'k0P', 'kLP', 'ckPtr', 'ckBase', 'timesP', 'outP', 'oStepP', 'oThetaP', 'k', 'rowP', 'tmp', 'idx', 'nf'] as const;
    for (const name of i32) this.L_[name] = b.local(I32);
    const maxTerms = Math.max(method.eCol.length, ...Array.from({ length: method.stages }, (_, j) => method.aStart[j + 1] - method.aStart[j]));
    for (let k = 0; k < maxTerms; k++) this.weights.push(b.local(F64));
    for (let k = 0; k < maxTerms; k++) this.weights2.push(b.local(V128));
    for (let j = 0; j < method.denseStages; j++) this.denseW.push(b.local(F64));
  }

  /** Stage j's vector: K_0 and K_{s-1} through their swapped pointers. */
  private K(j: number): Vec {
    const s = this.method.stages;
    if (j === 0) return { ptr: this.L_.k0P };
    if (j === s - 1) return { ptr: this.L_.kLP };
    return this.kFixed(j);
  }

  emit(): void {
    const { b, L, method } = this;
    const v = this.L_;
    const s = method.stages;
    // Inputs.
    this.hdr(H.T0).set(v.t);
    this.hdr(H.T1).set(v.t1);
    this.hdr(H.DIR).set(v.dir);
    this.hdr(H.H0).set(v.h);
    this.hdr(H.MAX_STEP).set(v.maxStep);
    this.hdr(H.MIN_STEP).set(v.minStep);
    this.hdrPtr(H.MAX_STEPS, v.maxSteps);
    this.hdrPtr(H.N_TIMES, v.nT);
    this.hdrPtr(H.NEXT_OUTPUT, v.next);
    this.hdrPtr(H.LAND, v.land);
    this.hdrPtr(H.RECORD, v.record);
    this.hdr(H.SAFETY).set(v.safety);
    this.hdr(H.FACTOR_MIN).set(v.fmin);
    this.hdr(H.FACTOR_MAX).set(v.fmax);
    this.hdrPtr(H.PI, v.pi);
    this.hdr(H.EXP_I).set(v.expI);
    this.hdr(H.EXP_P1).set(v.expP1);
    this.hdr(H.EXP_P2).set(v.expP2);
    this.hdrPtr(H.TIMES, v.timesP);
    this.hdrPtr(H.OUT, v.outP);
    this.hdrPtr(H.OUT_STEP, v.oStepP);
    this.hdrPtr(H.OUT_THETA, v.oThetaP);
    this.hdrPtr(H.CKPT, v.ckPtr);
    this.hdrPtr(H.F_EVALS_IN, v.fEvals);
    b.f64(1).set(v.errPrev);
    b.i32(L.Y).set(v.yP);
    b.i32(L.YNEW).set(v.ynP);
    b.i32(L.K).set(v.k0P);
    b.i32(L.K + (s - 1) * this.n8).set(v.kLP);
    this.setHdr(H.STATUS, () => b.f64(Status.Ok));

    // block $done { loop $step { ... } }: `br depth` to $done exits; each exit writes the stats.
    b.block();
    b.loop();
    // while (t !== tEnd)
    b.get(v.t).get(v.t1).f64Eq().brIf(1);
    // maxSteps
    b.get(v.acc).get(v.rej).i32Add().get(v.maxSteps).i32GeS().if();
    this.fail(Status.MaxSteps, () => b.get(v.t), null, null);
    b.br(2);
    b.end();
    this.emitTarget();
    // hs = dir h; land on the target when within 1% (integrator.ts, Hairer's 1.01).
    b.get(v.dir).get(v.h).f64Mul().set(v.hs);
    b.i32(0).set(v.landing);
    b.get(v.dir).get(v.t).f64(1.01).get(v.hs).f64Mul().f64Add().get(v.target).f64Sub().f64Mul().f64(0).f64Ge().if();
    b.get(v.target).get(v.t).f64Sub().set(v.hs);
    b.i32(1).i32(2).get(v.target).get(v.t1).f64Eq().select().set(v.landing);
    b.end();
    // Underflow checks.
    b.get(v.hs).f64Abs().get(v.minStep).f64Lt().get(v.landing).i32Eqz().i32And().if();
    this.fail(Status.Underflow, () => b.get(v.t), () => b.get(v.hs), () => b.get(v.minStep));
    b.br(2);
    b.end();
    b.get(v.hs).f64Abs().f64(4 * Number.EPSILON).get(v.t).f64Abs().f64Mul().f64Le().if();
    this.fail(Status.Underflow, () => b.get(v.t), () => b.get(v.hs), () => b.f64(4 * Number.EPSILON).get(v.t).f64Abs().f64Mul());
    b.br(2);
    b.end();
    this.emitCheckpointSlot();
    // Stages 1..s-2, then y_new as the last stage's input, then K_{s-1} = f(t + c h, y_new).
    for (let j = 1; j < s; j++) {
      const dest: Vec = j === s - 1 ? { ptr: v.ynP } : { ptr: v.tmp };
      if (j < s - 1) {
        // The stage input goes into the checkpoint when recording, else into the scratch vector.
        b.get(v.record).if();
        b.get(v.ckBase).i32(16 + j * this.n8).i32Add().set(v.tmp);
        b.else();
        b.i32(L.STAGE).set(v.tmp);
        b.end();
      }
      this.emitStageInput(j, dest);
      b.get(v.t).f64(method.c[j]).get(v.hs).f64Mul().f64Add();
      b.get('ptr' in dest ? dest.ptr : 0);
      b.i32(L.P);
      const Kj = this.K(j);
      if ('fixed' in Kj) b.i32(Kj.fixed);
      else b.get(Kj.ptr);
      b.call(this.fIndex);
    }
    b.get(v.fEvals).i32(s - 1).i32Add().set(v.fEvals);
    this.emitErrorNorm();
    // accepted = err <= 1 (NaN rejects)
    b.get(v.err).f64(1).f64Le().if();
    this.emitAccept();
    b.else();
    this.emitReject();
    b.end();
    b.br(0);
    b.end(); // loop
    b.end(); // block
    this.writeStats();
  }

  /** Writes the error status and its data, then the stats (the caller branches out). */
  private fail(status: number, t: () => void, h: (() => void) | null, limit: (() => void) | null): void {
    const b = this.b;
    this.setHdr(H.STATUS, () => b.f64(status));
    this.setHdr(H.E_T, t);
    if (h) this.setHdr(H.E_H, h);
    if (limit) this.setHdr(H.E_LIMIT, limit);
    this.writeStats();
  }

  private writeStats(): void {
    const b = this.b;
    const v = this.L_;
    this.setHdr(H.ACCEPTED, () => b.get(v.acc).f64ConvertI32S());
    this.setHdr(H.REJECTED, () => b.get(v.rej).f64ConvertI32S());
    this.setHdr(H.F_EVALS, () => b.get(v.fEvals).f64ConvertI32S());
    this.setHdr(H.CHECKPOINTS, () => b.get(v.acc).get(v.record).i32Mul().f64ConvertI32S());
    this.setHdr(H.NF_FLAG, () => b.get(v.nf).f64ConvertI32S());
    this.setHdr(H.NF_T, () => b.get(v.nfT));
    this.setHdr(H.NF_H, () => b.get(v.nfH));
    this.setHdr(H.NF_ERR, () => b.get(v.nfErr));
    this.setHdr(H.K0_PTR, () => b.get(v.k0P).f64ConvertI32S());
    this.setHdr(H.KL_PTR, () => b.get(v.kLP).f64ConvertI32S());
    this.setHdr(H.YNEW_PTR, () => b.get(v.ynP).f64ConvertI32S());
  }

  /** target = land ? nextLandingTime() : t1 (integrator.ts). */
  private emitTarget(): void {
    const b = this.b;
    const v = this.L_;
    b.get(v.t1).set(v.target);
    b.get(v.land).if();
    b.get(v.next).set(v.k);
    b.block().loop();
    b.get(v.k).get(v.nT).i32GeS().brIf(1);
    b.get(v.dir);
    this.timeAt(v.k);
    b.get(v.t).f64Sub().f64Mul().f64(0).f64Le().i32Eqz().brIf(1);
    b.get(v.k).i32(1).i32Add().set(v.k);
    b.br(0);
    b.end().end();
    b.get(v.k).get(v.nT).i32LtS().if();
    this.timeAt(v.k);
    b.set(v.target);
    b.end();
    b.end();
  }

  private timeAt(k: number): void {
    this.b.get(this.L_.timesP).get(k).i32(3).i32Shl().i32Add().f64Load(0);
  }

  /** When recording: ckBase = the slot of the step about to be accepted, growing memory by doubling. */
  private emitCheckpointSlot(): void {
    const b = this.b;
    const v = this.L_;
    const stride = 8 * this.L.checkpointSlots;
    b.get(v.record).if();
    b.get(v.ckPtr).get(v.acc).i32(stride).i32Mul().i32Add().set(v.ckBase);
    // pages needed for the end of this slot, against memory.size
    b.get(v.ckBase).i32(stride).i32Add().i32(65535).i32Add().i32(16).i32ShrU().set(v.idx);
    b.get(v.idx).memorySize().i32GtU().if();
    // grow by max(missing, current) pages
    b.get(v.idx).memorySize().i32Sub().tee(v.idx).memorySize().get(v.idx).memorySize().i32GtU().select();
    b.memoryGrow().i32(-1).i32Eq().if();
    this.fail(Status.OutOfMemory, () => b.get(v.t), null, null);
    b.br(4);
    b.end();
    b.end();
    b.end();
  }

  /** dest <- y + hs sum_{l<j} a_jl K_l, in stepper.ts's order: ((y + w0 K0) + w1 K1) + ... */
  private emitStageInput(j: number, dest: Vec): void {
    const { b, method } = this;
    const v = this.L_;
    const k0 = method.aStart[j];
    const k1 = method.aStart[j + 1];
    for (let k = k0; k < k1; k++) {
      b.get(v.hs).f64(method.aVal[k]).f64Mul().tee(this.weights[k - k0]);
      b.f64x2Splat().set(this.weights2[k - k0]);
    }
    this.forEach2(
      () =>
        this.store2(dest, () => {
          this.load2({ ptr: v.yP });
          for (let k = k0; k < k1; k++) {
            b.get(this.weights2[k - k0]);
            this.load2(this.K(method.aCol[k]));
            b.f64x2Mul().f64x2Add();
          }
        }),
      () =>
        this.store(dest, () => {
          this.load({ ptr: v.yP });
          for (let k = k0; k < k1; k++) {
            b.get(this.weights[k - k0]);
            this.load(this.K(method.aCol[k]));
            b.f64Mul().f64Add();
          }
        }),
    );
  }

  /** err = sqrt(sum_i (e_i / (atol_i + rtol_i max(|y_i|, |yNew_i|)))^2 / d), probe = sum yNew. */
  private emitErrorNorm(): void {
    const { b, method, L } = this;
    const v = this.L_;
    const m = method.eCol.length;
    for (let k = 0; k < m; k++) b.get(v.hs).f64(method.eVal[k]).f64Mul().set(this.weights[k]);
    b.f64(0).set(v.sum);
    b.f64(0).set(v.probe);
    const e = v.w;
    const ay = v.tk;
    const an = v.theta;
    this.forEach(() => {
      b.f64(0);
      for (let k = 0; k < m; k++) {
        b.get(this.weights[k]);
        this.load(this.K(method.eCol[k]));
        b.f64Mul().f64Add();
      }
      b.set(e);
      this.load({ ptr: v.ynP }).tee(an).get(v.probe).f64Add().set(v.probe);
      // (probe + yn and yn + probe are the same IEEE sum; integrator.ts adds probe += yn.)
      b.get(an).f64Abs().set(an);
      this.load({ ptr: v.yP }).f64Abs().set(ay);
      b.get(e);
      b.get(this.i).f64Load(L.ATOL);
      b.get(this.i).f64Load(L.RTOL);
      b.get(ay).get(an).get(ay).get(an).f64Gt().select();
      b.f64Mul().f64Add().f64Div().tee(e).get(e).f64Mul().get(v.sum).f64Add().set(v.sum);
    });
    b.get(v.sum).f64(this.L.d).f64Div().f64Sqrt().set(v.err);
  }

  private emitAccept(): void {
    const { b, method, L } = this;
    const v = this.L_;
    const s = method.stages;
    // tNew
    b.get(v.target).get(v.t).get(v.hs).f64Add().get(v.landing).select().set(v.tNew);
    // A non-finite y_new (probe not finite): NonFiniteError('state', tNew, i, value).
    b.get(v.probe).get(v.probe).f64Sub().f64(0).f64Ne().if();
    b.get(v.ynP).i32(this.n8).call(this.findIndex).tee(v.idx).i32(0).i32GeS().if();
    this.setHdr(H.E_WHAT, () => b.f64(1));
    this.setHdr(H.E_INDEX, () => b.get(v.idx).f64ConvertI32S());
    this.setHdr(H.E_VALUE, () => b.get(v.ynP).get(v.idx).i32(3).i32Shl().i32Add().f64Load(0));
    this.fail(Status.NonFinite, () => b.get(v.tNew), null, null);
    b.br(4);
    b.end();
    b.end();
    // Outputs in (t, tNew].
    b.get(v.next).get(v.nT).i32LtS().if();
    b.get(v.dir);
    this.timeAt(v.next);
    b.get(v.tNew).f64Sub().f64Mul().f64(0).f64Le().if();
    this.emitOutputs();
    b.end();
    b.end();
    // Checkpoint: t, h, y, and Y_{s-1} = y_new (Y_1..Y_{s-2} are already in place).
    b.get(v.record).if();
    b.get(v.ckBase).get(v.t).f64Store(0);
    b.get(v.ckBase).get(v.hs).f64Store(8);
    b.get(v.ckBase).i32(16).i32Add().set(v.tmp);
    this.forEach(() => this.store({ ptr: v.tmp }, () => this.load({ ptr: v.yP })));
    b.get(v.ckBase).i32(16 + (s - 1) * this.n8).i32Add().set(v.tmp);
    this.forEach(() => this.store({ ptr: v.tmp }, () => this.load({ ptr: v.ynP })));
    b.end();
    b.get(v.acc).i32(1).i32Add().set(v.acc);
    b.i32(0).set(v.nf);
    b.get(v.tNew).set(v.t);
    b.get(v.yP).set(v.tmp);
    b.get(v.ynP).set(v.yP);
    b.get(v.tmp).set(v.ynP);
    b.get(v.k0P).set(v.tmp);
    b.get(v.kLP).set(v.k0P);
    b.get(v.tmp).set(v.kLP);
    // The new K_0 went into the error estimate unless h e[s-1] is zero (integrator.ts).
    const eLast = method.e![s - 1];
    b.get(v.hs).f64(eLast).f64Mul().f64(0).f64Eq().if();
    b.get(v.k0P).i32(this.n8).call(this.findIndex).tee(v.idx).i32(0).i32GeS().if();
    this.setHdr(H.E_WHAT, () => b.f64(0));
    this.setHdr(H.E_INDEX, () => b.get(v.idx).f64ConvertI32S());
    this.setHdr(H.E_VALUE, () => b.get(v.k0P).get(v.idx).i32(3).i32Shl().i32Add().f64Load(0));
    this.fail(Status.NonFinite, () => b.get(v.t), null, null);
    b.br(4);
    b.end();
    b.end();
    this.emitFactor(true);
    b.get(v.err).f64(1e-4).f64Max().set(v.errPrev);
    b.get(v.hs).f64Abs().get(v.factor).f64Mul().get(v.maxStep).f64Min().set(v.h);
    void L;
  }

  private emitReject(): void {
    const b = this.b;
    const v = this.L_;
    b.get(v.rej).i32(1).i32Add().set(v.rej);
    b.get(v.err).get(v.err).f64Ne().if();
    b.get(v.fmin).set(v.factor);
    b.else();
    this.emitFactor(false);
    b.end();
    // A non-finite trial (err NaN or infinite): remembered, the cause to report if the step
    // underflows before the next acceptance (integrator.ts nonFiniteTrial).
    b.get(v.err).get(v.err).f64Sub().f64(0).f64Ne().set(v.nf);
    b.get(v.t).set(v.nfT);
    b.get(v.hs).set(v.nfH);
    b.get(v.err).set(v.nfErr);
    b.get(v.hs).f64Abs().get(v.factor).f64Mul().set(v.h);
    b.get(v.h).get(v.minStep).f64Lt().if();
    this.fail(Status.Underflow, () => b.get(v.t), () => b.get(v.dir).get(v.h).f64Mul(), () => b.get(v.minStep));
    b.br(3);
    b.end();
  }

  /** factor = stepFactor(ctl, q, err, errPrev, accepted) (controller.ts), term for term. */
  private emitFactor(accepted: boolean): void {
    const b = this.b;
    const v = this.L_;
    b.get(v.err).f64(0).f64Eq().if();
    b.get(v.fmax).set(v.factor);
    b.else();
    if (accepted) {
      b.get(v.pi).if();
      b.get(v.safety).get(v.err).get(v.expP1).call(this.powIndex).f64Mul();
      b.get(v.errPrev).get(v.expP2).call(this.powIndex).f64Mul().set(v.factor);
      b.else();
      b.get(v.safety).get(v.err).get(v.expI).call(this.powIndex).f64Mul().set(v.factor);
      b.end();
    } else {
      b.get(v.safety).get(v.err).get(v.expI).call(this.powIndex).f64Mul().set(v.factor);
    }
    b.end();
    // factor < min ? min : factor > hi ? hi : factor
    const hi = () => (accepted ? b.get(v.fmax) : b.f64(1));
    b.get(v.fmin);
    hi();
    b.get(v.factor);
    b.get(v.factor);
    hi();
    b.f64Gt().select(); // factor > hi ? hi : factor
    b.get(v.factor).get(v.fmin).f64Lt().select().set(v.factor);
  }

  /** integrator.ts emitOutputsInStep: every output time in (t, tNew] from this step. */
  private emitOutputs(): void {
    const { b, method } = this;
    const v = this.L_;
    const sd = method.denseStages;
    const deg = method.denseDegree;
    b.block().loop();
    b.get(v.next).get(v.nT).i32GeS().brIf(1);
    b.get(v.dir);
    this.timeAt(v.next);
    b.get(v.tNew).f64Sub().f64Mul().f64(0).f64Le().i32Eqz().brIf(1);
    b.get(v.next).set(v.k);
    b.get(v.next).i32(1).i32Add().set(v.next);
    this.timeAt(v.k);
    b.set(v.tk);
    b.get(v.oStepP).get(v.k).i32(3).i32Shl().i32Add().get(v.acc).f64ConvertI32S().f64Store(0);
    b.get(v.outP).get(v.k).i32(this.n8).i32Mul().i32Add().set(v.rowP);
    b.get(v.tk).get(v.tNew).f64Eq().if();
    this.forEach(() => this.store({ ptr: v.rowP }, () => this.load({ ptr: v.ynP })));
    b.get(v.oThetaP).get(v.k).i32(3).i32Shl().i32Add().f64(1).f64Store(0);
    b.br(1); // continue
    b.end();
    b.get(v.tk).get(v.t).f64Sub().get(v.hs).f64Div().set(v.theta);
    b.get(v.oThetaP).get(v.k).i32(3).i32Shl().i32Add().get(v.theta).f64Store(0);
    // denseWeights: acc = (acc + coef_k) theta for k = deg-1..0
    for (let j = 0; j < sd; j++) {
      b.f64(0);
      for (let k = deg - 1; k >= 0; k--) b.f64(method.dense[j * deg + k]).f64Add().get(v.theta).f64Mul();
      b.set(this.denseW[j]);
    }
    this.forEach(() => this.store({ ptr: v.rowP }, () => this.load({ ptr: v.yP })));
    for (let j = 0; j < sd; j++) {
      b.get(v.hs).get(this.denseW[j]).f64Mul().tee(v.w).f64(0).f64Ne().if();
      this.forEach(() =>
        this.store({ ptr: v.rowP }, () => {
          this.load({ ptr: v.rowP });
          b.get(v.w);
          this.load(this.K(j));
          b.f64Mul().f64Add();
        }),
      );
      b.end();
    }
    b.br(0);
    b.end().end();
  }
}

/**
 * aca.ts's backward pass over the recorded checkpoints, with the stage inputs kept (the JS path
 * with kept stages performs the same operations; recomputed stages are bitwise the kept ones).
 */
class BackwardEmitter extends Emitter {
  private readonly v = {
    t: 0, h: 0, theta: 0, w: 0,
    i: 0, k: 0, kHi: 0, S: 0, ckBase: 0, gP: 0, oStepP: 0, oThetaP: 0, nT: 0, row: 0, m: 0, vjps: 0, ckPtr: 0,
  };
  private readonly set: number[] = [];
  private readonly dense: number[] = [];
  private readonly gw: number[] = [];
  private readonly gp: number[] = [];

  constructor(b: Body, method: PreparedMethod, L: Layout, private readonly vjpIndex: number, private readonly findIndex: number) {
    super(b, method, L);
    for (const name of ['t', 'h', 'theta', 'w'] as const) this.v[name] = b.local(F64);
    for (const name of ['i', 'k', 'kHi', 'S', 'ckBase', 'gP', 'oStepP', 'oThetaP', 'nT', 'row', 'm', 'vjps', 'ckPtr'] as const) this.v[name] = b.local(I32);
    for (let j = 0; j < method.stages; j++) this.set.push(b.local(I32));
    for (let j = 0; j < method.denseStages; j++) this.dense.push(b.local(F64));
    for (let q = 0; q < method.stages; q++) {
      this.gw.push(b.local(F64));
      this.gp.push(b.local(I32));
    }
  }

  private kbar(j: number): Vec {
    return { fixed: this.L.KBAR + j * this.n8 };
  }

  private ybar(j: number): Vec {
    return { fixed: this.L.YBAR + j * this.n8 };
  }

  /** ADJ += g row k (aca.ts addRow). */
  private addRow(k: number, target: Vec): void {
    const b = this.b;
    const v = this.v;
    b.get(v.gP).get(k).i32(this.n8).i32Mul().i32Add().set(v.row);
    this.forEach(() =>
      this.store(target, () => {
        this.load(target);
        this.load({ ptr: v.row });
        b.f64Add();
      }),
    );
  }

  private stepOf(k: number): void {
    this.b.get(this.v.oStepP).get(k).i32(3).i32Shl().i32Add().f64Load(0).i32TruncF64S();
  }

  private thetaOf(k: number): void {
    this.b.get(this.v.oThetaP).get(k).i32(3).i32Shl().i32Add().f64Load(0);
  }

  emit(): void {
    const { b, method, L } = this;
    const v = this.v;
    const s = method.stages;
    const sd = method.denseStages;
    const ADJ: Vec = { fixed: L.ADJ };
    const YB: Vec = { fixed: L.YB };
    this.setHdr(H.STATUS, () => b.f64(Status.Ok));
    this.hdrPtr(H.G, v.gP);
    this.hdrPtr(H.OUT_STEP, v.oStepP);
    this.hdrPtr(H.OUT_THETA, v.oThetaP);
    this.hdrPtr(H.N_TIMES, v.nT);
    this.hdrPtr(H.CKPT, v.ckPtr);
    b.get(v.nT).i32(1).i32Sub().set(v.k);
    this.hdr(H.CHECKPOINTS).i32TruncF64S().i32(1).i32Sub().set(v.i);
    b.block().loop();
    b.get(v.i).i32(0).i32LtS().brIf(1);
    // Outputs exactly at the end of step i.
    b.block().loop();
    b.get(v.k).i32(0).i32LtS().brIf(1);
    this.stepOf(v.k);
    b.get(v.i).i32Ne().brIf(1);
    this.thetaOf(v.k);
    b.f64(1).f64Ne().brIf(1);
    this.addRow(v.k, ADJ);
    b.get(v.k).i32(1).i32Sub().set(v.k);
    b.br(0);
    b.end().end();
    b.get(v.k).set(v.kHi);
    b.block().loop();
    b.get(v.k).i32(0).i32LtS().brIf(1);
    this.stepOf(v.k);
    b.get(v.i).i32Ne().brIf(1);
    b.get(v.k).i32(1).i32Sub().set(v.k);
    b.br(0);
    b.end().end();
    b.get(v.ckPtr).get(v.i).i32(8 * L.checkpointSlots).i32Mul().i32Add().set(v.ckBase);
    b.get(v.ckBase).f64Load(0).set(v.t);
    b.get(v.ckBase).f64Load(8).set(v.h);
    // S = interior ? s : s - 1 (the FSAL last stage feeds only the dense output)
    b.i32(s).i32(s - 1).get(v.kHi).get(v.k).i32GtS().select().set(v.S);
    // clear Kbar_0..Kbar_{S-1}
    for (let j = 0; j < s; j++) {
      if (j === s - 1) b.get(v.S).i32(s).i32Eq().if();
      this.forEach(() => this.store(this.kbar(j), () => b.f64(0)));
      if (j === s - 1) b.end();
    }
    this.forEach(() => this.store(YB, () => this.load(ADJ)));
    for (let j = 0; j < s - 1; j++) {
      if (method.b[j] === 0) continue;
      b.get(v.h).f64(method.b[j]).f64Mul().tee(v.w).f64(0).f64Ne().if();
      this.forEach(() =>
        this.store(this.kbar(j), () => {
          b.get(v.w);
          this.load(ADJ);
          b.f64Mul();
        }),
      );
      b.end();
    }
    // Dense outputs inside the step: q = kHi .. k+1.
    b.get(v.kHi).set(v.m);
    b.block().loop();
    b.get(v.m).get(v.k).i32LeS().brIf(1);
    this.thetaOf(v.m);
    b.set(v.theta);
    const deg = method.denseDegree;
    for (let j = 0; j < sd; j++) {
      b.f64(0);
      for (let q = deg - 1; q >= 0; q--) b.f64(method.dense[j * deg + q]).f64Add().get(v.theta).f64Mul();
      b.set(this.dense[j]);
    }
    this.addRow(v.m, YB); // sets v.row to g row m
    for (let j = 0; j < s; j++) {
      if (j === s - 1) b.get(v.S).i32(s).i32Eq().if();
      b.get(v.h).get(this.dense[j]).f64Mul().tee(v.w).f64(0).f64Ne().if();
      this.forEach(() =>
        this.store(this.kbar(j), () => {
          this.load(this.kbar(j));
          b.get(v.w);
          this.load({ ptr: v.row });
          b.f64Mul().f64Add();
        }),
      );
      b.end();
      if (j === s - 1) b.end();
    }
    b.get(v.m).i32(1).i32Sub().set(v.m);
    b.br(0);
    b.end().end();
    // The reverse sweep over the stages (step-adjoint.ts).
    for (let j = s - 1; j >= 0; j--) {
      b.i32(0).set(this.set[j]);
      if (j === s - 1) b.get(v.S).i32(s).i32Eq().if();
      this.emitGather(j);
      // nonzero = any Kbar_j[i] != 0
      b.i32(0).set(this.i);
      b.block().loop();
      this.load(this.kbar(j));
      b.f64(0).f64Ne().if().i32(1).set(this.set[j]).br(2).end();
      b.get(this.i).i32(8).i32Add().tee(this.i).i32(this.n8).i32LtS().brIf(0);
      b.end().end();
      b.get(this.set[j]).if();
      b.get(v.t).f64(method.c[j]).get(v.h).f64Mul().f64Add();
      b.get(v.ckBase).i32(16 + j * this.n8).i32Add();
      b.i32(L.P);
      b.i32(L.KBAR + j * this.n8);
      b.i32(L.YBAR + j * this.n8);
      b.i32(L.DP);
      b.call(this.vjpIndex);
      b.get(v.vjps).i32(1).i32Add().set(v.vjps);
      this.forEach(() =>
        this.store(YB, () => {
          this.load(YB);
          this.load(this.ybar(j));
          b.f64Add();
        }),
      );
      b.end();
      if (j === s - 1) b.end();
    }
    // aca.ts: a non-finite adjoint after a step's sweep is a NonFiniteGradientError at its t.
    b.i32(L.YB).i32(this.n8).call(this.findIndex).tee(v.m).i32(0).i32GeS().if();
    this.setHdr(H.STATUS, () => b.f64(Status.NonFinite));
    this.setHdr(H.E_T, () => b.get(v.t));
    this.setHdr(H.E_INDEX, () => b.get(v.m).f64ConvertI32S());
    this.setHdr(H.E_VALUE, () => b.i32(L.YB).get(v.m).i32(3).i32Shl().i32Add().f64Load(0));
    b.return();
    b.end();
    this.forEach(() => this.store(ADJ, () => this.load(YB)));
    b.get(v.i).i32(1).i32Sub().set(v.i);
    b.br(0);
    b.end().end();
    // Outputs at t0.
    b.block().loop();
    b.get(v.k).i32(0).i32LtS().brIf(1);
    this.addRow(v.k, ADJ);
    b.get(v.k).i32(1).i32Sub().set(v.k);
    b.br(0);
    b.end().end();
    this.setHdr(H.VJP_EVALS, () => b.get(v.vjps).f64ConvertI32S());
  }

  /**
   * Kbar_j += h sum a_mj Ybar_m over the rows m > j of column j with m < S and Ybar_m set, four
   * terms per pass in row order (step-adjoint.ts gatherColumn): the selection is made at run
   * time, so the grouping is exactly the TypeScript one.
   */
  private emitGather(j: number): void {
    const { b, method } = this;
    const v = this.v;
    const sd = method.denseStages;
    const rows: { m: number; a: number }[] = [];
    for (let m = j + 1; m < sd; m++) {
      const a = method.a[m * sd + j];
      if (a !== 0) rows.push({ m, a });
    }
    if (rows.length === 0) return;
    b.i32(0).set(v.m);
    for (const { m, a } of rows) {
      // if (m < S && set[m]) { slot[count] = (h a, Ybar_m); count++ }
      b.get(v.S).i32(m).i32GtS().get(this.set[m]).i32And().if();
      for (let q = 0; q < rows.length; q++) {
        b.get(v.m).i32(q).i32Eq().if();
        b.get(v.h).f64(a).f64Mul().set(this.gw[q]);
        b.i32(this.L.YBAR + m * this.n8).set(this.gp[q]);
        b.end();
      }
      b.get(v.m).i32(1).i32Add().set(v.m);
      b.end();
    }
    // Groups of four: terms [4g, min(4g + 4, count)).
    for (let g = 0; 4 * g < rows.length; g++) {
      for (let count = 1; count <= 4 && 4 * g + count <= rows.length; count++) {
        // if (count of this group == count)
        b.get(v.m).i32(4 * g).i32Sub().tee(v.row);
        b.i32(count).i32Eq();
        if (count === 4) b.get(v.row).i32(4).i32GtS().i32Or();
        b.if();
        this.forEach(() =>
          this.store(this.kbar(j), () => {
            this.load(this.kbar(j));
            for (let q = 4 * g; q < 4 * g + count; q++) {
              b.get(this.gw[q]);
              this.load({ ptr: this.gp[q] });
              b.f64Mul();
              if (q > 4 * g) b.f64Add();
            }
            b.f64Add();
          }),
        );
        b.end();
      }
    }
  }
}
