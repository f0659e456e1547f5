/**
 * ACA's checkpoint store: for every accepted step its start (t_i, h_i, y_i), N_t (d + 2) numbers
 * in all (docs/design.md, "ACA"), optionally with the step's stage inputs Y_1..Y_{s-1} (then the
 * backward pass needs no recomputation of f) for the first `stageLimitSteps` steps: past that
 * limit only (t, h, y) is kept and the backward pass recomputes those steps' stages. Growable by
 * doubling; `bytes` counts what is held, `allocatedBytes` the buffers as allocated (the peak).
 */
export class CheckpointStore {
  count = 0;
  capacity: number;
  times: Float64Array;
  steps: Float64Array;
  states: Float64Array;
  stages: Float64Array | null;
  /** Steps whose stage inputs the stage buffer can hold (it grows up to stageLimitSteps). */
  private stageCapacity: number;
  /** Steps from the first whose stage inputs are kept (Infinity: all). */
  stageLimitSteps = Infinity;

  constructor(readonly dim: number, readonly stagesPerStep: number, initialCapacity = 64) {
    this.capacity = initialCapacity;
    this.times = new Float64Array(initialCapacity);
    this.steps = new Float64Array(initialCapacity);
    this.states = new Float64Array(initialCapacity * dim);
    this.stageCapacity = stagesPerStep > 0 ? initialCapacity : 0;
    this.stages = stagesPerStep > 0 ? new Float64Array(initialCapacity * stagesPerStep * dim) : null;
  }

  /** Steps whose stage inputs are held: the first min(count, stageLimitSteps). */
  get keptSteps(): number {
    return this.stages ? Math.min(this.count, this.stageLimitSteps) : 0;
  }

  /** Keeps (t, h, y) and, when the store keeps stages, inputs[1..stagesPerStep]. */
  push(t: number, h: number, y: Float64Array, inputs: readonly Float64Array[]): void {
    if (this.count === this.capacity) this.grow();
    const i = this.count++;
    const d = this.dim;
    this.times[i] = t;
    this.steps[i] = h;
    put(y, this.states, i * d, d);
    const stages = this.stages;
    if (stages && i < this.stageLimitSteps) {
      const base = i * this.stagesPerStep * d;
      for (let j = 0; j < this.stagesPerStep; j++) put(inputs[j + 1], stages, base + j * d, d);
    }
  }

  /** Bytes per step held: (d + 2) numbers, plus the stage inputs when kept. */
  get bytesPerStep(): number {
    return (this.dim + 2 + this.stagesPerStep * this.dim) * 8;
  }

  /** Bytes of one step's stage inputs. */
  get stageBytesPerStep(): number {
    return this.stagesPerStep * this.dim * 8;
  }

  state(i: number): Float64Array {
    return this.states.subarray(i * this.dim, (i + 1) * this.dim);
  }

  /**
   * Copies the start state of step i into Y[0] and, when they were kept, its stage inputs into
   * Y[1..]; returns whether they were.
   */
  load(i: number, Y: readonly Float64Array[]): boolean {
    const d = this.dim;
    copy(this.states, i * d, Y[0], d);
    if (!this.stages || i >= this.stageLimitSteps) return false;
    const base = i * this.stagesPerStep * d;
    for (let j = 0; j < this.stagesPerStep; j++) copy(this.stages, base + j * d, Y[j + 1], d);
    return true;
  }

  /** Bytes held: (d + 2) numbers per step, plus the kept stage inputs. */
  get bytes(): number {
    return this.count * (this.dim + 2) * 8 + this.keptSteps * this.stageBytesPerStep;
  }

  /** Bytes of the buffers as allocated (capacity included): the store's real footprint. */
  get allocatedBytes(): number {
    return this.capacity * (this.dim + 2) * 8 + this.stageCapacity * this.stageBytesPerStep;
  }

  /**
   * A store for a gradient evaluation: the one the previous evaluation of the same shape gave
   * back, emptied, or a new one. Fits call the gradient hundreds of times with about the same
   * number of steps; reusing the grown buffers saves allocating, zeroing and regrowing them.
   */
  static take(dim: number, stagesPerStep: number, stageLimitSteps = Infinity): CheckpointStore {
    let store = spare;
    if (store && store.dim === dim && store.stagesPerStep === stagesPerStep && store.stageCapacity <= stageLimitSteps) {
      spare = null;
      store.count = 0;
    } else {
      store = new CheckpointStore(dim, stagesPerStep, stagesPerStep > 0 ? Math.max(1, Math.min(64, stageLimitSteps)) : 64);
    }
    store.stageLimitSteps = stageLimitSteps;
    return store;
  }

  /**
   * Hands the store back for the next take() (its contents are no longer needed). One spare is
   * kept, and only while its buffers are small (SPARE_LIMIT_BYTES): a large solve's memory goes
   * back to the garbage collector.
   */
  static give(store: CheckpointStore): void {
    spare = store.allocatedBytes <= SPARE_LIMIT_BYTES ? store : null;
  }

  private grow(): void {
    const cap = this.capacity * 2;
    const d = this.dim;
    const grown = (a: Float64Array, n: number) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.times = grown(this.times, cap);
    this.steps = grown(this.steps, cap);
    this.states = grown(this.states, cap * d);
    // The stage buffer grows with the others until it holds stageLimitSteps steps, then stops.
    const stageCap = Math.min(cap, this.stageLimitSteps);
    if (this.stages && stageCap > this.stageCapacity) {
      this.stages = grown(this.stages, stageCap * this.stagesPerStep * d);
      this.stageCapacity = stageCap;
    }
    this.capacity = cap;
  }
}

/** The one store kept between evaluations (see take/give). */
let spare: CheckpointStore | null = null;
const SPARE_LIMIT_BYTES = 16 * 1024 * 1024;

/** dst[offset .. offset + n) <- v (a loop: cheaper than set() for the short vectors of a step). */
function put(v: Float64Array, dst: Float64Array, offset: number, n: number): void {
  for (let i = 0; i < n; i++) dst[offset + i] = v[i];
}

/** out <- src[offset .. offset + n) without creating a view (this runs once per step). */
function copy(src: Float64Array, offset: number, out: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = src[offset + i];
}
