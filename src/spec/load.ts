/**
 * Reading a spec file (Node): a spec file plus its data file -> Problem; the text itself is
 * parsed by parse.ts. Every failure is a SpecError (or a CsvError for the
 * data) whose message names the place: `line 3, column 1: ...` for syntax, `path: cause` for
 * content.
 */
import { basename, dirname, extname, resolve } from 'node:path';
import { parseCsv, type DataTable } from '../io/csv.ts';
import { readTextFile } from '../io/read.ts';
import { MAX_DATA_BYTES, MAX_SPEC_BYTES } from '../limits.ts';
import { SpecError } from './errors.ts';
import { resolveModel } from './model.ts';
import { buildProblem, type Problem } from './problem.ts';
import { parseSpecText } from './parse.ts';
import type { Spec } from './schema.ts';

export { parseSpec, parseSpecText } from './parse.ts';

export async function loadSpec(file: string): Promise<Spec> {
  return parseSpecText(await readText(file, 'spec'), file);
}

export interface LoadedProblem {
  readonly spec: Spec;
  readonly problem: Problem;
  /** The data table and the file it came from, if any. */
  readonly data?: DataTable;
  readonly dataFile?: string;
}

export interface LoadOptions {
  /** A data file in place of the spec's `data` (relative to the working directory). */
  readonly data?: string;
  /** The data's time column (default: the spec's data.time, else 't' or 'time'). */
  readonly time?: string;
  /** Do not read the spec's own `data` file (`aca solve`). */
  readonly ignoreSpecData?: boolean;
}

/** Reads a spec file and its data (`options.data`, else the spec's `data`) into a Problem. */
export async function loadProblem(file: string, options: LoadOptions = {}): Promise<LoadedProblem> {
  const spec = await loadSpec(file);
  const specData = typeof spec.data === 'string' ? { file: spec.data, time: undefined } : spec.data;
  const dataFile =
    options.data ?? (specData !== undefined && !options.ignoreSpecData ? resolve(dirname(file), specData.file) : undefined);
  // The model first: its errors come before the data's, and it names the columns data may have.
  const model = inFile(file, () => resolveModel(spec));
  let data: DataTable | undefined;
  if (dataFile !== undefined) {
    const columns = [...model.stateNames, ...Object.keys(spec.observations ?? {})];
    data = parseCsv(await readText(dataFile, 'data'), { name: options.data ?? specData?.file, columns, time: options.time ?? specData?.time });
  }
  const problem = inFile(file, () => buildProblem(spec, data, model));
  // Without a `name`, the problem is called after its file.
  return { spec, problem: spec.name ? problem : { ...problem, name: basename(file, extname(file)) }, data, dataFile };
}

/** Runs `build`, naming `file` in the SpecError it may throw. */
function inFile<T>(file: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof SpecError && error.file === undefined) throw new SpecError(error.issues, file);
    throw error;
  }
}

async function readText(file: string, what: 'spec' | 'data'): Promise<string> {
  try {
    // Sized before it is read: a multi-gigabyte file or /dev/zero would exhaust memory first.
    return await readTextFile(file, what === 'spec' ? MAX_SPEC_BYTES : MAX_DATA_BYTES);
  } catch (error) {
    throw new SpecError([{ path: '', message: `cannot read ${what} file '${file}': ${(error as Error).message}` }]);
  }
}
