/**
 * ACA's checkpoint store: for every accepted step its start (t_i, h_i, y_i), N_t (d + 2) numbers
 * in all (shared/design/aca.md, forward pass step 2), optionally with the step's stage inputs
 * Y_1..Y_{s-1} (then the backward pass needs no recomputation of f). Growable by doubling;
 * `bytes` counts what is held, not the spare capacity.
 */
export class CheckpointStore {
  count = 0;
  capacity: number;
  times: Float64Array;
  steps: Float64Array;
  states: Float64Array;
  stages: Float64Array | null;

  constructor(readonly dim: number, readonly stagesPerStep: number, initialCapacity = 64) {
    this.capacity = initialCapacity;
    this.times = new Float64Array(initialCapacity);
    this.steps = new Float64Array(initialCapacity);
    this.states = new Float64Array(initialCapacity * dim);
    this.stages = stagesPerStep > 0 ? new Float64Array(initialCapacity * stagesPerStep * dim) : null;
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
    if (stages) {
      const base = i * this.stagesPerStep * d;
      for (let j = 0; j < this.stagesPerStep; j++) put(inputs[j + 1], stages, base + j * d, d);
    }
  }

  /** Bytes per step held: (d + 2) numbers, plus the stage inputs when kept. */
  get bytesPerStep(): number {
    return (this.dim + 2 + this.stagesPerStep * this.dim) * 8;
  }

  state(i: number): Float64Array {
    return this.states.subarray(i * this.dim, (i + 1) * this.dim);
  }

  /** Copies the start state of step i into Y[0] and its kept stage inputs into Y[1..]. */
  load(i: number, Y: readonly Float64Array[]): void {
    const d = this.dim;
    copy(this.states, i * d, Y[0], d);
    if (!this.stages) return;
    const base = i * this.stagesPerStep * d;
    for (let j = 0; j < this.stagesPerStep; j++) copy(this.stages, base + j * d, Y[j + 1], d);
  }

  get bytes(): number {
    return this.count * this.bytesPerStep;
  }

  /**
   * A store for a gradient evaluation: the one the previous evaluation of the same shape gave
   * back, emptied, or a new one. Fits call the gradient hundreds of times with about the same
   * number of steps; reusing the grown buffers saves allocating, zeroing and regrowing them.
   */
  static take(dim: number, stagesPerStep: number): CheckpointStore {
    const store = spare;
    if (store && store.dim === dim && store.stagesPerStep === stagesPerStep) {
      spare = null;
      store.count = 0;
      return store;
    }
    return new CheckpointStore(dim, stagesPerStep);
  }

  /**
   * Hands the store back for the next take() (its contents are no longer needed). One spare is
   * kept, and only while its buffers are small (SPARE_LIMIT_BYTES): a large solve's memory goes
   * back to the garbage collector.
   */
  static give(store: CheckpointStore): void {
    spare = store.capacity * store.bytesPerStep <= SPARE_LIMIT_BYTES ? store : null;
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
    if (this.stages) this.stages = grown(this.stages, cap * this.stagesPerStep * d);
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
