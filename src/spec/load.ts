/**
 * Reading a spec: text (YAML, of which JSON is a subset) -> plain value -> validated Spec, and a
 * spec file plus its data file -> Problem. Every failure is a SpecError (or a CsvError for the
 * data) whose message names the place: `line 3, column 1: ...` for syntax, `path: cause` for
 * content.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { parseCsv, type DataTable } from '../io/csv.ts';
import { SpecError } from './errors.ts';
import { specIssues } from './issues.ts';
import { resolveModel } from './model.ts';
import { buildProblem, type Problem } from './problem.ts';
import { SpecSchema, show, type Spec } from './schema.ts';

/** Validates a spec given as a plain value (parsed JSON or YAML). */
export function parseSpec(value: unknown, file?: string): Spec {
  if (value === null || value === undefined) throw new SpecError([{ path: '', message: 'the spec is empty' }], file);
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new SpecError([{ path: '', message: `expected a map of keys (model, initial, params, ...), got ${show(value)}` }], file);
  }
  const result = SpecSchema.safeParse(value, { reportInput: true });
  if (!result.success) throw new SpecError(specIssues(result.error.issues), file);
  return result.data;
}

/** Parses spec text (YAML or JSON) and validates it. */
export function parseSpecText(text: string, file?: string): Spec {
  let value: unknown;
  try {
    value = parseYaml(text, { prettyErrors: false, merge: false });
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const where = error.pos ? `${lineAndColumn(text, error.pos[0])}: ` : '';
      throw new SpecError([{ path: '', message: `${where}${error.message.split('\n')[0]}` }], file);
    }
    throw error;
  }
  return parseSpec(value, file);
}

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
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const cause = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message;
    throw new SpecError([{ path: '', message: `cannot read ${what} file '${file}': ${cause}` }]);
  }
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split(/\r\n|\n|\r/);
  return `line ${before.length}, column ${before[before.length - 1].length + 1}`;
}
