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
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError } from '../errors.ts';
import { InterruptedError, type WorkerFaultError } from './errors.ts';
import { runTasks, type PoolOptions } from './pool.ts';
import type { RunProgress } from './progress-port.ts';
import type { RunSpec, RunTask } from './run-spec.ts';

export interface BatchRunsOptions extends PoolOptions {
  readonly runsFile: string;
  readonly outFile: string;
  /** Run again the runs whose last line in the output records a failure (default false). */
  readonly retryFailed?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: BatchRunsProgress) => void;
  /** A running run's progress from its worker (progress-port.ts); null once the run is over. */
  readonly onRunProgress?: (id: string | number, progress: RunProgress | null) => void;
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
  const entries = readRuns(options.runsFile);
  const previous = readPreviousLines(options.outFile);
  const pending = entries.filter((e) => {
    const last = previous.get(String(e.id));
    return last === undefined || (options.retryFailed === true && !last.ok);
  });
  const skipped = entries.length - pending.length;
  let done = 0;
  let failed = 0;
  const progress = () => options.onProgress?.({ total: pending.length, done, failed, skipped });
  const out = openSync(options.outFile, 'a');
  const write = (line: RunLine) => {
    appendLine(out, JSON.stringify(line));
    options.onRunProgress?.(line.id, null);
    done++;
    if (!line.ok) failed++;
    progress();
  };
  let interrupted = false;
  try {
    progress();
    // Lines that are not runs fail at once, without a worker.
    for (const e of pending) {
      if (e.invalid) write({ id: e.id, ok: false, error: { ...e.invalid, attempts: 0 }, elapsedMs: 0 });
    }
    const runnable = pending.filter((e) => e.run);
    const started = new Float64Array(runnable.length);
    await runTasks<unknown>({
      workers: options.workers,
      resourceLimits: options.resourceLimits,
      signal: options.signal,
      what: 'the batch',
      count: runnable.length,
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
  } finally {
    closeSync(out);
  }
  return { total: pending.length, done, failed, skipped, interrupted, outFile: options.outFile };
}

/** Parses the runs file; ids must be unique. */
export function readRuns(file: string): RunEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidArgumentError('runs file', file, `a readable JSONL file (${(error as Error).message})`);
  }
  const entries: RunEntry[] = [];
  text.split('\n').forEach((raw, k) => {
    const line = k + 1;
    const source = raw.trim();
    if (source === '' || source.startsWith('#')) return;
    let run: unknown;
    try {
      run = JSON.parse(source);
    } catch (error) {
      entries.push({ id: line, line, invalid: { code: 'ERR_INVALID_JSON', message: `line ${line}: ${(error as Error).message}` } });
      return;
    }
    if (run === null || typeof run !== 'object' || Array.isArray(run)) {
      entries.push({ id: line, line, invalid: { code: 'ERR_INVALID_RUN', message: `line ${line}: a run is a JSON object with a "kind"` } });
      return;
    }
    const id = (run as RunSpec).id;
    if (id !== undefined && typeof id !== 'string' && !(typeof id === 'number' && Number.isFinite(id))) {
      entries.push({ id: line, line, invalid: { code: 'ERR_INVALID_RUN', message: `line ${line}: "id" must be a string or a number` } });
      return;
    }
    entries.push({ id: id ?? line, line, run: withAbsolutePaths(run as RunSpec, dirname(resolve(file))) });
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

/** The last line per id already in the output; cuts off a trailing partial line first. */
export function readPreviousLines(file: string): Map<string, RunLine> {
  const lines = new Map<string, RunLine>();
  if (!existsSync(file)) return lines;
  let text = readFileSync(file, 'utf8');
  if (text.length > 0 && !text.endsWith('\n')) {
    const keep = text.lastIndexOf('\n') + 1;
    const fd = openSync(file, 'r+');
    try {
      ftruncateSync(fd, Buffer.byteLength(text.slice(0, keep), 'utf8'));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    text = text.slice(0, keep);
  }
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    try {
      const line = JSON.parse(raw) as RunLine;
      if (line && (typeof line.id === 'string' || typeof line.id === 'number')) lines.set(String(line.id), line);
    } catch {
      // A complete line that is not JSON was not written by us; its run (if any) runs again.
    }
  }
  return lines;
}

/** One line in one write, then fsync: a crash leaves the line whole or absent. */
export function appendLine(fd: number, json: string): void {
  const bytes = Buffer.from(json + '\n', 'utf8');
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
  fsyncSync(fd);
}

function describeFailure(error: WorkerFaultError): string {
  return error.trajectory === undefined ? error.message : `trajectory ${error.trajectory}: ${error.message}`;
}

function elapsed(start: number): number {
  return Math.round((performance.now() - start) * 10) / 10;
}
