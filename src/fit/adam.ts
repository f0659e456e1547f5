/**
 * Adam (Kingma and Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, Algorithm 1):
 *
 *   m <- beta1 m + (1 - beta1) g,   v <- beta2 v + (1 - beta2) g^2,
 *   x <- x - lr (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
 *
 * A plain class for any loop that has a gradient: `lr` may be changed between steps (per-epoch
 * decay), and `state()` / `restore()` carry the moments through a checkpoint exactly (JSON
 * numbers round-trip doubles). Bounds are the caller's: project after step() if needed.
 */
import { InvalidArgumentError } from '../errors.ts';

export interface AdamOptions {
  /** Learning rate (default 0.001, the paper's). */
  readonly lr?: number;
  /** Decay of the first and second moment estimates (defaults 0.9 and 0.999). */
  readonly beta1?: number;
  readonly beta2?: number;
  /** Added to sqrt(v) (default 1e-8). */
  readonly eps?: number;
}

/** Adam's state as JSON. */
export interface AdamState {
  readonly kind: 'adam';
  readonly lr: number;
  readonly t: number;
  readonly m: number[];
  readonly v: number[];
}

export class Adam {
  /** The learning rate of the next step; may be set at any time. */
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  private m: Float64Array = new Float64Array(0);
  private v: Float64Array = new Float64Array(0);
  private t = 0;

  constructor(options: AdamOptions = {}) {
    this.lr = options.lr ?? 0.001;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    if (!(this.lr > 0) || !Number.isFinite(this.lr)) throw new InvalidArgumentError('lr', this.lr, 'a finite number > 0');
    for (const [name, beta] of [['beta1', this.beta1], ['beta2', this.beta2]] as const) {
      if (!(beta >= 0 && beta < 1)) throw new InvalidArgumentError(name, beta, 'a number in [0, 1)');
    }
    if (!(this.eps >= 0)) throw new InvalidArgumentError('eps', this.eps, 'a number >= 0');
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.t;
  }

  /** One step: params -= lr * mhat / (sqrt(vhat) + eps), in place. */
  step(params: Float64Array, grad: ArrayLike<number>): void {
    const n = params.length;
    if (grad.length !== n) throw new InvalidArgumentError('grad', `length ${grad.length}`, `length ${n} (as params)`);
    if (this.m.length !== n) {
      if (this.t !== 0) throw new InvalidArgumentError('params', `length ${n}`, `length ${this.m.length} (as before)`);
      this.m = new Float64Array(n);
      this.v = new Float64Array(n);
    }
    this.t++;
    const { beta1, beta2, eps, lr, m, v } = this;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    for (let i = 0; i < n; i++) {
      const g = grad[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      params[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
    }
  }

  state(): AdamState {
    return { kind: 'adam', lr: this.lr, t: this.t, m: Array.from(this.m), v: Array.from(this.v) };
  }

  restore(state: AdamState): void {
    if (state?.kind !== 'adam' || state.m.length !== state.v.length) {
      throw new InvalidArgumentError('state', state, "an AdamState from Adam.state()");
    }
    this.lr = state.lr;
    this.t = state.t;
    this.m = Float64Array.from(state.m);
    this.v = Float64Array.from(state.v);
  }
}
