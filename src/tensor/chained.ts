/**
 * Gradients of a sequential model by chaining its pieces explicitly, for backends that cannot
 * read a number back synchronously (WebGPU), where the ODE blocks' adaptive solves cannot run
 * inside tfjs's synchronous gradient tape:
 *
 *   forward   ordinary layers untaped (their inputs kept); each ODE block's asynchronous pass
 *             (odeBlockPass: checkpoints, end state, or recorded reads)
 *   loss      the last run of ordinary layers and the loss under tf.valueAndGrads
 *   backward  in reverse: ordinary layers by tf.grads with the incoming gradient as dy (their
 *             forward recomputed under the tape), ODE blocks by their own backward pass
 *
 * The result equals the tf.customGrad path's gradient (tests/tensor), at the cost of one more
 * forward pass through the ordinary layers.
 */
import type * as TF from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors.ts';
import { OdeBlock } from './layers.ts';
import type { BlockPass } from './ode-block.ts';
import { tf, type Tensor } from './tf.ts';

type Segment =
  | { readonly kind: 'layers'; readonly layers: TF.layers.Layer[]; readonly variables: Tensor[] }
  | { readonly kind: 'ode'; readonly block: OdeBlock; readonly variables: Tensor[] };

export interface ChainedResult {
  readonly loss: number;
  /** Gradients by variable name (what optimizer.applyGradients takes); the caller disposes them. */
  readonly grads: TF.NamedTensorMap;
}

/** dLoss/dvariables of a tf.Sequential model on input x, loss = lossOf(model output). */
export async function chainedGradients(model: TF.LayersModel, x: Tensor, lossOf: (output: Tensor) => Tensor): Promise<ChainedResult> {
  const segments = segmentsOf(model);
  const last = segments[segments.length - 1];
  const head: Segment = last.kind === 'layers' ? last : { kind: 'layers', layers: [], variables: [] };
  const body = last.kind === 'layers' ? segments.slice(0, -1) : segments;

  const inputs: Tensor[] = [];
  const passes: (BlockPass | null)[] = [];
  const grads: TF.NamedTensorMap = {};
  let h = x;
  try {
    for (const seg of body) {
      inputs.push(h);
      if (seg.kind === 'layers') {
        const input = h;
        h = tf.tidy(() => applyLayers(seg.layers, input));
        passes.push(null);
      } else {
        const pass = await seg.block.forwardPass(h);
        passes.push(pass);
        h = pass.output;
      }
    }
    const headInput = h;
    inputs.push(headInput);
    const { value, grads: headGrads } = tf.valueAndGrads((inp: Tensor, ..._v: Tensor[]) => lossOf(applyLayers(head.layers, inp)))(
      [headInput, ...head.variables],
    );
    const loss = (await value.data())[0];
    value.dispose();
    collect(grads, head.variables, headGrads.slice(1));
    let dy = headGrads[0];
    for (let k = body.length - 1; k >= 0; k--) {
      const seg = body[k];
      const input = inputs[k];
      let stepGrads: Tensor[];
      if (seg.kind === 'ode') {
        stepGrads = await passes[k]!.backward(dy);
        passes[k] = null;
      } else if (k === 0) {
        // The model's input needs no gradient.
        stepGrads = [tf.zerosLike(input), ...vjp((..._v) => applyLayers(seg.layers, input), seg.variables, dy)];
      } else {
        stepGrads = vjp((inp, ..._v) => applyLayers(seg.layers, inp), [input, ...seg.variables], dy);
      }
      dy.dispose();
      dy = stepGrads[0];
      collect(grads, seg.variables, stepGrads.slice(1));
    }
    dy.dispose();
    return { loss, grads };
  } finally {
    for (const p of passes) p?.dispose();
    for (const t of inputs) if (t !== x) t.dispose();
  }
}

/** The model's output with asynchronous reads (inference on any backend). */
export async function predictChained(model: TF.LayersModel, x: Tensor): Promise<Tensor> {
  let h = x;
  for (const seg of segmentsOf(model)) {
    const input = h;
    h = seg.kind === 'layers' ? tf.tidy(() => applyLayers(seg.layers, input, false)) : await seg.block.infer(input);
    if (input !== x) input.dispose();
  }
  return h;
}

function segmentsOf(model: TF.LayersModel): Segment[] {
  if (!(model instanceof tf.Sequential)) {
    throw new InvalidArgumentError('model', model.name, 'a tf.Sequential model (chained gradients follow its layer order)');
  }
  const segments: Segment[] = [];
  for (const layer of model.layers) {
    if (layer instanceof OdeBlock) {
      segments.push({ kind: 'ode', block: layer, variables: layer.params() });
      continue;
    }
    const variables = layer.trainableWeights.map((w) => w.read());
    const prev = segments[segments.length - 1];
    if (prev?.kind === 'layers') {
      prev.layers.push(layer);
      prev.variables.push(...variables);
    } else {
      segments.push({ kind: 'layers', layers: [layer], variables });
    }
  }
  return segments;
}

function applyLayers(layers: readonly TF.layers.Layer[], x: Tensor, training = true): Tensor {
  let h = x;
  for (const layer of layers) h = layer.apply(h, { training }) as Tensor;
  return h;
}

/** tf.grads(f)(xs, dy), with zeros for an x the output does not depend on. */
function vjp(f: (...xs: Tensor[]) => Tensor, xs: Tensor[], dy: Tensor): Tensor[] {
  const g = tf.grads(f)(xs, dy);
  return g.map((gi, i) => gi ?? tf.zerosLike(xs[i]));
}

function collect(into: TF.NamedTensorMap, variables: readonly Tensor[], grads: readonly Tensor[]): void {
  variables.forEach((v, i) => {
    const name = (v as TF.Variable).name;
    const g = grads[i] ?? tf.zerosLike(v);
    if (into[name]) {
      const sum = tf.add(into[name], g);
      into[name].dispose();
      g.dispose();
      into[name] = sum;
    } else {
      into[name] = g;
    }
  });
}
