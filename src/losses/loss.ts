/**
 * Losses on the solution at the output times. A loss is a function of the outputs (K rows of d
 * components, row-major) that returns its value and writes dL/d(outputs) into `grad` (same
 * layout, overwritten). The gradient methods only ever see that gradient.
 */
import { InvalidArgumentError } from '../errors.ts';

export type Loss = (outputs: Float64Array, times: Float64Array, grad: Float64Array) => number;

export interface SquaredErrorOptions {
  /** Observations at the output times, K x d row-major (or K x observed.length); NaN = missing. */
  readonly target: ArrayLike<number>;
  /** State components observed (default: all d, in order). */
  readonly observed?: readonly number[];
  /** Weight per observed component (length observed.length) or per cell (K x observed.length). */
  readonly weights?: ArrayLike<number>;
  /** Weight per output time (length K), e.g. 0.01^t in the seed paper's three-body loss. */
  readonly timeWeights?: ArrayLike<number>;
  /** 'sum' (default) or 'mean' over the observed (non-missing) cells, or 'mean_time' over K. */
  readonly reduction?: 'sum' | 'mean' | 'mean_time';
}

/**
 * L = r * sum_k tw_k sum_i w_ki (y_k,i - target_k,i)^2 over cells whose target is not NaN,
 * with r = 1 (sum), 1/(number of observed cells) (mean) or 1/K (mean_time).
 */
export function squaredError(dim: number, options: SquaredErrorOptions): Loss {
  const observed = options.observed ?? Array.from({ length: dim }, (_, i) => i);
  observed.forEach((c, i) => {
    if (!Number.isInteger(c) || c < 0 || c >= dim) {
      throw new InvalidArgumentError(`loss.observed[${i}]`, c, `a state index in [0, ${dim})`);
    }
  });
  const m = observed.length;
  const target = Float64Array.from(options.target);
  if (target.length % m !== 0) {
    throw new InvalidArgumentError('loss.target', `length ${target.length}`, `a multiple of ${m} (observed components)`);
  }
  const K = target.length / m;
  const weights = options.weights ? Float64Array.from(options.weights) : null;
  if (weights && weights.length !== m && weights.length !== K * m) {
    throw new InvalidArgumentError('loss.weights', `length ${weights.length}`, `${m} (per component) or ${K * m} (per cell)`);
  }
  const timeWeights = options.timeWeights ? Float64Array.from(options.timeWeights) : null;
  if (timeWeights && timeWeights.length !== K) {
    throw new InvalidArgumentError('loss.timeWeights', `length ${timeWeights.length}`, `${K} (one per output time)`);
  }
  // NaN marks a missing cell; an infinite target or a negative or non-finite weight has no meaning.
  for (let q = 0; q < target.length; q++) {
    if (target[q] === Infinity || target[q] === -Infinity) throw new InvalidArgumentError(`loss.target[${q}]`, target[q], 'a finite number, or NaN for a missing cell');
  }
  for (const [name, values] of [['loss.weights', weights], ['loss.timeWeights', timeWeights]] as const) {
    if (!values) continue;
    for (let q = 0; q < values.length; q++) {
      if (!(values[q] >= 0 && values[q] < Infinity)) throw new InvalidArgumentError(`${name}[${q}]`, values[q], 'a finite number >= 0');
    }
  }
  let cells = 0;
  for (let q = 0; q < target.length; q++) if (!Number.isNaN(target[q])) cells++;
  const reduction = options.reduction ?? 'sum';
  const scale = reduction === 'sum' ? 1 : reduction === 'mean' ? 1 / Math.max(cells, 1) : 1 / K;

  return (outputs, times, grad) => {
    if (times.length !== K) {
      throw new InvalidArgumentError('loss.target', `${K} rows`, `one row per output time (${times.length})`);
    }
    grad.fill(0);
    let total = 0;
    for (let k = 0; k < K; k++) {
      const tw = timeWeights ? timeWeights[k] : 1;
      for (let i = 0; i < m; i++) {
        const obs = target[k * m + i];
        if (Number.isNaN(obs)) continue;
        const w = weights ? (weights.length === m ? weights[i] : weights[k * m + i]) : 1;
        const idx = k * dim + observed[i];
        const r = outputs[idx] - obs;
        total += tw * w * r * r;
        grad[idx] = 2 * scale * tw * w * r;
      }
    }
    return scale * total;
  };
}
