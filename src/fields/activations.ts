/**
 * Elementwise activations of the dense networks (fields/mlp.ts) and their derivatives, applied to
 * a slice [offset, offset + n) of flat Float64Array buffers so that no call allocates.
 */

export const ACTIVATIONS = ['tanh', 'softplus', 'relu', 'identity'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** post[i] <- act(pre[i]) for i in [offset, offset + n). */
export function applyActivation(
  activation: Activation,
  pre: Float64Array,
  post: Float64Array,
  offset: number,
  n: number,
): void {
  const end = offset + n;
  switch (activation) {
    case 'tanh':
      for (let i = offset; i < end; i++) post[i] = Math.tanh(pre[i]);
      return;
    case 'softplus':
      // log(1 + e^z) = max(z, 0) + log1p(e^-|z|): no overflow for large z, no lost digits for
      // very negative z.
      for (let i = offset; i < end; i++) {
        const z = pre[i];
        post[i] = (z > 0 ? z : 0) + Math.log1p(Math.exp(-Math.abs(z)));
      }
      return;
    case 'relu':
      for (let i = offset; i < end; i++) post[i] = pre[i] > 0 ? pre[i] : 0;
      return;
    case 'identity':
      for (let i = offset; i < end; i++) post[i] = pre[i];
      return;
  }
}

/**
 * grad[i] <- grad[i] * act'(pre[i]) for i in [offset, offset + n): turns the gradient with
 * respect to a layer's outputs into the gradient with respect to its pre-activations. `post`
 * holds act(pre) from the same forward pass (tanh' = 1 - tanh^2 reuses it). relu'(0) is taken as
 * 0.
 */
export function backpropActivation(
  activation: Activation,
  pre: Float64Array,
  post: Float64Array,
  grad: Float64Array,
  offset: number,
  n: number,
): void {
  const end = offset + n;
  switch (activation) {
    case 'tanh':
      for (let i = offset; i < end; i++) grad[i] *= 1 - post[i] * post[i];
      return;
    case 'softplus':
      // softplus' = the logistic sigmoid; exp(-z) -> Infinity for very negative z gives 0.
      for (let i = offset; i < end; i++) grad[i] /= 1 + Math.exp(-pre[i]);
      return;
    case 'relu':
      for (let i = offset; i < end; i++) if (!(pre[i] > 0)) grad[i] = 0;
      return;
    case 'identity':
      return;
  }
}
