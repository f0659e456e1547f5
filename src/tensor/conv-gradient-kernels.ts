/**
 * The two conv2d gradient kernels written as forward convolutions, for backends that lack them
 * or ship slow ones. @tensorflow/tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter at all (so
 * training any conv layer on WASM fails as shipped) and a Conv2DBackpropInput about 10x slower
 * than its Conv2D; the pure-JS CPU backend's Conv2DBackpropFilter takes about 12 s for one
 * 3x3x16x32 layer at batch 32 (docs/design.md, "Measured facts"). With y = conv2d(x, W, stride s):
 *
 *   dW = conv2d(X^T, dY^T, dilation s)    X^T: [Cin, H, W, N] (batch <-> channels), dY^T: [Ho, Wo, N, Cout]
 *   dx = conv2d(dilate_s(dY), flip(W)^T)  the full correlation with the spatially flipped filter
 *
 * Measured on WASM (batch 64, 14x14x32, 3x3): the filter gradient as one conv 15 ms, as one
 * matMul per kernel offset 48 ms, as im2col 43 ms; the input gradient as a conv 8 ms against
 * 81 ms for the shipped kernel. Both use only Conv2D, Transpose, Pad, Slice, Reverse, Reshape.
 */
import type * as TF from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors.ts';
import { tf } from './tf.ts';

export type KernelSetUp = 'native' | 'registered' | 'replaced';

type Pad = 'valid' | 'same' | number | TF.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

interface ConvGradAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export interface ConvGradientKernels {
  readonly filter: KernelSetUp;
  readonly input: KernelSetUp;
}

/**
 * Registers the conv-as-conv gradient kernels for `backendName` where it has none, and replaces
 * the shipped ones when `replace` is set.
 */
export function ensureConvGradientKernels(backendName: string, replace: boolean): ConvGradientKernels {
  return {
    filter: setKernel('Conv2DBackpropFilter', backendName, replace, filterKernel),
    input: setKernel('Conv2DBackpropInput', backendName, replace, inputKernel),
  };
}

function setKernel(name: string, backendName: string, replace: boolean, kernelFunc: unknown): KernelSetUp {
  const existing = tf.getKernel(name, backendName);
  if (existing && !replace) return 'native';
  if (existing) tf.unregisterKernel(name, backendName);
  tf.registerKernel({ kernelName: name, backendName, kernelFunc: kernelFunc as TF.KernelFunc });
  return existing ? 'replaced' : 'registered';
}

function filterKernel(args: {
  inputs: { x: TF.Tensor4D; dy: TF.Tensor4D };
  attrs: ConvGradAttrs & { filterShape: [number, number, number, number] };
}): TF.Tensor4D {
  const { x, dy } = args.inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs;
  checkSupported('Conv2DBackpropFilter', dataFormat, [x, dy]);
  return conv2dFilterGradient(x, dy, filterShape, strides, pad, dimRoundingMode);
}

function inputKernel(args: {
  inputs: { dy: TF.Tensor4D; filter: TF.Tensor4D };
  attrs: ConvGradAttrs & { inputShape: [number, number, number, number] };
}): TF.Tensor4D {
  const { dy, filter } = args.inputs;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs;
  checkSupported('Conv2DBackpropInput', dataFormat, [dy, filter]);
  return conv2dInputGradient(dy, filter, inputShape, strides, pad, dimRoundingMode);
}

function checkSupported(kernel: string, dataFormat: string, inputs: unknown[]): void {
  if (dataFormat !== 'NHWC') {
    throw new InvalidArgumentError(`${kernel} dataFormat`, dataFormat, 'the replacement kernel supports NHWC only');
  }
  // The engine hands ops' own tensors to kernels; a bare TensorInfo would come from another backend's kernel.
  if (!inputs.every((t) => t instanceof tf.Tensor)) {
    throw new InvalidArgumentError(`${kernel} inputs`, 'TensorInfo', 'tensors, as passed by the conv2d gradient');
  }
}

/** dL/dW of y = conv2d(x, W, strides, pad) given dy = dL/dy (NHWC, dilation 1). */
export function conv2dFilterGradient(
  x: TF.Tensor4D,
  dy: TF.Tensor4D,
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode?: Rounding,
): TF.Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { top, left } = info.padInfo;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo, filterHeight: kh, filterWidth: kw } = info;
  return tf.tidy(() => {
    // Keep exactly the rows and columns that some output sees: (Ho - 1) s + k of the padded input.
    const used = padOrCrop(padOrCrop(x, 1, top, (ho - 1) * sh + kh - top - x.shape[1]), 2, left, (wo - 1) * sw + kw - left - x.shape[2]);
    const xT = tf.transpose(used, [3, 1, 2, 0]) as TF.Tensor4D;
    const dyT = tf.transpose(dy, [1, 2, 0, 3]) as TF.Tensor4D;
    const dW = tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', [sh, sw]);
    return tf.transpose(dW, [1, 2, 0, 3]) as TF.Tensor4D;
  });
}

/** dL/dx of y = conv2d(x, W, strides, pad) given dy = dL/dy (NHWC, dilation 1). */
export function conv2dInputGradient(
  dy: TF.Tensor4D,
  filter: TF.Tensor4D,
  inputShape: [number, number, number, number],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode?: Rounding,
): TF.Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { top, left } = info.padInfo;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo, filterHeight: kh, filterWidth: kw } = info;
  const [n, h, w] = inputShape;
  const cout = dy.shape[3];
  return tf.tidy(() => {
    // dilate: dY on a grid of spacing s, zeros between; length Ho s (trailing zeros cropped below).
    let spread: TF.Tensor4D = dy;
    if (sh > 1 || sw > 1) {
      const grid = tf.pad(tf.reshape(dy, [n, ho, 1, wo, 1, cout]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
      spread = tf.reshape(grid, [n, ho * sh, wo * sw, cout]);
    }
    // dx[r] = sum_i dyd[r + top - i] W[i]: a valid correlation with the flipped filter after
    // padding k - 1 - top before and whatever makes the output length H after.
    const before = kh - 1 - top;
    const beforeW = kw - 1 - left;
    const padded = padOrCrop(padOrCrop(spread, 1, before, h + kh - 1 - before - ho * sh), 2, beforeW, w + kw - 1 - beforeW - wo * sw);
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as TF.Tensor4D;
    return tf.conv2d(padded, flipped, 1, 'valid');
  });
}

/** Pads (positive amounts) or crops (negative amounts) one spatial axis at both ends. */
function padOrCrop(t: TF.Tensor4D, axis: 1 | 2, before: number, after: number): TF.Tensor4D {
  let out = t;
  if (before < 0 || after < 0) {
    const begin = [0, 0, 0, 0];
    const size = [...out.shape];
    begin[axis] = Math.max(0, -before);
    size[axis] -= Math.max(0, -before) + Math.max(0, -after);
    out = tf.slice(out, begin, size);
  }
  if (before > 0 || after > 0) {
    const pads: [number, number][] = [[0, 0], [0, 0], [0, 0], [0, 0]];
    pads[axis] = [Math.max(0, before), Math.max(0, after)];
    out = tf.pad(out, pads);
  }
  return out;
}
