/**
 * Group normalisation (Wu and He, "Group Normalization", ECCV 2018) on NHWC feature maps, with
 * tfjs ops so that every backend differentiates it. Statistics are per sample and per group of
 * channels, so the result does not depend on the batch: a batch of one gives the same numbers,
 * which batch norm would not (and which the ODE block's gradient tests rely on).
 */
import { InvalidArgumentError } from '../errors.ts';
import { tf, type Tensor } from './tf.ts';

/** (x - mean) / sqrt(var + eps) * gamma + beta, statistics over H, W and the group's channels. */
export function groupNorm(x: Tensor, gamma: Tensor, beta: Tensor, groups: number, epsilon = 1e-5): Tensor {
  const [n, h, w, c] = x.shape;
  if (c % groups !== 0) {
    throw new InvalidArgumentError('groups', groups, `a divisor of the channel count ${c}`);
  }
  return tf.tidy(() => {
    const grouped = tf.reshape(x, [n, h, w, groups, c / groups]);
    const { mean, variance } = tf.moments(grouped, [1, 2, 4], true);
    const normed = tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, epsilon)));
    return tf.add(tf.mul(tf.reshape(normed, [n, h, w, c]), gamma), beta);
  });
}

/**
 * The default number of groups for c channels: the largest divisor of c that is at most
 * `preferred` and leaves at least 4 channels per group. One channel per group (instance norm)
 * would erase each channel's spatial mean, which the classifier's average pooling needs.
 */
export function groupsFor(channels: number, preferred = 8): number {
  for (let g = Math.min(preferred, Math.floor(channels / 4)); g > 1; g--) if (channels % g === 0) return g;
  return 1;
}
