/**
 * Hybrid fields: an equation model (fields/expression) whose equations use the outputs of a dense
 * network (fields/mlp.ts) as terms, e.g. Lotka-Volterra with a learned interaction
 *
 *   { states: ['x', 'y'], params: ['a', 'c', 'd'],
 *     equations: { x: 'a*x - nn(x, y)[1]', y: '-c*y + d*x*y' } }
 *   network: { sizes: [2, 16, 1], activation: 'tanh' }
 *
 * `nn(args)[k]` is output k (1-based) of the network applied to args, a list of states (and t).
 * Every nn(...) call of a model has the same argument list: there is one network, evaluated once
 * per f. The index may be left out when the network has one output.
 *
 * Composition. Each `nn(args)[k]` is replaced by a symbol `__nn_k` before compiling, and the
 * equation model is compiled with the states extended by those symbols, so the symbols are
 * states of an auxiliary model g(t, y, u, p) (with dummy equations 0 for the u's). Then
 *   f(t, y, p)    = g(t, y, u(y), p),   u = nn(x; p_net),  x = the argument states of y,
 *   a^T df/dy     = a^T dg/dy + [a^T dg/du] du/dx scattered to the argument states,
 *   a^T df/dp_eq  = a^T dg/dp_eq,       a^T df/dp_net = [a^T dg/du] du/dp_net,
 * which is the chain rule with the compiled VJP of g (cotangent [a, 0]; its y-part for the
 * extended states is u-bar = a^T dg/du) and the network's own VJP for u-bar.
 *
 * The JVP and the Jacobians follow the same chain rule forwards: with dot u = du/dx dot x +
 * du/dp_net dot p_net, dot f = dg/dy dot y + dg/du dot u + dg/dp_eq dot p_eq (the compiled JVP of
 * g with the tangent [dot y, dot u]); df/dy = dg/dy + dg/du du/dx (scattered to the argument
 * states), df/dp = [dg/dp_eq | dg/du du/dp_net].
 *
 * Parameters: p = [the model's params..., the network's params...] (names `nn.W1[0,0]`, ...).
 */
import { describeValue } from '../errors.ts';
import { expressionField, type ExpressionField } from './expression/compile.ts';
import { ModelError } from './expression/errors.ts';
import type { ExpressionModel } from './expression/parse.ts';
import type { Field } from './field.ts';
import { createMlp, type Mlp, type MlpOptions } from './mlp.ts';

/** The network of a hybrid model: the options of createMlp (sizes[0] = the nn(...) argument count). */
export type HybridNetworkOptions = MlpOptions;

export interface HybridOptions {
  /** An equation model whose equations (and definitions) may call nn(args)[k]. */
  readonly model: ExpressionModel;
  readonly network: HybridNetworkOptions;
}

export interface HybridField extends Field {
  readonly spec: { readonly kind: 'hybrid'; readonly model: ExpressionModel; readonly network: HybridNetworkOptions };
  readonly stateNames: readonly string[];
  readonly paramNames: readonly string[];
  f(t: number, y: Float64Array, p: Float64Array, out: Float64Array): void;
  vjp(t: number, y: Float64Array, p: Float64Array, a: Float64Array, outY: Float64Array, outP: Float64Array): void;
  readonly mlp: Mlp;
  /** Number of the model's own parameters; the network's start at this offset of p. */
  readonly networkOffset: number;
  /** The network's arguments as written in nn(...): state names and possibly 't'. */
  readonly networkInputs: readonly string[];
  /** The compiled auxiliary model g(t, y, u, p) (states extended by the network outputs). */
  readonly expression: ExpressionField;
  /**
   * A full parameter vector: the model's params (in model.params order) followed by the
   * network's Glorot-uniform initialisation for the seed (default: network.seed).
   */
  initParams(modelParams?: ArrayLike<number>, seed?: number): Float64Array;
}

const NN_PREFIX = '__nn_';

export function hybridField(options: HybridOptions): HybridField {
  if (options == null || typeof options !== 'object') {
    throw new ModelError('hybrid', `expected { model, network }, got ${describeValue(options)}`);
  }
  const { model, network } = options;
  if (model == null || typeof model !== 'object' || Array.isArray(model)) {
    throw new ModelError('model', `expected an equation model object, got ${describeValue(model)}`);
  }
  if (network == null || typeof network !== 'object' || Array.isArray(network)) {
    throw new ModelError('network', `expected the network's options, e.g. { sizes: [2, 16, 1] }, got ${describeValue(network)}`);
  }
  let mlp: Mlp;
  try {
    mlp = createMlp(network);
  } catch (error) {
    throw new ModelError('network', (error as Error).message);
  }
  const states = Array.isArray(model.states) ? (model.states as unknown[]) : [];
  const rewritten = rewriteModel(model, states, mlp);
  const expression = expressionField(rewritten.model);
  const dim = states.length;
  const m = mlp.nOutputs;
  const networkOffset = expression.nParams;
  const inputIndex = Int32Array.from(rewritten.inputs, (name) => (name === 't' ? -1 : states.indexOf(name)));
  const nIn = inputIndex.length;

  // Workspaces: the extended state [y, u], its derivative, cotangent and VJP; the network's input.
  const yExt = new Float64Array(dim + m);
  const outExt = new Float64Array(dim + m);
  const aExt = new Float64Array(dim + m);
  const outYExt = new Float64Array(dim + m);
  const u = yExt.subarray(dim);
  const uBar = outYExt.subarray(dim);
  const netIn = new Float64Array(nIn);
  const gIn = new Float64Array(nIn);
  // Forward mode: the tangents of the extended state and of the network input; the Jacobians of
  // g (extended) and of the network, allocated on first use.
  const vExt = new Float64Array(dim + m);
  const du = vExt.subarray(dim);
  const dIn = new Float64Array(nIn);
  let jac: { gy: Float64Array; gp: Float64Array; nx: Float64Array; np: Float64Array } | undefined;

  function evaluateNetwork(t: number, y: Float64Array, p: Float64Array): void {
    for (let j = 0; j < nIn; j++) {
      const i = inputIndex[j];
      netIn[j] = i < 0 ? t : y[i];
    }
    for (let i = 0; i < dim; i++) yExt[i] = y[i];
    mlp.forward(netIn, p, u, networkOffset);
  }

  const spec = {
    kind: 'hybrid' as const,
    model: JSON.parse(JSON.stringify(model)) as ExpressionModel,
    network: JSON.parse(JSON.stringify({ ...network, seed: network.seed ?? 0 })) as HybridNetworkOptions,
  };
  return {
    dim,
    nParams: networkOffset + mlp.nParams,
    spec,
    stateNames: expression.stateNames.slice(0, dim),
    paramNames: [...expression.paramNames, ...mlp.paramNames.map((name) => `nn.${name}`)],
    mlp,
    networkOffset,
    networkInputs: rewritten.inputs,
    expression,

    f(t, y, p, out) {
      evaluateNetwork(t, y, p);
      expression.f(t, yExt, p, outExt);
      for (let i = 0; i < dim; i++) out[i] = outExt[i];
    },

    vjp(t, y, p, a, outY, outP) {
      evaluateNetwork(t, y, p);
      for (let i = 0; i < dim; i++) aExt[i] = a[i];
      // aExt[dim ..] stays 0: the dummy equations of the u's carry no cotangent.
      expression.vjp(t, yExt, p, aExt, outYExt, outP);
      mlp.vjp(netIn, p, uBar, gIn, outP, networkOffset);
      for (let i = 0; i < dim; i++) outY[i] = outYExt[i];
      // d/dt of the network is not part of the field contract: a t input's gradient is dropped.
      for (let j = 0; j < nIn; j++) if (inputIndex[j] >= 0) outY[inputIndex[j]] += gIn[j];
    },

    jvp(t, y, p, v, vp, out) {
      evaluateNetwork(t, y, p);
      for (let j = 0; j < nIn; j++) dIn[j] = inputIndex[j] < 0 ? 0 : v[inputIndex[j]];
      // mlp.jvp reads the tangent of its parameters at networkOffset, where vp holds them.
      mlp.jvp(netIn, p, dIn, vp, du, networkOffset);
      for (let i = 0; i < dim; i++) vExt[i] = v[i];
      // g reads only the first networkOffset entries of its parameter tangent: vp itself will do.
      expression.jvp(t, yExt, p, vExt, vp, outExt);
      for (let i = 0; i < dim; i++) out[i] = outExt[i];
    },

    jacobian(t, y, p, outJy, outJp) {
      const E = dim + m;
      const Pn = mlp.nParams;
      jac ??= {
        gy: new Float64Array(E * E),
        gp: new Float64Array(E * networkOffset),
        nx: new Float64Array(m * nIn),
        np: new Float64Array(m * Pn),
      };
      const { gy, gp, nx, np } = jac;
      evaluateNetwork(t, y, p);
      expression.jacobian(t, yExt, p, gy, gp);
      mlp.jacobian(netIn, p, nx, outJp === null ? null : np, networkOffset);
      const P = networkOffset + Pn;
      for (let i = 0; i < dim; i++) {
        for (let k = 0; k < dim; k++) outJy[i * dim + k] = gy[i * E + k];
        for (let o = 0; o < m; o++) {
          const c = gy[i * E + dim + o];
          if (c === 0) continue;
          for (let j = 0; j < nIn; j++) if (inputIndex[j] >= 0) outJy[i * dim + inputIndex[j]] += c * nx[o * nIn + j];
        }
        if (outJp === null) continue;
        for (let q = 0; q < networkOffset; q++) outJp[i * P + q] = gp[i * networkOffset + q];
        for (let r = 0; r < Pn; r++) {
          let s = 0;
          for (let o = 0; o < m; o++) s += gy[i * E + dim + o] * np[o * Pn + r];
          outJp[i * P + networkOffset + r] = s;
        }
      }
    },

    initParams(modelParams = new Float64Array(networkOffset), seed) {
      if (modelParams.length !== networkOffset) {
        throw new ModelError(
          'params',
          `expected ${networkOffset} model parameter value(s) (${expression.paramNames.join(', ') || 'none'}), got ${modelParams.length}`,
        );
      }
      const p = new Float64Array(networkOffset + mlp.nParams);
      p.set(modelParams);
      p.set(mlp.initParams(seed ?? network.seed ?? 0), networkOffset);
      return p;
    },
  };
}

/** Where nn(...) appears: the call's argument names and the output it selects (0-based). */
interface NnCall {
  readonly args: string[];
  readonly output: number;
}

/**
 * The model with every nn(args)[k] replaced by `__nn_k` and the states extended by `__nn_1 ..
 * __nn_m` (equations 0), plus the common argument list. Errors name the equation at fault.
 */
function rewriteModel(
  model: ExpressionModel,
  states: readonly unknown[],
  mlp: Mlp,
): { model: ExpressionModel; inputs: string[] } {
  const declared = [
    ...states,
    ...(Array.isArray(model.params) ? model.params : []),
    ...Object.keys(model.constants ?? {}),
    ...Object.keys(model.definitions ?? {}),
  ];
  if (declared.includes('nn')) {
    throw new ModelError('model', "'nn' is reserved in a hybrid model (it calls the network): rename the state, parameter, constant or definition");
  }
  const clash = declared.find((name) => typeof name === 'string' && name.startsWith(NN_PREFIX));
  if (clash !== undefined) {
    throw new ModelError('model', `'${clash}' is reserved in a hybrid model (names starting with ${NN_PREFIX} stand for network outputs)`);
  }

  let inputs: string[] | null = null;
  let firstPath = '';
  const rewrite = (source: unknown, path: string): unknown => {
    if (typeof source !== 'string') return source;
    const { text, calls } = replaceCalls(source, path, mlp);
    for (const call of calls) {
      for (const arg of call.args) {
        if (arg !== 't' && !states.includes(arg)) {
          throw new ModelError(
            path,
            `nn(${call.args.join(', ')}): '${arg}' is not a state (the network's inputs must be states or t; states: ${states.join(', ')})`,
          );
        }
      }
      if (call.args.length !== mlp.nInputs) {
        throw new ModelError(
          path,
          `nn(${call.args.join(', ')}) has ${call.args.length} argument(s) but the network takes ${mlp.nInputs} input(s) (network.sizes[0])`,
        );
      }
      if (inputs === null) {
        inputs = call.args;
        firstPath = path;
      } else if (inputs.join(',') !== call.args.join(',')) {
        throw new ModelError(
          path,
          `nn(${call.args.join(', ')}) differs from nn(${inputs.join(', ')}) in ${firstPath}: all nn(...) calls of a model must have the same arguments (there is one network)`,
        );
      }
    }
    return text;
  };
  const mapRecord = (record: Readonly<Record<string, unknown>> | undefined, base: string) =>
    record === undefined || typeof record !== 'object' || record === null
      ? record
      : Object.fromEntries(Object.entries(record).map(([name, value]) => [name, rewrite(value, `${base}.${name}`)]));

  const definitions = mapRecord(model.definitions, 'definitions');
  const equations = mapRecord(model.equations, 'equations');
  if (inputs === null) {
    throw new ModelError('equations', 'a hybrid model must use the network: write a term nn(x, y)[1] (arguments: states or t; index: the output, from 1)');
  }
  const extra = Array.from({ length: mlp.nOutputs }, (_, k) => `${NN_PREFIX}${k + 1}`);
  const extended: ExpressionModel = {
    ...model,
    states: [...(states as string[]), ...extra],
    ...(definitions === undefined ? {} : { definitions: definitions as Record<string, string> }),
    equations: {
      ...(equations as Record<string, string>),
      ...Object.fromEntries(extra.map((name) => [name, '0'])),
    },
  };
  return { model: extended, inputs };
}

/** Replaces each nn(args)[k] in one expression by its output's symbol. */
function replaceCalls(source: string, path: string, mlp: Mlp): { text: string; calls: NnCall[] } {
  const calls: NnCall[] = [];
  const call = /(?<![A-Za-z0-9_.])nn\s*\(/g;
  let text = '';
  let from = 0;
  for (let match = call.exec(source); match !== null; match = call.exec(source)) {
    const open = match.index + match[0].length - 1;
    const close = source.indexOf(')', open);
    const nested = source.indexOf('(', open + 1);
    if (close < 0) throw new ModelError(path, `unclosed nn( in '${source}'`);
    if (nested >= 0 && nested < close) {
      throw new ModelError(path, `nn(...) takes names only (states or t), not expressions, in '${source}'`);
    }
    const argText = source.slice(open + 1, close).trim();
    const args = argText === '' ? [] : argText.split(',').map((s) => s.trim());
    if (args.length === 0) throw new ModelError(path, `nn() needs its inputs, e.g. nn(x, y)[1]`);
    for (const arg of args) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(arg)) {
        throw new ModelError(path, `nn(${argText}): '${arg}' is not a name (the inputs must be states or t, not expressions)`);
      }
    }
    const index = /^\s*\[\s*([^\]]*?)\s*\]/.exec(source.slice(close + 1));
    let output: number;
    let end = close + 1;
    if (index === null) {
      if (mlp.nOutputs !== 1) {
        throw new ModelError(
          path,
          `nn(${args.join(', ')}) needs an output index: the network has ${mlp.nOutputs} outputs, write nn(${args.join(', ')})[1] to nn(${args.join(', ')})[${mlp.nOutputs}]`,
        );
      }
      output = 0;
    } else {
      const k = Number(index[1]);
      if (!/^\d+$/.test(index[1]) || k < 1 || k > mlp.nOutputs) {
        throw new ModelError(
          path,
          `nn(${args.join(', ')})[${index[1]}]: the output index must be an integer from 1 to ${mlp.nOutputs} (the network's outputs, numbered from 1)`,
        );
      }
      output = k - 1;
      end += index[0].length;
    }
    // The replacement is a name: a digit or letter right after the call would be glued onto it
    // (nn(x, y)[1]2 would read as output 12). Such a juxtaposition is refused.
    const next = source.slice(end).match(/^\s*([A-Za-z0-9_.(])/);
    if (next) {
      throw new ModelError(path, `'${next[1]}' right after nn(${args.join(', ')})${index === null ? '' : `[${output + 1}]`} in '${source}': write an operator between them (e.g. * for a product)`);
    }
    text += `${source.slice(from, match.index)}${NN_PREFIX}${output + 1}`;
    from = end;
    call.lastIndex = end;
    calls.push({ args, output });
  }
  text += source.slice(from);
  if (/(?<![A-Za-z0-9_.])nn(?![A-Za-z0-9_])/.test(text)) {
    throw new ModelError(path, `'nn' must be called as nn(inputs)[k], e.g. nn(x, y)[1], in '${source}'`);
  }
  return { text, calls };
}
