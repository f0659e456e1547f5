/**
 * Users' own observations and starting values for the three-body job.
 *
 * Observations: a CSV (io/csv.ts) with a time column (t or time) and columns x1 y1 z1 ... xN yN
 * zN for the positions of some or all bodies at any subset of times (empty cells = not observed).
 *
 * Starting values: a JSON file
 *   { "masses": [m1, ..., mN],                     initial guess (or the known masses)
 *     "y0": [x1, y1, z1, ..., vxN, vyN, vzN],       or one such array per observation window
 *     "t0": 0,                                      or one per window (default: 0)
 *     "units": "au-day-msun",  or  "G": 1.0,        (default G = 1)
 *     "velocityScale": 1 }
 */
import { InvalidArgumentError } from '../errors.ts';
import { CsvError, parseCsv } from '../io/csv.ts';
import type { Observations } from './observations.ts';
import { unitSystem, type GravitySystem } from './system.ts';
import { MAX_BODIES, MAX_DATA_BYTES, MAX_SPEC_BYTES } from '../limits.ts';
import { readTextFile } from '../io/read.ts';

export function positionColumns(bodies: number): string[] {
  return Array.from({ length: bodies }, (_, b) => ['x', 'y', 'z'].map((a) => `${a}${b + 1}`)).flat();
}

export async function readObservations(file: string, bodies: number, time?: string): Promise<Observations> {
  let text: string;
  try {
    text = await readTextFile(file, MAX_DATA_BYTES);
  } catch (error) {
    throw new CsvError(file, [{ line: 0, message: `cannot read: ${(error as Error).message}` }]);
  }
  const columns = positionColumns(bodies);
  const table = parseCsv(text, { name: file, columns, time });
  if (table.times.length === 0) throw new CsvError(file, [{ line: 0, message: 'no observation rows' }]);
  const n = 3 * bodies;
  const positions = new Float64Array(table.times.length * n).fill(NaN);
  table.columns.forEach((name, j) => {
    const i = columns.indexOf(name);
    for (let k = 0; k < table.times.length; k++) positions[k * n + i] = table.values[k * table.columns.length + j];
  });
  return { times: table.times, positions };
}

export interface StartingValues {
  readonly system: GravitySystem;
  readonly masses: Float64Array;
  readonly y0s: Float64Array[];
  readonly t0s: number[];
}

export async function readStartingValues(file: string, windows: number, overrides: { units?: string; G?: number }): Promise<StartingValues> {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await readTextFile(file, MAX_SPEC_BYTES));
  } catch (error) {
    throw new InvalidArgumentError('--initial', file, `a readable JSON file (${(error as Error).message})`);
  }
  const masses = numbers(json.masses, `${file}: masses`);
  const bodies = masses.length;
  if (bodies < 2 || bodies > MAX_BODIES) {
    throw new InvalidArgumentError(`${file}: masses`, json.masses, `from 2 to ${MAX_BODIES} masses (one per body)`);
  }
  if (masses.some((m) => !(m > 0))) throw new InvalidArgumentError(`${file}: masses`, json.masses, 'positive numbers (a mass is > 0)');
  const d = 6 * bodies;
  const raw = json.y0;
  const list = Array.isArray(raw) && Array.isArray(raw[0]) ? (raw as unknown[]) : [raw];
  const y0s = list.map((y, w) => {
    const v = numbers(y, `${file}: y0${list.length > 1 ? `[${w}]` : ''}`);
    if (v.length !== d) throw new InvalidArgumentError(`${file}: y0`, `${v.length} numbers`, `${d} (positions then velocities of ${bodies} bodies)`);
    return v;
  });
  if (y0s.length === 1 && windows > 1) for (let w = 1; w < windows; w++) y0s.push(Float64Array.from(y0s[0]));
  if (y0s.length !== windows) throw new InvalidArgumentError(`${file}: y0`, `${y0s.length} initial states`, `one, or one per --data file (${windows})`);
  const t0raw = json.t0 ?? 0;
  const t0s = Array.isArray(t0raw) ? Array.from(numbers(t0raw, `${file}: t0`)) : Array(windows).fill(Number(t0raw));
  if (t0s.length !== windows || t0s.some((t) => !Number.isFinite(t))) {
    throw new InvalidArgumentError(`${file}: t0`, t0raw, `a number, or one per --data file (${windows})`);
  }
  const units = overrides.units ?? (typeof json.units === 'string' ? json.units : undefined);
  const base = units ? unitSystem(units) : { G: 1, velocityScale: 1 };
  const G = overrides.G ?? (typeof json.G === 'number' ? json.G : base.G);
  const velocityScale = typeof json.velocityScale === 'number' ? json.velocityScale : base.velocityScale;
  return { system: { bodies, G, velocityScale }, masses, y0s, t0s };
}

function numbers(value: unknown, name: string): Float64Array {
  if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw new InvalidArgumentError(name, value, 'a non-empty array of finite numbers');
  }
  return Float64Array.from(value as number[]);
}
