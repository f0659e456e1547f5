/**
 * Dense networks (multi-layer perceptrons) in float64, as a whole vector field (a neural ODE,
 * `mlpField`) or as a term inside another field (a hybrid model, `createMlp`).
 *
 * Network: for sizes [n0, n1, ..., nL], with u = T(x) (the input transform) and h0 = u,
 *   h_k = act(W_k h_{k-1} + b_k)   for the hidden layers k = 1 .. L-1,
 *   out = W_L h_{L-1} + b_L        (the output layer has no activation).
 *
 * Parameter layout (one flat Float64Array): for each layer k = 1 .. L in order, W_k (n_k rows by
 * n_{k-1} columns, row-major: W_k[i, j] at offset + i * n_{k-1} + j) and then b_k (n_k entries).
 * paramNames follow it: `W1[0,1]` is layer 1, output unit 0, input unit 1; `b1[0]` its bias.
 *
 * Gradients are reverse mode written out by hand: with delta_L = gOut, for k = L .. 1,
 *   dW_k += delta_k h_{k-1}^T,  db_k += delta_k,  g_{k-1} = W_k^T delta_k,
 *   delta_{k-1} = g_{k-1} * act'(z_{k-1})  (elementwise; z the pre-activation),
 * and d(out)/dx^T gOut = g_0 * T'(x). The field contract gives a VJP only (t, y, p), so `vjp`
 * recomputes the forward pass itself and keeps its activations in preallocated buffers.
 *
 * Forward mode (jvp): the tangent of the same recursion, dz_k = W_k dh_{k-1} + dW_k h_{k-1} + db_k,
 * dh_k = act'(z_k) * dz_k, from dh_0 = T'(x) dx. The Jacobians (`jacobian`) are n_L reverse
 * passes with unit cotangents after one forward pass: row i of [d out/dx | d out/dp] costs one
 * backward sweep, which beats n_0 + P forward sweeps for the parameter block.
 *
 * Initialisation: Glorot/Xavier uniform (Glorot and Bengio, AISTATS 2010, eq. 16): W_k entries
 * uniform on [-r, r] with r = sqrt(6 / (n_{k-1} + n_k)); biases zero.
 */
import { InvalidArgumentError } from '../errors.ts';
import { createRng } from '../util/random.ts';
import { ACTIVATIONS, applyActivation, backpropActivation, type Activation } from './activations.ts';
import type { Field } from './field.ts';

export { ACTIVATIONS, type Activation } from './activations.ts';

export const INPUT_TRANSFORMS = ['identity', 'cube'] as const;
/** Elementwise map applied to the inputs before the first layer: 'cube' is x -> x^3. */
export type InputTransform = (typeof INPUT_TRANSFORMS)[number];

export interface MlpOptions {
  /** Layer widths [inputs, hidden..., outputs]; at least two entries, each a positive integer. */
  readonly sizes: readonly number[];
  /** Activation of the hidden layers (default 'tanh'); the output layer is always identity. */
  readonly activation?: Activation;
  /** Default seed of initParams (default 0). */
  readonly seed?: number;
  /** Elementwise transform of the inputs (default 'identity'). */
  readonly inputTransform?: InputTransform;
  /**
   * How many leading inputs the transform applies to (default all); the rest pass unchanged, e.g.
   * an appended time input.
   */
  readonly transformedInputs?: number;
}

/** Where one layer's weights and biases sit in the flat parameter vector. */
export interface MlpLayerLayout {
  /** Offset of W_k[0, 0]. */
  readonly weights: number;
  /** Offset of b_k[0]. */
  readonly biases: number;
  /** n_k: outputs of the layer (rows of W_k). */
  readonly rows: number;
  /** n_{k-1}: inputs of the layer (columns of W_k). */
  readonly cols: number;
}

/**
 * A dense network with its own preallocated workspace. forward and vjp do not allocate. One
 * instance is NOT re-entrant: calls share the workspace, so a vjp must not run inside another
 * call on the same instance (use one instance per term and per worker thread).
 *
 * `pOffset` (default 0) lets the network's parameters sit inside a larger vector (a hybrid
 * model's p): the network reads p[pOffset .. pOffset + nParams) and adds its gradient into the
 * same slice of gP.
 */
export interface Mlp {
  readonly sizes: readonly number[];
  readonly activation: Activation;
  readonly inputTransform: InputTransform;
  readonly transformedInputs: number;
  readonly nInputs: number;
  readonly nOutputs: number;
  readonly nParams: number;
  readonly layers: readonly MlpLayerLayout[];
  readonly paramNames: readonly string[];
  /** A fresh parameter vector: Glorot-uniform weights, zero biases; the same for the same seed. */
  initParams(seed?: number): Float64Array;
  /** out (length nOutputs) <- nn(x) with x of length nInputs. */
  forward(x: Float64Array, p: Float64Array, out: Float64Array, pOffset?: number): void;
  /**
   * gIn (length nInputs) <- (d out / d x)^T gOut (overwritten);
   * gP[pOffset ..] += (d out / d p)^T gOut (added).
   */
  vjp(
    x: Float64Array,
    p: Float64Array,
    gOut: Float64Array,
    gIn: Float64Array,
    gP: Float64Array,
    pOffset?: number,
  ): void;
  /**
   * out (length nOutputs) <- (d out/dx) dx + (d out/dp) dp, with dp the tangent of
   * p[pOffset .. pOffset + nParams) (read from dp[pOffset ..]; null means zero).
   */
  jvp(x: Float64Array, p: Float64Array, dx: Float64Array, dp: Float64Array | null, out: Float64Array, pOffset?: number): void;
  /**
   * outJx (nOutputs x nInputs, row-major) <- d out/dx; when given, outJp (nOutputs x nParams,
   * row-major, the network's own parameters only) <- d out/dp. Both overwritten.
   */
  jacobian(x: Float64Array, p: Float64Array, outJx: Float64Array, outJp: Float64Array | null, pOffset?: number): void;
}

export function createMlp(options: MlpOptions): Mlp {
  const sizes = checkSizes(options?.sizes, 'sizes');
  const activation = checkChoice(options.activation ?? 'tanh', ACTIVATIONS, 'activation');
  const inputTransform = checkChoice(options.inputTransform ?? 'identity', INPUT_TRANSFORMS, 'inputTransform');
  const defaultSeed = checkSeed(options.seed ?? 0, 'seed');
  const nInputs = sizes[0];
  const nOutputs = sizes[sizes.length - 1];
  const transformedInputs = options.transformedInputs ?? nInputs;
  if (!Number.isInteger(transformedInputs) || transformedInputs < 0 || transformedInputs > nInputs) {
    throw new InvalidArgumentError('transformedInputs', transformedInputs, `an integer from 0 to ${nInputs}`);
  }
  const cube = inputTransform === 'cube' && transformedInputs > 0;

  const nLayers = sizes.length - 1;
  const rowsOf = new Int32Array(nLayers);
  const colsOf = new Int32Array(nLayers);
  const weightsAt = new Int32Array(nLayers);
  const biasesAt = new Int32Array(nLayers);
  // Hidden layer k (1 .. L-1) keeps its pre-activations, activations and gradient at unitsAt[k].
  const unitsAt = new Int32Array(nLayers + 1);
  let nParams = 0;
  let nUnits = 0;
  const layers: MlpLayerLayout[] = [];
  for (let l = 0; l < nLayers; l++) {
    rowsOf[l] = sizes[l + 1];
    colsOf[l] = sizes[l];
    weightsAt[l] = nParams;
    nParams += sizes[l + 1] * sizes[l];
    biasesAt[l] = nParams;
    nParams += sizes[l + 1];
    layers.push({ weights: weightsAt[l], biases: biasesAt[l], rows: rowsOf[l], cols: colsOf[l] });
    if (l + 1 < nLayers) {
      unitsAt[l + 1] = nUnits;
      nUnits += sizes[l + 1];
    }
  }
  const pre = new Float64Array(nUnits);
  const post = new Float64Array(nUnits);
  const grad = new Float64Array(nUnits);
  const transformed = new Float64Array(nInputs);
  const last = nLayers - 1;
  // Forward-mode tangents of the hidden units and of T(x); the Jacobian's unit cotangent, input
  // gradient and parameter gradient rows.
  const tangent = new Float64Array(nUnits);
  const tangentIn = new Float64Array(nInputs);
  const unit = new Float64Array(nOutputs);
  const rowIn = new Float64Array(nInputs);
  let rowP: Float64Array | undefined;

  /** The reverse sweep of vjp after hiddenForward; gradients of p go to gP[gpo ..]. */
  function backward(x: Float64Array, input: Float64Array, p: Float64Array, gOut: Float64Array, gIn: Float64Array, gP: Float64Array | null, po: number, gpo: number): void {
    let delta = gOut;
    let deltaAt = 0;
    for (let l = last; l >= 0; l--) {
      const src = l === 0 ? input : post;
      const srcAt = l === 0 ? 0 : unitsAt[l];
      const into = l === 0 ? gIn : grad;
      const intoAt = l === 0 ? 0 : unitsAt[l];
      affineBackward(
        p, gP, po + weightsAt[l], po + biasesAt[l], rowsOf[l], colsOf[l],
        src, srcAt, delta, deltaAt, into, intoAt, gpo - po,
      );
      if (l > 0) backpropActivation(activation, pre, post, grad, intoAt, colsOf[l]);
      delta = into;
      deltaAt = intoAt;
    }
    if (cube) for (let j = 0; j < transformedInputs; j++) gIn[j] *= 3 * x[j] * x[j];
  }

  /** dst[d + i] <- sum_j W[i, j] dsrc[s + j] + (dW src + db)[i] (the tangent of affine). */
  function affineTangent(p: Float64Array, dp: Float64Array | null, l: number, po: number, src: Float64Array, dsrc: Float64Array, s: number, dst: Float64Array, d: number): void {
    const rows = rowsOf[l];
    const cols = colsOf[l];
    const w = po + weightsAt[l];
    const b = po + biasesAt[l];
    for (let i = 0; i < rows; i++) {
      const row = w + i * cols;
      let acc = dp === null ? 0 : dp[b + i];
      for (let j = 0; j < cols; j++) acc += p[row + j] * dsrc[s + j];
      if (dp !== null) for (let j = 0; j < cols; j++) acc += dp[row + j] * src[s + j];
      dst[d + i] = acc;
    }
  }

  /** Runs the input transform and the hidden layers; returns the input of layer 1 (x or T(x)). */
  function hiddenForward(x: Float64Array, p: Float64Array, po: number): Float64Array {
    let input = x;
    if (cube) {
      for (let j = 0; j < transformedInputs; j++) transformed[j] = x[j] * x[j] * x[j];
      for (let j = transformedInputs; j < nInputs; j++) transformed[j] = x[j];
      input = transformed;
    }
    let src = input;
    let srcAt = 0;
    for (let l = 0; l < last; l++) {
      const at = unitsAt[l + 1];
      affine(p, po + weightsAt[l], po + biasesAt[l], rowsOf[l], colsOf[l], src, srcAt, pre, at);
      applyActivation(activation, pre, post, at, rowsOf[l]);
      src = post;
      srcAt = at;
    }
    return input;
  }

  const mlp: Mlp = {
    sizes,
    activation,
    inputTransform,
    transformedInputs,
    nInputs,
    nOutputs,
    nParams,
    layers,
    paramNames: parameterNames(layers),

    initParams(seed = defaultSeed) {
      const rng = createRng(checkSeed(seed, 'seed'));
      const p = new Float64Array(nParams);
      for (const layer of layers) {
        const bound = Math.sqrt(6 / (layer.rows + layer.cols));
        const end = layer.weights + layer.rows * layer.cols;
        for (let q = layer.weights; q < end; q++) p[q] = rng.uniform(-bound, bound);
      }
      return p;
    },

    forward(x, p, out, pOffset = 0) {
      const input = hiddenForward(x, p, pOffset);
      const src = last === 0 ? input : post;
      const srcAt = last === 0 ? 0 : unitsAt[last];
      affine(p, pOffset + weightsAt[last], pOffset + biasesAt[last], rowsOf[last], colsOf[last], src, srcAt, out, 0);
    },

    vjp(x, p, gOut, gIn, gP, pOffset = 0) {
      // The output layer is affine, so its own output is not needed: only the hidden layers are
      // recomputed.
      const input = hiddenForward(x, p, pOffset);
      backward(x, input, p, gOut, gIn, gP, pOffset, pOffset);
    },

    jvp(x, p, dx, dp, out, pOffset = 0) {
      const input = hiddenForward(x, p, pOffset);
      let dsrc = dx;
      if (cube) {
        for (let j = 0; j < transformedInputs; j++) tangentIn[j] = 3 * x[j] * x[j] * dx[j];
        for (let j = transformedInputs; j < nInputs; j++) tangentIn[j] = dx[j];
        dsrc = tangentIn;
      }
      let src = input;
      let srcAt = 0;
      for (let l = 0; l < last; l++) {
        const at = unitsAt[l + 1];
        affineTangent(p, dp, l, pOffset, src, dsrc, srcAt, tangent, at);
        // act'(z) * dz: the same elementwise factor as in the reverse sweep.
        backpropActivation(activation, pre, post, tangent, at, rowsOf[l]);
        src = post;
        dsrc = tangent;
        srcAt = at;
      }
      affineTangent(p, dp, last, pOffset, src, dsrc, srcAt, out, 0);
    },

    jacobian(x, p, outJx, outJp, pOffset = 0) {
      const input = hiddenForward(x, p, pOffset);
      if (outJp !== null) rowP ??= new Float64Array(nParams);
      for (let i = 0; i < nOutputs; i++) {
        unit[i] = 1;
        if (outJp !== null) rowP!.fill(0);
        // The parameter gradient goes to rowP from offset 0 while p is read at pOffset.
        backward(x, input, p, unit, rowIn, outJp === null ? null : rowP!, pOffset, 0);
        unit[i] = 0;
        for (let j = 0; j < nInputs; j++) outJx[i * nInputs + j] = rowIn[j];
        if (outJp !== null) for (let q = 0; q < nParams; q++) outJp[i * nParams + q] = rowP![q];
      }
    },
  };
  return mlp;
}

export interface MlpFieldOptions extends Omit<MlpOptions, 'transformedInputs'> {
  /** Append t to the network's inputs (default false); the input transform leaves t alone. */
  readonly timeInput?: boolean;
}

/** A field that also hands out its network and initial parameters. */
export interface MlpField extends Field {
  readonly mlp: Mlp;
  /** Same as mlp.initParams. */
  initParams(seed?: number): Float64Array;
}

/**
 * A neural ODE dy/dt = nn(T(y)), or nn(T(y), t) with timeInput. The state dimension is sizes[0]
 * (sizes[0] - 1 with timeInput) and must equal the output width. With inputTransform 'cube' this
 * is the spiral demo of torchdiffeq (dy/dt = nn(y^3)).
 */
export function mlpField(options: MlpFieldOptions): MlpField {
  const sizes = checkSizes(options?.sizes, 'sizes');
  const timeInput = options.timeInput ?? false;
  if (typeof timeInput !== 'boolean') throw new InvalidArgumentError('timeInput', timeInput, 'true or false');
  const dim = timeInput ? sizes[0] - 1 : sizes[0];
  if (dim < 1) throw new InvalidArgumentError('sizes[0]', sizes[0], 'at least 2 with timeInput (the state and t)');
  if (sizes[sizes.length - 1] !== dim) {
    throw new InvalidArgumentError(
      `sizes[${sizes.length - 1}]`,
      sizes[sizes.length - 1],
      `the output width must equal the state dimension ${dim} (sizes[0]${timeInput ? ' - 1 with timeInput' : ''})`,
    );
  }
  const mlp = createMlp({
    sizes,
    activation: options.activation,
    seed: options.seed,
    inputTransform: options.inputTransform,
    transformedInputs: dim,
  });
  const spec = {
    kind: 'mlp',
    sizes: [...sizes],
    activation: mlp.activation,
    inputTransform: mlp.inputTransform,
    timeInput,
    seed: options.seed ?? 0,
  };
  const common = {
    dim,
    nParams: mlp.nParams,
    spec,
    stateNames: Array.from({ length: dim }, (_, i) => `y${i + 1}`),
    paramNames: mlp.paramNames,
    mlp,
    initParams: (seed?: number) => mlp.initParams(seed),
  };
  if (!timeInput) {
    return {
      ...common,
      f(_t, y, p, out) {
        mlp.forward(y, p, out);
      },
      vjp(_t, y, p, a, outY, outP) {
        mlp.vjp(y, p, a, outY, outP);
      },
      jvp(_t, y, p, v, vp, out) {
        mlp.jvp(y, p, v, vp, out);
      },
      jacobian(_t, y, p, outJy, outJp) {
        mlp.jacobian(y, p, outJy, outJp);
      },
    };
  }
  const input = new Float64Array(dim + 1);
  const gInput = new Float64Array(dim + 1);
  const tangentInput = new Float64Array(dim + 1); // the t entry stays 0
  const jInput = new Float64Array(dim * (dim + 1));
  return {
    ...common,
    f(t, y, p, out) {
      for (let i = 0; i < dim; i++) input[i] = y[i];
      input[dim] = t;
      mlp.forward(input, p, out);
    },
    vjp(t, y, p, a, outY, outP) {
      for (let i = 0; i < dim; i++) input[i] = y[i];
      input[dim] = t;
      mlp.vjp(input, p, a, gInput, outP);
      for (let i = 0; i < dim; i++) outY[i] = gInput[i];
    },
    jvp(t, y, p, v, vp, out) {
      for (let i = 0; i < dim; i++) {
        input[i] = y[i];
        tangentInput[i] = v[i];
      }
      input[dim] = t;
      mlp.jvp(input, p, tangentInput, vp, out);
    },
    jacobian(t, y, p, outJy, outJp) {
      for (let i = 0; i < dim; i++) input[i] = y[i];
      input[dim] = t;
      mlp.jacobian(input, p, jInput, outJp);
      for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) outJy[i * dim + j] = jInput[i * (dim + 1) + j];
    },
  };
}

/** dst[d + i] <- b[i] + sum_j W[i, j] src[s + j], with W and b read from p at w and b. */
function affine(
  p: Float64Array,
  w: number,
  b: number,
  rows: number,
  cols: number,
  src: Float64Array,
  s: number,
  dst: Float64Array,
  d: number,
): void {
  for (let i = 0; i < rows; i++) {
    const row = w + i * cols;
    let acc = p[b + i];
    for (let j = 0; j < cols; j++) acc += p[row + j] * src[s + j];
    dst[d + i] = acc;
  }
}

/**
 * Reverse of affine for the cotangent delta (at e): gP's W and b slices (shifted by gShift from
 * where p holds them) += delta src^T and delta; into[g ..] <- W^T delta (overwritten). One pass
 * over W serves both. gP null: no parameter gradient (a Jacobian without d/dp).
 */
function affineBackward(
  p: Float64Array,
  gP: Float64Array | null,
  w: number,
  b: number,
  rows: number,
  cols: number,
  src: Float64Array,
  s: number,
  delta: Float64Array,
  e: number,
  into: Float64Array,
  g: number,
  gShift = 0,
): void {
  for (let j = 0; j < cols; j++) into[g + j] = 0;
  if (gP === null) {
    // No parameter gradient wanted (a Jacobian without d/dp): only W^T delta.
    for (let i = 0; i < rows; i++) {
      const di = delta[e + i];
      const row = w + i * cols;
      for (let j = 0; j < cols; j++) into[g + j] += p[row + j] * di;
    }
    return;
  }
  for (let i = 0; i < rows; i++) {
    const di = delta[e + i];
    const row = w + i * cols;
    gP[b + gShift + i] += di;
    for (let j = 0; j < cols; j++) {
      gP[row + gShift + j] += di * src[s + j];
      into[g + j] += p[row + j] * di;
    }
  }
}

function parameterNames(layers: readonly MlpLayerLayout[]): string[] {
  const names: string[] = [];
  layers.forEach((layer, l) => {
    for (let i = 0; i < layer.rows; i++) for (let j = 0; j < layer.cols; j++) names.push(`W${l + 1}[${i},${j}]`);
    for (let i = 0; i < layer.rows; i++) names.push(`b${l + 1}[${i}]`);
  });
  return names;
}

function checkSizes(sizes: unknown, name: string): number[] {
  if (!Array.isArray(sizes) || sizes.length < 2) {
    throw new InvalidArgumentError(name, sizes, 'an array [inputs, hidden..., outputs] of at least two widths');
  }
  sizes.forEach((n, k) => {
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name}[${k}]`, n, 'a positive integer');
  });
  return [...sizes] as number[];
}

function checkChoice<T extends string>(value: unknown, allowed: readonly T[], name: string): T {
  if (!allowed.includes(value as T)) throw new InvalidArgumentError(name, value, `one of ${allowed.join(', ')}`);
  return value as T;
}

function checkSeed(seed: unknown, name: string): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed)) throw new InvalidArgumentError(name, seed, 'an integer');
  return seed;
}
