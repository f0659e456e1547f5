/**
 * The convolutional vector field of an ODE block, as in the seed paper's image models:
 *
 *   f(t, y) = conv2(relu(groupNorm(conv1(y)))) + bias2    (relu, or a smooth activation)
 *
 * 3x3 'same' convolutions with as many channels out as in, so the state keeps its shape. The
 * field is autonomous (t is not an input), like a residual block's branch: a ResNet block
 * y + f(y) and the ODE block y' = f(y) then have exactly the same parameters.
 *
 * Parameters are passed in explicitly, in the order of CONV_FIELD_PARAMS, so the same function
 * serves the forward pass (the layer's variables) and the gradient methods (tf.grads over them).
 */
import type * as TF from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors.ts';
import { groupNorm, groupsFor } from './group-norm.ts';
import { tf, type Tensor } from './tf.ts';

export interface ConvFieldConfig {
  readonly channels: number;
  /** Odd kernel size. Default 3. */
  readonly kernelSize?: number;
  /** Groups of the group norm. Default: 8, or the largest divisor of channels below it (groupsFor). */
  readonly groups?: number;
  /**
   * 'relu' (default, the seed paper's) or a smooth one. ReLU makes f only piecewise smooth, so
   * gradients of different discretisations agree only to about 1% (tests use 'softplus' where
   * they check convergence).
   */
  readonly activation?: 'relu' | 'softplus' | 'tanh';
}

export const CONV_FIELD_PARAMS = ['conv1_kernel', 'norm_gamma', 'norm_beta', 'conv2_kernel', 'conv2_bias'] as const;

/** A vector field on NHWC tensors with its parameters given explicitly. */
export interface TensorField {
  readonly paramNames: readonly string[];
  readonly paramShapes: readonly number[][];
  apply(t: number, y: Tensor, params: readonly Tensor[]): Tensor;
}

export class ConvField implements TensorField {
  readonly channels: number;
  readonly kernelSize: number;
  readonly groups: number;
  readonly activation: 'relu' | 'softplus' | 'tanh';
  readonly paramNames = CONV_FIELD_PARAMS;
  readonly paramShapes: number[][];

  constructor(config: ConvFieldConfig) {
    const { channels } = config;
    if (!Number.isInteger(channels) || channels < 1) throw new InvalidArgumentError('channels', channels, 'a positive integer');
    const k = config.kernelSize ?? 3;
    if (!Number.isInteger(k) || k < 1 || k % 2 === 0) throw new InvalidArgumentError('kernelSize', k, 'an odd positive integer');
    const groups = config.groups ?? groupsFor(channels);
    if (!Number.isInteger(groups) || groups < 1 || channels % groups !== 0) {
      throw new InvalidArgumentError('groups', groups, `a divisor of channels (${channels})`);
    }
    this.channels = channels;
    this.kernelSize = k;
    this.groups = groups;
    const activation = config.activation ?? 'relu';
    if (!['relu', 'softplus', 'tanh'].includes(activation)) {
      throw new InvalidArgumentError('activation', activation, "'relu', 'softplus' or 'tanh'");
    }
    this.activation = activation;
    this.paramShapes = [[k, k, channels, channels], [channels], [channels], [k, k, channels, channels], [channels]];
  }

  apply(_t: number, y: Tensor, params: readonly Tensor[]): Tensor {
    const [w1, gamma, beta, w2, b2] = params;
    return tf.tidy(() => {
      const h = tf.conv2d(y as TF.Tensor4D, w1 as TF.Tensor4D, 1, 'same');
      const r = tf[this.activation](groupNorm(h, gamma, beta, this.groups));
      return tf.add(tf.conv2d(r as TF.Tensor4D, w2 as TF.Tensor4D, 1, 'same'), b2);
    });
  }

  /** Initial values, seeded (fieldInitializers). */
  initialValues(seed: number, outputScale = 0.1): Tensor[] {
    const inits = fieldInitializers(seed, outputScale);
    return tf.tidy(() => inits.map((init, i) => init.apply(this.paramShapes[i])));
  }

  /** Trainable variables with the initial values (for use outside a tfjs layers model). */
  createVariables(seed: number, prefix = 'ode_field'): TF.Variable[] {
    return this.initialValues(seed).map((v, i) => {
      const variable = tf.variable(v, true, `${prefix}/${this.paramNames[i]}_${seed}_${variableCounter++}`);
      v.dispose();
      return variable;
    });
  }
}

let variableCounter = 0;

/**
 * The initialisers of the field's parameters, in CONV_FIELD_PARAMS order: He-normal first conv
 * (it feeds a relu), unit scale and zero shift for the norm, Glorot-uniform second conv scaled by
 * `outputScale` (so f starts small and the block near the identity), zero bias.
 */
export function fieldInitializers(seed: number, outputScale = 0.1): ReturnType<typeof tf.initializers.zeros>[] {
  return [
    tf.initializers.heNormal({ seed }),
    tf.initializers.ones(),
    tf.initializers.zeros(),
    tf.initializers.varianceScaling({ scale: outputScale * outputScale, mode: 'fanAvg', distribution: 'uniform', seed: seed + 1 }),
    tf.initializers.zeros(),
  ];
}

/** Binds a tensor field's parameters: the tuple form the steppers run. */
export function bindField(field: TensorField, params: readonly Tensor[]): (t: number, y: readonly Tensor[]) => Tensor[] {
  return (t, y) => [field.apply(t, y[0], params)];
}
