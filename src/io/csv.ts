/**
 * Observation data from CSV: a header with a time column (`t` or `time`) and one column per
 * observed series (a state, or an observation named in the spec), then one row per observation
 * time. Times may be irregular but must increase; a cell that is empty, `NA` or `NaN` is missing
 * (that series is not observed at that time). Lines starting with `#` and blank lines are skipped,
 * so a file can say in a header comment how it was made. Cells may be quoted ("x").
 *
 * Every bad row is reported, each with its line number (up to MAX_PROBLEMS of them):
 *
 *   data.csv line 7: column 'y' has 'abc', not a number
 */
import { AcaError } from '../errors.ts';
import { didYouMean } from '../fields/expression/suggest.ts';

export interface DataTable {
  /** The file name used in messages. */
  readonly name: string;
  /** Observation times, increasing. */
  readonly times: Float64Array;
  /** The series (column names other than time), in file order. */
  readonly columns: readonly string[];
  /** times.length x columns.length, row-major; NaN = missing. */
  readonly values: Float64Array;
  /** The file's line number (from 1) of each row. */
  readonly lines: readonly number[];
}

export interface CsvProblem {
  /** Line number from 1; 0 for the file as a whole. */
  readonly line: number;
  readonly message: string;
}

/** Bad data: `message` has one `name line N: cause` line per problem. */
export class CsvError extends AcaError {
  readonly file: string;
  readonly problems: readonly CsvProblem[];
  constructor(file: string, problems: readonly CsvProblem[], more = 0) {
    const lines = problems.map((p) => (p.line > 0 ? `${file} line ${p.line}: ${p.message}` : `${file}: ${p.message}`));
    if (more > 0) lines.push(`${file}: ... and ${more} more bad ${more === 1 ? 'row' : 'rows'}`);
    super('ERR_DATA', lines.join('\n'));
    this.file = file;
    this.problems = problems;
  }
}

export interface ParseCsvOptions {
  /** Name of the file in messages (default 'data.csv'). */
  readonly name?: string;
  /** The series names allowed as columns; any other column is an error. Default: any. */
  readonly columns?: readonly string[];
  /** The time column's name (default: the column called 't' or 'time'). */
  readonly time?: string;
}

export const TIME_COLUMNS = ['t', 'time'] as const;
export const MAX_PROBLEMS = 20;
/**
 * The most cells (rows x series) a data file may hold: 10 million float64 values (80 MB), well
 * past any fit this library runs in reasonable time, and far below what would exhaust memory.
 */
export const MAX_DATA_CELLS = 10_000_000;

export function parseCsv(text: string, options: ParseCsvOptions = {}): DataTable {
  const name = options.name ?? 'data.csv';
  const rows = dataLines(text);
  if (rows.length === 0) throw new CsvError(name, [{ line: 0, message: 'no header line (expected a header such as t,x,y)' }]);

  const header = rows[0];
  const names = splitCells(header.text).map((cell) => cell.trim());
  const timeIndex = headerProblems(names, options.columns, options.time, (message) => {
    throw new CsvError(name, [{ line: header.line, message }]);
  });
  const seriesIndices = names.map((_, j) => j).filter((j) => j !== timeIndex);
  const columns = seriesIndices.map((j) => names[j]);
  const timeName = names[timeIndex];

  const problems: CsvProblem[] = [];
  let badRows = 0;
  const report = (line: number, message: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ line, message });
  };
  const times: number[] = [];
  const values: number[] = [];
  const lines: number[] = [];
  let lastTime = -Infinity;
  let lastLine = 0;
  for (const row of rows.slice(1)) {
    const cells = splitCells(row.text).map((cell) => cell.trim());
    if (cells.length !== names.length) {
      badRows++;
      report(row.line, `${cells.length} ${cells.length === 1 ? 'cell' : 'cells'}, expected ${names.length} (${names.join(', ')})`);
      continue;
    }
    let bad = false;
    const timeCell = cells[timeIndex];
    const time = isMissing(timeCell) ? NaN : parseNumber(timeCell);
    if (isMissing(timeCell)) {
      bad = true;
      report(row.line, `the time (column '${timeName}') is missing`);
    } else if (!Number.isFinite(time)) {
      bad = true;
      report(row.line, `column '${timeName}' has '${clip(timeCell)}', ${notANumber(time)}`);
    } else if (!(time > lastTime)) {
      bad = true;
      report(row.line, `time ${time} is not after ${lastTime} (line ${lastLine}); times must increase`);
    }
    const rowValues = seriesIndices.map((j) => {
      const cell = cells[j];
      if (isMissing(cell)) return NaN;
      const value = parseNumber(cell);
      if (!Number.isFinite(value)) {
        bad = true;
        report(row.line, `column '${names[j]}' has '${clip(cell)}', ${notANumber(value)}`);
      }
      return value;
    });
    // A valid time is the reference for the next row's, even when a value in its row is bad.
    if (time > lastTime) {
      lastTime = time;
      lastLine = row.line;
    }
    if (bad) {
      badRows++;
      continue;
    }
    if ((times.length + 1) * columns.length > MAX_DATA_CELLS) {
      throw new CsvError(name, [{ line: row.line, message: `more than ${MAX_DATA_CELLS} cells (rows x series); the limit keeps a fit within memory and time` }]);
    }
    times.push(time);
    for (const v of rowValues) values.push(v);
    lines.push(row.line);
  }
  if (problems.length > 0) {
    const reportedRows = new Set(problems.map((p) => p.line)).size;
    throw new CsvError(name, problems, badRows - reportedRows);
  }
  if (times.length === 0) throw new CsvError(name, [{ line: 0, message: 'no data rows (only a header)' }]);
  // A table with no observed cell would give a loss of 0 whatever the model: nothing to fit.
  if (!values.some((v) => !Number.isNaN(v))) {
    throw new CsvError(name, [{ line: 0, message: `every cell of ${columns.join(', ')} is missing (nothing is observed)` }]);
  }
  return { name, times: Float64Array.from(times), columns, values: Float64Array.from(values), lines };
}

/** Checks the header; returns the time column's index. `fail` throws. */
function headerProblems(names: string[], allowed: readonly string[] | undefined, time: string | undefined, fail: (message: string) => never): number {
  names.forEach((n, j) => {
    if (n === '') fail(`column ${j + 1} has no name`);
  });
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) fail(`duplicate column '${n}'`);
    seen.add(n);
  }
  if (time !== undefined && !names.includes(time)) {
    fail(`no time column '${time}' (the time column named by data.time or --time-column)${didYouMean(time, names) || `; the header is ${names.join(',')}`}`);
  }
  const timeColumns = time !== undefined ? [time] : names.filter((n) => (TIME_COLUMNS as readonly string[]).includes(n));
  if (timeColumns.length === 0) fail(`no time column (name one column 't' or 'time', or name yours by data.time in the spec or --time-column); the header is ${names.join(',')}`);
  if (timeColumns.length > 1) fail(`two time columns '${timeColumns[0]}' and '${timeColumns[1]}' (keep one)`);
  const timeIndex = names.indexOf(timeColumns[0]);
  if (allowed) {
    for (const n of names) {
      if (n === timeColumns[0] || allowed.includes(n)) continue;
      fail(`unknown column '${n}'${didYouMean(n, allowed) || ` (the series are ${allowed.join(', ')})`}`);
    }
  }
  if (names.length < 2) fail(`no data columns besides '${timeColumns[0]}'`);
  return timeIndex;
}

interface Line {
  readonly line: number;
  readonly text: string;
}

/** Non-blank, non-comment lines with their 1-based numbers. */
function dataLines(text: string): Line[] {
  const out: Line[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\n|\r/)
    .forEach((raw, k) => {
      const trimmed = raw.trim();
      if (trimmed !== '' && !trimmed.startsWith('#')) out.push({ line: k + 1, text: raw });
    });
  return out;
}

/** Splits one line on commas; "quoted" cells may contain commas and doubled quotes (""). */
function splitCells(text: string): string[] {
  if (!text.includes('"')) return text.split(',');
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells;
}

const MISSING = new Set(['', 'na', 'nan']);

function isMissing(cell: string): boolean {
  return MISSING.has(cell.toLowerCase());
}

/** A bad cell's cause: overflowing literals such as 1e999 parse to Infinity. */
function notANumber(value: number): string {
  return Number.isNaN(value) ? 'not a number' : 'not a finite number (out of the float64 range)';
}

/** A cell as quoted in a message, cut short so that one huge cell cannot flood the terminal. */
function clip(cell: string): string {
  return cell.length > 40 ? `${cell.slice(0, 37)}...` : cell;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A decimal number, or NaN (Number('') is 0 and Number('0x1') is 1, so not Number()). */
function parseNumber(cell: string): number {
  return NUMBER.test(cell) ? Number(cell) : NaN;
}
