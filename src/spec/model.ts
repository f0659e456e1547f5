/**
 * The spec's model as a Field: an equation model compiled by the expression compiler, or a
 * built-in (the hand-written N-body and Lotka-Volterra fields). The compiler's ModelError paths
 * are relative to the model, so they are prefixed with `model.` to become paths in the spec:
 *
 *   model.equations.x: unknown symbol 'alfa' (did you mean 'alpha'?)
 */
import { lotkaVolterraField } from '../fields/classic.ts';
import { expressionField } from '../fields/expression/compile.ts';
import { ModelError } from '../fields/expression/errors.ts';
import { nbodyModel } from '../fields/expression/nbody.ts';
import type { ExpressionModel } from '../fields/expression/parse.ts';
import type { Field } from '../fields/field.ts';
import { nbodyField } from '../fields/nbody.ts';
import { SpecError } from './errors.ts';
import type { EquationModelSpec, Spec } from './schema.ts';

export interface ResolvedModel {
  readonly field: Field;
  readonly stateNames: readonly string[];
  readonly paramNames: readonly string[];
  /** Named constants the model defines (observations may use them). */
  readonly constants: Readonly<Record<string, number>>;
}

export function resolveModel(spec: Spec): ResolvedModel {
  const model = spec.model;
  if ('builtin' in model) {
    if (model.builtin === 'lotka_volterra') return named(lotkaVolterraField(), {});
    const options = { bodies: model.bodies, dims: model.dims, G: model.G, velocityScale: model.velocityScale };
    return named(model.implementation === 'expression' ? compile(nbodyModel(options)) : nbodyField(options), {});
  }
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
  try {
    return expressionField(model);
  } catch (error) {
    if (error instanceof ModelError) {
      const prefix = `${error.path}: `;
      const cause = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
      throw new SpecError([{ path: `model.${error.path}`, message: cause }]);
    }
    throw error;
  }
}

function named(field: Field, constants: Readonly<Record<string, number>>): ResolvedModel {
  const stateNames = field.stateNames ?? Array.from({ length: field.dim }, (_, i) => `y${i + 1}`);
  const paramNames = field.paramNames ?? Array.from({ length: field.nParams }, (_, i) => `p${i + 1}`);
  return { field, stateNames, paramNames, constants };
}
