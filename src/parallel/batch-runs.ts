/**
 * `aca batch RUNS.jsonl --out RESULTS.jsonl`: independent runs (solve, grad, fit: run-spec.ts),
 * one JSON object a line, over the worker pool.
 *
 * The output is append-only JSONL, one complete line per finished run, written with a single
 * write and fsync'd before the next:
 *   { "id": ..., "ok": true,  "kind": "grad", "result": {...}, "elapsedMs": 12.3 }
 *   { "id": ..., "ok": false, "kind": "grad", "error": { "code", "message", "attempts" }, "elapsedMs": ... }
 * Lines appear in the order the runs finish. A run's id is its `id` field, else its line number
 * (1-based, blank lines and # comments count): give runs ids when the file may be edited between
 * restarts.
 *
 * Restart: the runs whose ids already have a line in the output are skipped (failed ones too,
 * unless retryFailed, which runs them again and appends a new line: the last line of an id is
 * its outcome). A trailing partial line, which only a hard kill in the middle of a write could
 * leave, is cut off first. So a restarted batch ends with the same set of lines as one that was
 * never stopped.
 *
 * Faults: a run whose worker throws, exits or runs out of memory is retried once (runTasks);
 * if it fails again its error goes into its line and the other runs go on. An aborted signal
 * (Ctrl-C) stops dispatching and ends the running workers; the file holds only complete lines.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError } from '../errors.ts';
import { closestName } from '../fields/expression/suggest.ts';
import { checkRegularTarget, writeFileAtomicSync } from '../io/atomic.ts';
import { readTextFileSync } from '../io/read.ts';
import { InterruptedError, ResultsWriteError, type WorkerFaultError } from './errors.ts';
import { lockOutput } from './output-lock.ts';
import { capMessage, MAX_VALUE_DEPTH, nestedDeeperThan } from '../limits.ts';
import { runTasks, type PoolOptions } from './pool.ts';
import type { RunProgress, RunSpec, RunTask } from './job-types.ts';

/** Keys of a run line given as a problem spec, and as a batch job (run-spec.ts). */
const SPEC_RUN_KEYS = ['id', 'kind', 'spec', 'data', 'iterations', 'timeoutSeconds', 'testFault'];
const JOB_RUN_KEYS = ['id', 'kind', 'field', 'solver', 'params', 'loss', 'gradient', 'trajectories', 'shardSize', 'timeoutSeconds', 'testFault'];
/** Bytes of a runs file (a million runs of a few hundred bytes). */
const MAX_RUNS_BYTES = 1_000_000_000;
/** Longest per-run time limit: about 24 days, the most a timer may wait. */
export const MAX_TIMEOUT_SECONDS = 2_000_000;

export interface BatchRunsOptions extends PoolOptions {
  readonly runsFile: string;
  readonly outFile: string;
  /** Run again the runs whose last line in the output records a failure (default false). */
  readonly retryFailed?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: BatchRunsProgress) => void;
  /** A running run's progress from its worker (progress-port.ts); null once the run is over. */
  readonly onRunProgress?: (id: string | number, progress: RunProgress | null) => void;
  /** Time limit of a run without its own `timeoutSeconds` (default: none). */
  readonly timeoutSeconds?: number;
  /**
   * Writes bytes to the results file (default fs.writeSync): a seam for tests to inject a
   * failing write, as a full disk would give.
   */
  readonly writeSync?: (fd: number, bytes: Uint8Array, offset: number, length: number) => number;
}

export interface BatchRunsProgress {
  /** Runs to do in this invocation, and how many of them are finished (failed included). */
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  /** Runs skipped because the output already had them. */
  readonly skipped: number;
}

export interface BatchRunsSummary extends BatchRunsProgress {
  readonly interrupted: boolean;
  readonly outFile: string;
  /** Lines of the results file dropped on start because they were not whole JSON records. */
  readonly repaired: number;
}

export interface RunLine {
  readonly id: string | number;
  readonly ok: boolean;
  readonly kind?: string;
  readonly result?: unknown;
  readonly error?: { readonly code: string; readonly message: string; readonly attempts: number };
  readonly elapsedMs: number;
}

/** A line of the runs file: its parsed run, or why it cannot run. */
export interface RunEntry {
  readonly id: string | number;
  readonly line: number;
  readonly run?: RunSpec;
  readonly invalid?: { code: string; message: string };
}

export async function runBatchFile(options: BatchRunsOptions): Promise<BatchRunsSummary> {
  return withResultsFile(options, async (results) => {
    const { pending, write } = results;
    let interrupted = false;
    try {
      const runnable = pending.filter((e) => e.run);
      const started = new Float64Array(runnable.length);
      await runTasks<unknown>({
        workers: options.workers,
        resourceLimits: options.resourceLimits,
        signal: options.signal,
        what: 'the batch',
        count: runnable.length,
        timeoutMs: (i) => {
          const seconds = (runnable[i].run!.timeoutSeconds as number | undefined) ?? options.timeoutSeconds;
          return seconds === undefined ? undefined : seconds * 1000;
        },
        task: (i, attempt): RunTask => {
          if (attempt === 0) started[i] = performance.now();
          return { kind: 'run', run: runnable[i].run!, attempt };
        },
        onProgress: options.onRunProgress && ((i, p) => options.onRunProgress!(runnable[i].id, p)),
        onResult: (i, result) =>
          write({ id: runnable[i].id, ok: true, kind: runnable[i].run!.kind, result, elapsedMs: elapsed(started[i]) }),
        onFailure: (i, error: WorkerFaultError, attempts) => {
          write({
            id: runnable[i].id,
            ok: false,
            kind: runnable[i].run!.kind,
            error: { code: error.code, message: describeFailure(error), attempts },
            elapsedMs: elapsed(started[i]),
          });
          return 'continue';
        },
      });
    } catch (error) {
      if (!(error instanceof InterruptedError)) throw error;
      interrupted = true;
    }
    return { ...results.summary(), interrupted };
  });
}

/** What a batch (local, or collected from a queue) needs of its results file. */
export interface ResultsFileOptions {
  readonly runsFile: string;
  readonly outFile: string;
  readonly retryFailed?: boolean;
  readonly timeoutSeconds?: number;
  readonly onProgress?: (progress: BatchRunsProgress) => void;
  readonly onRunProgress?: (id: string | number, progress: RunProgress | null) => void;
  readonly writeSync?: BatchRunsOptions['writeSync'];
}

/** The results file while a batch runs: the runs still to do, and the one way to record one. */
export interface ResultsFile {
  /** The runs without a line in the output (with retryFailed, also those whose line failed). */
  readonly pending: readonly RunEntry[];
  /**
   * Appends a run's line: once per id, one record per write (encodeRecord, appendLine). After a
   * failed write nothing more is written: a run that finishes while the batch unwinds must not
   * append after the cut (its run simply runs again on restart).
   */
  write(line: RunLine): void;
  summary(): Omit<BatchRunsSummary, 'interrupted'>;
}

/**
 * Opens the results file of a batch (local or on a queue) and runs `body` with it: the runs file
 * read and checked, the output a regular file, one batch per output (the lock), the previous
 * lines read (a torn file repaired), the lines that are not runs failed at once, and the file
 * closed and the lock released whatever happens.
 */
export async function withResultsFile<T>(options: ResultsFileOptions, body: (results: ResultsFile) => Promise<T>): Promise<T> {
  if (options.timeoutSeconds !== undefined && checkTimeout(options.timeoutSeconds) !== undefined) {
    throw new InvalidArgumentError('timeoutSeconds', options.timeoutSeconds, `a number of seconds in (0, ${MAX_TIMEOUT_SECONDS}]`);
  }
  const entries = readRuns(options.runsFile);
  // Appended to and read back: a device (/dev/zero reads for ever) or a folder cannot be one.
  checkRegularTarget(options.outFile);
  // One batch per output at a time, local or on a queue: two would both run everything.
  const lock = lockOutput(options.outFile);
  try {
    const { lines: previous, repaired } = readPreviousLines(options.outFile);
    const pending = entries.filter((e) => {
      const last = previous.get(String(e.id));
      return last === undefined || (options.retryFailed === true && !last.ok);
    });
    const skipped = entries.length - pending.length;
    let done = 0;
    let failed = 0;
    const progress = () => options.onProgress?.({ total: pending.length, done, failed, skipped });
    let out: number;
    try {
      out = openSync(options.outFile, 'a');
    } catch (error) {
      throw new ResultsWriteError(options.outFile, error);
    }
    const writeBytes = options.writeSync ?? writeSync;
    const written = new Set<string>();
    let writeFailure: unknown;
    const write = (line: RunLine) => {
      if (writeFailure !== undefined) throw writeFailure;
      if (written.has(String(line.id))) return;
      const record = encodeRecord(line);
      try {
        appendLine(out, record.json, options.outFile, writeBytes);
      } catch (error) {
        writeFailure = error;
        throw error;
      }
      written.add(String(line.id));
      options.onRunProgress?.(line.id, null);
      done++;
      if (!record.ok) failed++;
      progress();
    };
    try {
      progress();
      // Lines that are not runs fail at once, without a worker.
      for (const e of pending) {
        if (e.invalid) write({ id: e.id, ok: false, error: { ...e.invalid, attempts: 0 }, elapsedMs: 0 });
      }
      return await body({
        pending,
        write,
        summary: () => ({ total: pending.length, done, failed, skipped, outFile: options.outFile, repaired }),
      });
    } finally {
      closeSync(out);
    }
  } finally {
    lock.release();
  }
}

/**
 * A results line as JSON. A result too large for one JSON string (V8 caps strings at about 2^29
 * characters) fails that run, recorded once, instead of failing the write or the batch.
 */
export function encodeRecord(line: RunLine): { json: string; ok: boolean } {
  try {
    return { json: JSON.stringify(line), ok: line.ok };
  } catch (error) {
    if (!(error instanceof RangeError) || !line.ok) throw error;
    const failed: RunLine = {
      id: line.id,
      ok: false,
      kind: line.kind,
      error: { code: 'ERR_RESULT_TOO_LARGE', message: `the result is too large to write as one JSON line (${error.message})`, attempts: 1 },
      elapsedMs: line.elapsedMs,
    };
    return { json: JSON.stringify(failed), ok: false };
  }
}

/** Why a time limit is not one, or undefined. */
function checkTimeout(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= MAX_TIMEOUT_SECONDS) return undefined;
  return `"timeoutSeconds" must be a number of seconds in (0, ${MAX_TIMEOUT_SECONDS}], got ${JSON.stringify(value) ?? String(value)}`;
}

/** Why a run line cannot run (unknown keys, a bad time limit), or undefined. */
function lineProblem(run: Record<string, unknown>): string | undefined {
  const allowed = run.spec !== undefined ? SPEC_RUN_KEYS : JOB_RUN_KEYS;
  for (const key of Object.keys(run)) {
    if (allowed.includes(key)) continue;
    const guess = closestName(key, allowed);
    const form = run.spec !== undefined ? 'a spec run' : 'a batch job run';
    return `unknown key "${key}"${guess ? ` (did you mean "${guess}"?)` : ` (${form} has ${allowed.join(', ')})`}`;
  }
  if (run.timeoutSeconds !== undefined) return checkTimeout(run.timeoutSeconds);
  return undefined;
}

/**
 * One line of a runs file: its run, or why it cannot run (recorded as that run's failure, the
 * others go on); undefined for a blank line or a # comment. Never throws.
 */
export function parseRunLine(raw: string, line: number, folder: string): RunEntry | undefined {
  const source = raw.trim();
  if (source === '' || source.startsWith('#')) return undefined;
  const invalid = (id: string | number, code: string, message: string): RunEntry => ({
    id,
    line,
    invalid: { code, message: capMessage(`line ${line}: ${message}`, 500) },
  });
  let run: unknown;
  try {
    run = JSON.parse(source);
  } catch (error) {
    return invalid(line, 'ERR_INVALID_JSON', (error as Error).message);
  }
  if (run === null || typeof run !== 'object' || Array.isArray(run)) return invalid(line, 'ERR_INVALID_RUN', 'a run is a JSON object with a "kind"');
  // The worker's structured clone and the spec's checks recurse through the value.
  if (nestedDeeperThan(run, MAX_VALUE_DEPTH)) return invalid(line, 'ERR_INVALID_RUN', `nested more than ${MAX_VALUE_DEPTH} levels deep`);
  const id = (run as RunSpec).id;
  if (id !== undefined && typeof id !== 'string' && !(typeof id === 'number' && Number.isFinite(id))) {
    return invalid(line, 'ERR_INVALID_RUN', '"id" must be a string or a number');
  }
  if (typeof (run as RunSpec).kind !== 'string') return invalid(id ?? line, 'ERR_INVALID_RUN', 'missing "kind" (grad, solve or fit)');
  const problem = lineProblem(run as Record<string, unknown>);
  if (problem !== undefined) return invalid(id ?? line, 'ERR_INVALID_RUN', problem);
  return { id: id ?? line, line, run: withAbsolutePaths(run as RunSpec, folder) };
}

/** Parses the runs file; ids must be unique. */
export function readRuns(file: string): RunEntry[] {
  let text: string;
  try {
    text = readTextFileSync(file, MAX_RUNS_BYTES);
  } catch (error) {
    throw new InvalidArgumentError('runs file', file, `a readable JSONL file (${(error as Error).message})`);
  }
  const entries: RunEntry[] = [];
  const folder = dirname(resolve(file));
  text.split('\n').forEach((raw, k) => {
    const entry = parseRunLine(raw, k + 1, folder);
    if (entry) entries.push(entry);
  });
  const seen = new Map<string, number>();
  for (const e of entries) {
    const key = String(e.id);
    const first = seen.get(key);
    if (first !== undefined) {
      throw new InvalidArgumentError(`run id ${JSON.stringify(key)}`, `lines ${first} and ${e.line}`, 'each run id once (a run without "id" takes its line number)');
    }
    seen.set(key, e.line);
  }
  return entries;
}

/** A run's `spec` and `data` files, relative to the runs file's folder, made absolute for the worker. */
function withAbsolutePaths(run: RunSpec, folder: string): RunSpec {
  const spec = typeof run.spec === 'string' ? resolve(folder, run.spec) : run.spec;
  const data = typeof run.data === 'string' ? resolve(folder, run.data) : run.data;
  return spec === run.spec && data === run.data ? run : { ...run, spec, data };
}

/**
 * The last line per id already in the output. A file that is not all whole records (a trailing
 * partial line from a hard kill mid-write, or a torn line glued to the next by an older version)
 * is repaired first: rewritten atomically with its valid records only; their runs run again.
 */
export function readPreviousLines(file: string): { lines: Map<string, RunLine>; repaired: number } {
  const lines = new Map<string, RunLine>();
  if (!existsSync(file)) return { lines, repaired: 0 };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ResultsWriteError(file, error);
  }
  const kept: string[] = [];
  let repaired = 0;
  const raws = text.split('\n');
  // The piece after the last newline is a partial line (or '' when the file ends with one).
  const partial = raws.pop()!;
  if (partial !== '') repaired++;
  for (const raw of raws) {
    if (raw.trim() === '') continue;
    const line = parseRecord(raw);
    if (line === undefined) {
      repaired++;
      continue;
    }
    kept.push(raw);
    lines.set(String(line.id), line);
  }
  if (repaired > 0) {
    try {
      writeFileAtomicSync(file, kept.map((l) => l + '\n').join(''));
    } catch (error) {
      throw new ResultsWriteError(file, error);
    }
  }
  return { lines, repaired };
}

function parseRecord(raw: string): RunLine | undefined {
  try {
    const line = JSON.parse(raw) as RunLine;
    const valid = line !== null && typeof line === 'object' && (typeof line.id === 'string' || typeof line.id === 'number') && typeof line.ok === 'boolean';
    return valid ? line : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One record, written whole, then fsync: a crash leaves the line whole or absent. A failed write
 * (ENOSPC) cuts the file back to where the line began, so no torn line stays for the next record
 * to be glued to, and stops the batch with ResultsWriteError.
 */
export function appendLine(fd: number, json: string, file: string, write: NonNullable<BatchRunsOptions['writeSync']>): void {
  const bytes = Buffer.from(json + '\n', 'utf8');
  let start: number;
  try {
    start = fstatSync(fd).size;
  } catch (error) {
    throw new ResultsWriteError(file, error);
  }
  try {
    let offset = 0;
    while (offset < bytes.length) offset += write(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } catch (error) {
    try {
      ftruncateSync(fd, start);
    } catch {
      // The next start repairs the file (readPreviousLines).
    }
    throw new ResultsWriteError(file, error);
  }
}

function describeFailure(error: WorkerFaultError): string {
  return error.trajectory === undefined ? error.message : `trajectory ${error.trajectory}: ${error.message}`;
}

function elapsed(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}
