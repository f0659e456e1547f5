/**
 * The spec's model as a Field: an equation model compiled by the expression compiler, or a
 * built-in (the hand-written N-body and Lotka-Volterra fields). The compiler's ModelError paths
 * are relative to the model, so they are prefixed with `model.` to become paths in the spec:
 *
 *   model.equations.x: unknown symbol 'alfa' (did you mean 'alpha'?)
 *
 * A model with a network: `{states, network}` is a neural ODE (mlpField, named after the spec's
 * states); an equation model with a `network` is a hybrid model (hybridField), whose parameters
 * are the model's followed by the network's. Its `network` entry says where the network's
 * parameters start and how to make the starting parameter vector.
 */
import { InvalidArgumentError } from '../errors.ts';
import { lotkaVolterraField } from '../fields/classic.ts';
import { expressionField } from '../fields/expression/compile.ts';
import { ModelError } from '../fields/expression/errors.ts';
import { nbodyModel } from '../fields/expression/nbody.ts';
import type { ExpressionModel } from '../fields/expression/parse.ts';
import type { Field } from '../fields/field.ts';
import { hybridField } from '../fields/hybrid.ts';
import { mlpField } from '../fields/mlp.ts';
import { nbodyField } from '../fields/nbody.ts';
import { SpecError } from './errors.ts';
import type { EquationModelSpec, NetworkSpec, NeuralModelSpec, Spec } from './schema.ts';

export interface ResolvedModel {
  readonly field: Field;
  readonly stateNames: readonly string[];
  readonly paramNames: readonly string[];
  /** Named constants the model defines (observations may use them). */
  readonly constants: Readonly<Record<string, number>>;
  /** For a model with a network (a neural or hybrid model); absent otherwise. */
  readonly network?: ResolvedNetwork;
}

export interface ResolvedNetwork {
  readonly kind: 'neural' | 'hybrid';
  /** The model's own parameters (the spec's `params`): none for a neural model. */
  readonly modelParamNames: readonly string[];
  /** Where the network's parameters start in p (= modelParamNames.length). */
  readonly networkOffset: number;
  /** The network's parameter count (p has networkOffset + networkParams entries). */
  readonly networkParams: number;
  /** The starting p: the model's values, then the network's seeded initialisation. */
  initParams(modelParams: ArrayLike<number>): Float64Array;
}

export function resolveModel(spec: Spec): ResolvedModel {
  const model = spec.model;
  if ('builtin' in model) {
    if (model.builtin === 'lotka_volterra') return named(lotkaVolterraField(), {});
    const options = { bodies: model.bodies, dims: model.dims, G: model.G, velocityScale: model.velocityScale };
    return named(model.implementation === 'expression' ? compile(nbodyModel(options)) : nbodyField(options), {});
  }
  if (!('equations' in model)) return neuralModel(model);
  if (model.network) return hybridModel(equationModel(model, spec), model.network, model.constants ?? {});
  return named(compile(equationModel(model, spec)), model.constants ?? {});
}

/** The names of the model's states, without compiling it (to check a data file's header). */
export function modelStateNames(spec: Spec): readonly string[] {
  const model = spec.model;
  if (!('builtin' in model)) return model.states;
  if (model.builtin === 'lotka_volterra') return ['x', 'y'];
  return nbodyField({ bodies: model.bodies, dims: model.dims }).stateNames ?? [];
}

/** The model as the compiler takes it; parameter names default to the keys of `params`. */
function equationModel(model: EquationModelSpec, spec: Spec): ExpressionModel {
  let params = model.params;
  if (params === undefined) {
    if (spec.params === undefined) params = [];
    else if (!Array.isArray(spec.params)) params = Object.keys(spec.params);
    else {
      throw new SpecError([
        { path: 'model.params', message: 'missing (list the parameter names here, or give `params` as a map name: value)' },
      ]);
    }
  }
  return {
    states: model.states,
    params,
    constants: model.constants,
    definitions: model.definitions as Record<string, string> | undefined,
    equations: model.equations as Record<string, string>,
  };
}

function compile(model: ExpressionModel): Field {
  checkNoNetworkCalls(model);
  return asSpecError(() => expressionField(model));
}

/** A neural ODE named after the spec's states (mlpField's own names are y1, y2, ...). */
function neuralModel(model: NeuralModelSpec): ResolvedModel {
  const field = asSpecError(() => mlpField(networkOptions(model.network)));
  const named = { ...field, stateNames: [...model.states] };
  return {
    field: named,
    stateNames: named.stateNames,
    paramNames: field.paramNames ?? [],
    constants: {},
    network: {
      kind: 'neural',
      modelParamNames: [],
      networkOffset: 0,
      networkParams: field.nParams,
      initParams: () => field.initParams(),
    },
  };
}

function hybridModel(model: ExpressionModel, network: NetworkSpec, constants: Readonly<Record<string, number>>): ResolvedModel {
  const field = asSpecError(() => hybridField({ model, network: networkOptions(network) }));
  return {
    field,
    stateNames: field.stateNames,
    paramNames: field.paramNames,
    constants,
    network: {
      kind: 'hybrid',
      modelParamNames: model.params,
      networkOffset: field.networkOffset,
      networkParams: field.mlp.nParams,
      initParams: (modelParams) => field.initParams(modelParams),
    },
  };
}

/** The network's options without the keys the spec left out (so a field's JSON spec stays lean). */
function networkOptions(network: NetworkSpec): NetworkSpec {
  return Object.fromEntries(Object.entries(network).filter(([, v]) => v !== undefined)) as NetworkSpec;
}

/** nn(...) in a model without a network: say what is missing rather than 'unknown function'. */
function checkNoNetworkCalls(model: ExpressionModel): void {
  const sources = [
    ...Object.entries(model.definitions ?? {}).map(([name, text]) => [`definitions.${name}`, text] as const),
    ...Object.entries(model.equations ?? {}).map(([name, text]) => [`equations.${name}`, text] as const),
  ];
  for (const [path, text] of sources) {
    if (typeof text === 'string' && /(?<![A-Za-z0-9_.])nn\s*\(/.test(text)) {
      throw new SpecError([
        {
          path: `model.${path}`,
          message: 'nn(...) calls a network, but the model has none (add model.network, e.g. { sizes: [2, 16, 1] })',
        },
      ]);
    }
  }
}

/** Runs `build`, turning a ModelError (path relative to the model) into a SpecError. */
function asSpecError<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof ModelError) {
      const prefix = `${error.path}: `;
      const cause = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
      // hybridField names the model as a whole 'model'; everything else is inside it.
      throw new SpecError([{ path: error.path === 'model' ? 'model' : `model.${error.path}`, message: cause }]);
    }
    if (error instanceof InvalidArgumentError) {
      // mlpField's checks; the schema catches the shapes first, so this is a last resort.
      throw new SpecError([{ path: `model.network.${error.argument}`, message: error.message }]);
    }
    throw error;
  }
}

function named(field: Field, constants: Readonly<Record<string, number>>): ResolvedModel {
  const stateNames = field.stateNames ?? Array.from({ length: field.dim }, (_, i) => `y${i + 1}`);
  const paramNames = field.paramNames ?? Array.from({ length: field.nParams }, (_, i) => `p${i + 1}`);
  return { field, stateNames, paramNames, constants };
}
