/**
 * Initial states and parameters from the spec: their starting values, and which of them are
 * fitted (free), with bounds and a transform. The optimizer works on a vector theta of the free
 * values in fitted coordinates: the value itself ('none') or its logarithm ('log'); bounds are
 * mapped the same way, so an optimizer only ever sees a box in theta.
 */
import { didYouMean } from '../fields/expression/suggest.ts';
import type { SpecIssue } from './errors.ts';
import type { Transform, ValueSpec, ValuesSpec } from './schema.ts';

export interface FreeValue {
  /** Where it is in the spec: `params.a`, `initial.x`, `initial[3]`. */
  readonly path: string;
  /** The state's or parameter's name. */
  readonly name: string;
  readonly target: 'initial' | 'params';
  /** Index into y0 or p. */
  readonly index: number;
  /** Starting value, in model coordinates. */
  readonly value: number;
  /** Bounds in model coordinates (±Infinity when unbounded). */
  readonly lower: number;
  readonly upper: number;
  readonly transform: Transform;
}

export interface ResolvedValues {
  readonly values: Float64Array;
  readonly free: FreeValue[];
}

/**
 * Values for `names` from the spec's map or list at `key` ('initial' or 'params'); problems are
 * appended to `issues`.
 */
export function resolveValues(
  key: 'initial' | 'params',
  spec: ValuesSpec | undefined,
  names: readonly string[],
  issues: SpecIssue[],
): ResolvedValues {
  const noun = key === 'initial' ? 'state' : 'parameter';
  const values = new Float64Array(names.length);
  const free: FreeValue[] = [];
  const take = (entry: ValueSpec, index: number, path: string) => {
    if (typeof entry === 'number') {
      values[index] = entry;
      return;
    }
    values[index] = entry.value;
    if (entry.fit === false) return;
    free.push({
      path,
      name: names[index],
      target: key,
      index,
      value: entry.value,
      lower: entry.bounds?.[0] ?? (entry.transform === 'log' ? 0 : -Infinity),
      upper: entry.bounds?.[1] ?? Infinity,
      transform: entry.transform ?? 'none',
    });
  };

  if (spec === undefined) {
    if (names.length > 0) {
      issues.push({ path: key, message: `missing (the model has ${noun}s ${names.join(', ')})` });
    }
  } else if (Array.isArray(spec)) {
    if (spec.length !== names.length) {
      issues.push({
        path: key,
        message: `expected ${names.length} ${plural(noun, names.length)} (${names.join(', ')}), got ${spec.length}`,
      });
    } else {
      spec.forEach((entry, i) => take(entry, i, `${key}[${i}]`));
    }
  } else {
    for (const name of Object.keys(spec)) {
      if (!names.includes(name)) {
        const hint = didYouMean(name, names) || ` (the ${noun}s are ${names.join(', ') || 'none'})`;
        issues.push({ path: `${key}.${name}`, message: `'${name}' is not a ${noun} of the model${hint}` });
      }
    }
    names.forEach((name, i) => {
      if (Object.hasOwn(spec, name)) take(spec[name], i, `${key}.${name}`);
      else issues.push({ path: `${key}.${name}`, message: `missing (the model's ${noun} '${name}' needs a value)` });
    });
  }
  return { values, free };
}

/** theta entry from a model value. */
export function toFitted(free: FreeValue, value: number): number {
  return free.transform === 'log' ? Math.log(value) : value;
}

/** Model value from a theta entry. */
export function fromFitted(free: FreeValue, theta: number): number {
  return free.transform === 'log' ? Math.exp(theta) : theta;
}

/** d(value)/d(theta), to carry a gradient from model coordinates to fitted ones. */
export function fittedJacobian(free: FreeValue, theta: number): number {
  return free.transform === 'log' ? Math.exp(theta) : 1;
}

/** Bounds of theta. */
export function fittedBounds(free: readonly FreeValue[]): { lower: Float64Array; upper: Float64Array } {
  const lower = Float64Array.from(free, (f) => (f.transform === 'log' ? (f.lower > 0 ? Math.log(f.lower) : -Infinity) : f.lower));
  const upper = Float64Array.from(free, (f) => (f.transform === 'log' ? Math.log(f.upper) : f.upper));
  return { lower, upper };
}

function plural(noun: string, n: number): string {
  return n === 1 ? `${noun} value` : `${noun} values`;
}
