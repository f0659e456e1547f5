/**
 * `aca batch RUNS.jsonl --out RESULTS.jsonl [--workers N] [--retry-failed]`: independent runs
 * over the worker pool (src/parallel/batch-runs.ts), with a progress bar and a line per active
 * run on stderr (batch-progress.ts). With `--queue redis://...` the runs go to a BullMQ queue
 * instead, run by `aca worker` processes on any machine (src/queue/collector.ts).
 *
 * The first Ctrl-C stops dispatching, ends the running workers and closes the output (complete
 * lines only); rerunning the same command resumes. A second Ctrl-C exits at once, which also
 * leaves only complete lines (each is written by one write and fsync'd).
 */
import { dirname } from 'node:path';
import { makeOutputFolder } from '../../io/atomic.ts';
import { MAX_TIMEOUT_SECONDS, runBatchFile } from '../../parallel/batch-runs.ts';
import type { RunProgress } from '../../parallel/job-types.ts';
import { DEFAULT_QUEUE_NAME } from '../../queue/connection.ts';
import { closePool, defaultWorkers, resolveWorkers } from '../../parallel/pool.ts';
import { EXIT_FAILURE, EXIT_OK, exitCodeFor, intOption, numberOption, parseCommandArgs, UsageError } from '../args.ts';
import type { Command } from '../command.ts';
import { processIO, type CliIO } from '../io.ts';
import { BatchProgressView } from '../batch-progress.ts';

/** A run's default time limit (a run line's "timeoutSeconds" overrides it), and a worker's heap. */
export const DEFAULT_TIMEOUT_SECONDS = 3600;
export const DEFAULT_MAX_MEMORY_MB = 4096;

export const BATCH_HELP = `Usage: aca batch RUNS.jsonl --out RESULTS.jsonl [options]

Runs independent solve, grad and fit runs, one JSON object a line, on a pool of worker threads.
Each finished run appends one complete line to the output:
  {"id": ..., "ok": true, "kind": "grad", "result": {...}, "elapsedMs": ...}
  {"id": ..., "ok": false, "kind": "grad", "error": {"code", "message", "attempts"}, "elapsedMs": ...}
A run's id is its "id" field, else its line number. Running the command again skips the runs
the output already has, so an interrupted batch resumes where it stopped.

A run line is a problem spec: {"kind": "solve" | "grad" | "fit", "spec": "model.yaml",
"data": "obs.csv", "iterations": N (fit)}, paths relative to RUNS.jsonl; or a batch job of many
trajectories: {"kind": "grad" | "solve", "field", "solver", "params", "loss", "trajectories"}.

Options:
  -o, --out FILE       results file (JSONL, appended to; required)
  -w, --workers N      worker threads (default: the number of cores, ${defaultWorkers()} here)
      --queue URL      submit the runs to a BullMQ queue on Redis (redis://HOST:PORT[/DB])
                       instead of running them here; \`aca worker --queue URL\` runs them on
                       any machine, and this command writes their results
      --queue-name Q   the queue's name (default ${DEFAULT_QUEUE_NAME})
      --retry-failed   run again the runs whose line records a failure
      --timeout S      time limit of a run without its own "timeoutSeconds" (default ${DEFAULT_TIMEOUT_SECONDS})
      --max-memory MB  heap limit of each worker thread (default ${DEFAULT_MAX_MEMORY_MB})
  -q, --quiet          no progress bar
  -h, --help           this help

A run whose worker throws, exits or runs out of memory is tried once more; if it fails again,
its error goes into its line and the other runs go on. A run past its time limit is stopped and
fails with ERR_RUN_TIMEOUT, once. Only one aca batch may write an output at a time (a lock file
RESULTS.jsonl.lock holds its pid); a failed write to the output stops the batch (exit 1).

On a queue, a run is a job whose id is its run id and a hash of its line: submitting it again
adds nothing, and a run that finished while this command was not running is written from Redis
without running again. Ctrl-C removes this batch's waiting jobs from the queue; running ones
finish on their workers. --timeout goes with the jobs; --workers and --max-memory are the
local pool's (an \`aca worker\` sets its own).

Exit codes: 0 every run succeeded, 1 some runs failed or the batch was interrupted, 2 bad input.`;

export const batch: Command = {
  name: 'batch',
  summary: 'run many solve/grad/fit runs (JSONL) on worker threads; resumable JSONL results',
  help: BATCH_HELP,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      'batch',
      argv,
      {
        out: { type: 'string', short: 'o' },
        workers: { type: 'string', short: 'w' },
        'retry-failed': { type: 'boolean' },
        queue: { type: 'string' },
        'queue-name': { type: 'string' },
        timeout: { type: 'string' },
        'max-memory': { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
      },
      ['RUNS.jsonl'],
    );
    if (values.help) {
      io.stdout.write(BATCH_HELP + '\n');
      return EXIT_OK;
    }
    const outFile = values.out as string | undefined;
    if (!outFile) throw new UsageError('aca batch: missing --out RESULTS.jsonl (see aca batch --help)');
    const workers = resolveWorkers(intOption('batch', 'workers', values.workers), '--workers');
    const timeoutSeconds = numberOption('batch', 'timeout', values.timeout) ?? DEFAULT_TIMEOUT_SECONDS;
    if (!(timeoutSeconds > 0 && timeoutSeconds <= MAX_TIMEOUT_SECONDS)) {
      throw new UsageError(`aca batch: --timeout must be a number of seconds in (0, ${MAX_TIMEOUT_SECONDS}], got '${values.timeout}'`);
    }
    const maxMemoryMb = intOption('batch', 'max-memory', values['max-memory']) ?? DEFAULT_MAX_MEMORY_MB;
    if (maxMemoryMb < 64) throw new UsageError(`aca batch: --max-memory must be at least 64 (MB), got '${values['max-memory']}'`);

    const queueUrl = values.queue as string | undefined;
    if (queueUrl !== undefined) {
      // A bad URL or a Redis that does not answer fails now, before anything is read or written.
      const { redisOptions, redisUnreachable } = await import('../../queue/connection.ts');
      redisOptions(queueUrl);
      const why = await redisUnreachable(queueUrl, 3000);
      if (why) throw new UsageError(`aca batch: ${why}`);
    }

    // Like every --out of aca: the folder is made if missing (out/runs.jsonl in a fresh checkout).
    await makeOutputFolder(dirname(outFile));

    const stop = new AbortController();
    const onInterrupt = () => {
      if (stop.signal.aborted) process.exit(EXIT_FAILURE); // a second Ctrl-C: stop now
      io.stderr.write('\naca batch: stopping (Ctrl-C again to exit at once)\n');
      stop.abort();
    };
    process.on('SIGINT', onInterrupt);
    process.on('SIGTERM', onInterrupt);
    const view = values.quiet ? null : new BatchProgressView({ stream: io.stderr });
    let shown = false;
    try {
      const common = {
        runsFile: positionals[0],
        outFile,
        timeoutSeconds,
        retryFailed: values['retry-failed'] === true,
        signal: stop.signal,
        onProgress: (p: { total: number; done: number; failed: number }) => {
          if (!view || p.total === 0 || p.done === p.total) return; // the last one is finish's
          shown = true;
          view.overall(p.total, p.done, p.failed);
        },
        onRunProgress: (id: string | number, p: RunProgress | null) => {
          if (view && shown) view.run(id, p);
        },
      };
      const summary = queueUrl
        ? await (await import('../../queue/collector.ts')).runBatchOnQueue({ ...common, queue: { url: queueUrl, name: values['queue-name'] as string | undefined }, log: (m) => io.stderr.write(`\naca batch: ${m}\n`) })
        : await runBatchFile({ ...common, workers, resourceLimits: { maxOldGenerationSizeMb: maxMemoryMb } });
      if (view && shown) {
        view.overall(summary.total, summary.done, summary.failed);
        view.finish(summary.interrupted);
      }
      if (summary.repaired > 0) {
        io.stderr.write(`aca batch: repaired ${outFile}: dropped ${summary.repaired} incomplete ${summary.repaired === 1 ? 'line' : 'lines'} (their runs ran again)\n`);
      }
      const parts = [`${summary.done - summary.failed} ok`, `${summary.failed} failed`];
      if (summary.skipped > 0) parts.push(`${summary.skipped} skipped (already in ${outFile})`);
      if (summary.interrupted) parts.push(`${summary.total - summary.done} not run (interrupted; run the same command again to resume)`);
      if ('removed' in summary && summary.interrupted) parts.push(`${summary.removed} waiting jobs removed from the queue`);
      io.stderr.write(`aca batch: ${parts.join(', ')}\n`);
      return summary.interrupted || summary.failed > 0 ? EXIT_FAILURE : EXIT_OK;
    } finally {
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onInterrupt);
      await closePool({ force: stop.signal.aborted });
    }
  },
};

/** `aca batch` on its own: runs the command and maps a thrown error to its message and exit code. */
export async function batchCommand(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  try {
    return await batch.run(argv, io);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`${message.startsWith('aca batch') ? '' : 'aca batch: '}${message}\n`);
    return exitCodeFor(error);
  }
}
