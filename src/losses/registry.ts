/**
 * Losses described as JSON, so that a loss can travel to a worker thread or sit in a batch file
 * next to its field spec. `buildLoss(spec, context)` turns a description into a Loss (loss.ts);
 * each kind registers a builder, as fields do in fields/registry.ts.
 *
 * Kinds:
 *   { kind: 'squared_error', target?, observed?, weights?, timeWeights?, reduction? }
 *       squaredError (loss.ts). The target is K x m (flat, or K rows of m); a trajectory's own
 *       `target` (context.target) replaces the spec's. JSON has no NaN: null marks a missing cell.
 *   { kind: 'sum_squares', components?, timeWeights?, reduction? }
 *       sum over output times and the listed components (default all) of y^2: squared_error with
 *       a zero target (the figure-eight benchmark's loss uses components 0..8, the positions).
 */
import { InvalidArgumentError } from '../errors.ts';
import { squaredError, type Loss, type SquaredErrorOptions } from './loss.ts';

/** A JSON description of a loss; `kind` selects the builder. */
export interface LossSpec {
  readonly kind: string;
  readonly [key: string]: unknown;
}

export interface SquaredErrorSpec extends LossSpec {
  readonly kind: 'squared_error';
  readonly target?: JsonSeries;
  readonly observed?: readonly number[];
  readonly weights?: JsonSeries;
  readonly timeWeights?: readonly number[];
  readonly reduction?: SquaredErrorOptions['reduction'];
}

export interface SumSquaresSpec extends LossSpec {
  readonly kind: 'sum_squares';
  readonly components?: readonly number[];
  readonly timeWeights?: readonly number[];
  readonly reduction?: SquaredErrorOptions['reduction'];
}

/** Numbers as JSON writes them: flat or as rows; null stands for a missing value (NaN). */
export type JsonSeries = readonly (number | null)[] | readonly (readonly (number | null)[])[];

/** What a loss builder knows about the problem it is built for. */
export interface LossContext {
  /** State dimension d and number of output times K. */
  readonly dim: number;
  readonly nTimes: number;
  /** The trajectory's own observations (replacing spec.target), if it has any. */
  readonly target?: JsonSeries;
}

export type LossBuilder = (spec: LossSpec, context: LossContext) => Loss;

const builders = new Map<string, LossBuilder>([
  ['squared_error', buildSquaredError],
  ['sum_squares', buildSumSquares],
]);

export function registerLossKind(kind: string, builder: LossBuilder): void {
  builders.set(kind, builder);
}

export const LOSS_KINDS = (): string[] => [...builders.keys()];

export function buildLoss(spec: LossSpec, context: LossContext): Loss {
  const builder = spec && typeof spec === 'object' ? builders.get(spec.kind) : undefined;
  if (!builder) {
    throw new InvalidArgumentError('loss.kind', spec?.kind, `one of ${LOSS_KINDS().join(', ')}`);
  }
  return builder(spec, context);
}

/** True when the built loss differs between trajectories (so it cannot be built once per job). */
export function lossNeedsTrajectory(spec: LossSpec): boolean {
  return spec?.kind === 'squared_error';
}

/** Flattens a JSON series (flat or rows) into a Float64Array, null -> NaN. */
export function seriesToFloat64(name: string, series: JsonSeries | undefined): Float64Array | undefined {
  if (series === undefined) return undefined;
  if (!Array.isArray(series)) throw new InvalidArgumentError(name, series, 'an array of numbers, or an array of rows');
  const flat: (number | null)[] = [];
  series.forEach((row: unknown, k: number) => {
    if (Array.isArray(row)) {
      row.forEach((v: unknown, i: number) => flat.push(cell(`${name}[${k}][${i}]`, v)));
    } else {
      flat.push(cell(`${name}[${k}]`, row));
    }
  });
  return Float64Array.from(flat, (v) => (v === null ? NaN : v));
}

function cell(name: string, v: unknown): number | null {
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidArgumentError(name, v, 'a finite number or null (missing)');
  return v;
}

function buildSquaredError(spec: LossSpec, context: LossContext): Loss {
  const s = spec as SquaredErrorSpec;
  const target = seriesToFloat64(context.target !== undefined ? 'trajectory.target' : 'loss.target', context.target ?? s.target);
  if (!target) {
    throw new InvalidArgumentError('loss.target', undefined, "observations for 'squared_error': in the loss spec or in each trajectory's `target`");
  }
  return squaredError(context.dim, {
    target,
    observed: s.observed,
    weights: seriesToFloat64('loss.weights', s.weights),
    timeWeights: s.timeWeights,
    reduction: s.reduction,
  });
}

function buildSumSquares(spec: LossSpec, context: LossContext): Loss {
  const s = spec as SumSquaresSpec;
  const m = s.components?.length ?? context.dim;
  return squaredError(context.dim, {
    target: new Float64Array(context.nTimes * m),
    observed: s.components,
    timeWeights: s.timeWeights,
    reduction: s.reduction,
  });
}
