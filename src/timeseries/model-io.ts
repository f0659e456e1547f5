/**
 * The fitted model as a JSON file: the field's spec (fields/registry.ts rebuilds the field from
 * it), the parameters, the initial state and time, and what the training did. Saved atomically
 * (io/atomic.ts): a reader sees the old file or the new one, never half of one.
 *
 *   { "format": "aca-ode/fitted-model@1", "version": 1,
 *     "field": { "kind": "mlp", ... }, "params": [...], "paramNames": [...],
 *     "stateNames": [...], "y0": [...], "t0": 0, "training": { ... } }
 *
 * Parameters are written as JSON numbers, which round-trip doubles exactly. Reading and writing the
 * file (Node) is model-file.ts; this module has the format only, so that it bundles for a browser.
 */
import { AcaError, describeValue } from '../errors.ts';
import type { Field, FieldSpec } from '../fields/field.ts';
import { buildField } from '../fields/registry.ts';

export const FITTED_MODEL_FORMAT = 'aca-ode/fitted-model@1';
/** What version 0.1 wrote (with version: 1); still read. */
const LEGACY_FITTED_MODEL_FORMAT = 'aca-ode/fitted-model';
export const FITTED_MODEL_VERSION = 1;

export interface FittedModelFile {
  readonly format: typeof FITTED_MODEL_FORMAT;
  readonly version: number;
  readonly field: FieldSpec;
  readonly params: number[];
  readonly paramNames?: string[];
  readonly stateNames?: string[];
  /** The state at t0 from which the fitted trajectory starts. */
  readonly y0: number[];
  readonly t0: number;
  /** Free-form training metadata (settings, losses, timing). */
  readonly training?: Record<string, unknown>;
}

export interface FittedModel {
  readonly field: Field;
  readonly params: Float64Array;
  readonly y0: Float64Array;
  readonly t0: number;
  readonly training: Record<string, unknown>;
}

/** A bad fitted-model file: `path` names the entry at fault. */
export class FittedModelError extends AcaError {
  readonly file: string;
  readonly path: string;
  constructor(file: string, path: string, detail: string) {
    super('ERR_FITTED_MODEL', `${file}: ${path}: ${detail}`);
    this.file = file;
    this.path = path;
  }
}

export interface SaveInput {
  readonly field: Field;
  readonly params: ArrayLike<number>;
  readonly y0: ArrayLike<number>;
  readonly t0: number;
  readonly training?: Record<string, unknown>;
}

/** The JSON object of a fitted model (what saveFittedModel writes). */
export function fittedModelJson(input: SaveInput): FittedModelFile {
  const { field } = input;
  if (!field.spec) {
    throw new FittedModelError('(model)', 'field', 'the field has no JSON spec, so it cannot be saved and rebuilt');
  }
  if (input.params.length !== field.nParams) {
    throw new FittedModelError('(model)', 'params', `${input.params.length} values for a field with ${field.nParams} parameters`);
  }
  return {
    format: FITTED_MODEL_FORMAT,
    version: FITTED_MODEL_VERSION,
    field: JSON.parse(JSON.stringify(field.spec)) as FieldSpec,
    params: Array.from(input.params),
    ...(field.paramNames ? { paramNames: [...field.paramNames] } : {}),
    ...(field.stateNames ? { stateNames: [...field.stateNames] } : {}),
    y0: Array.from(input.y0),
    t0: input.t0,
    ...(input.training ? { training: JSON.parse(JSON.stringify(input.training)) as Record<string, unknown> } : {}),
  };
}

/** Checks a fitted model's JSON and rebuilds its field. */
export function parseFittedModel(json: unknown, file = '(model)'): FittedModel {
  const fail = (path: string, detail: string) => new FittedModelError(file, path, detail);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw fail('(root)', `expected an object, got ${describeValue(json)}`);
  const m = json as Record<string, unknown>;
  if (m.format !== FITTED_MODEL_FORMAT && m.format !== LEGACY_FITTED_MODEL_FORMAT) throw fail('format', `expected "${FITTED_MODEL_FORMAT}", got ${describeValue(m.format)}`);
  if (m.version !== FITTED_MODEL_VERSION) {
    throw fail('version', `version ${describeValue(m.version)} is not supported (this library reads version ${FITTED_MODEL_VERSION})`);
  }
  const spec = m.field as FieldSpec;
  if (spec === null || typeof spec !== 'object' || typeof spec.kind !== 'string') {
    throw fail('field', `expected a field spec with a kind, got ${describeValue(spec)}`);
  }
  let field: Field;
  try {
    field = buildField(spec);
  } catch (error) {
    throw fail('field', (error as Error).message);
  }
  const params = numbers(m.params, 'params', field.nParams, fail);
  const y0 = numbers(m.y0, 'y0', field.dim, fail);
  if (typeof m.t0 !== 'number' || !Number.isFinite(m.t0)) throw fail('t0', `expected a finite number, got ${describeValue(m.t0)}`);
  const training = m.training === undefined ? {} : (m.training as Record<string, unknown>);
  return { field, params, y0, t0: m.t0, training };
}

function numbers(value: unknown, path: string, length: number, fail: (p: string, d: string) => FittedModelError): Float64Array {
  if (!Array.isArray(value) || value.length !== length) {
    throw fail(path, `expected an array of ${length} numbers (the field's), got ${describeValue(value)}`);
  }
  value.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw fail(`${path}[${i}]`, `expected a finite number, got ${describeValue(v)}`);
  });
  return Float64Array.from(value as number[]);
}
