/**
 * `aca worker --queue redis://HOST:PORT[/DB]`: takes the jobs of `aca batch --queue` (and of
 * batchGradient's queue option) from a BullMQ queue and runs them on this machine's worker
 * threads (src/queue/worker.ts). Start one per machine; they share the queue.
 */
import { resolveWorkers } from '../../parallel/pool.ts';
import { DEFAULT_QUEUE_NAME } from '../../queue/connection.ts';
import { EXIT_OK, intOption, parseCommandArgs, UsageError } from '../args.ts';
import type { Command } from '../command.ts';

export const WORKER_HELP = `Usage: aca worker --queue redis://HOST:PORT[/DB] [options]

Runs the jobs of \`aca batch RUNS.jsonl --queue URL\` on this machine: each job on one of the
machine's worker threads, through the same run kinds as a local batch. Start one on each
machine; the submitting \`aca batch\` writes the results. Runs until Ctrl-C (or SIGTERM), which
stops taking jobs and puts the running ones back in the queue for another worker.

Options:
      --queue URL        the Redis server (required)
      --queue-name Q     the queue's name (default ${DEFAULT_QUEUE_NAME})
  -w, --workers N        worker threads (default: the number of cores)
  -c, --concurrency N    jobs taken at once (default: the number of worker threads)
      --lock-ms MS       BullMQ job lock (default 30000): a job of a worker that died goes back
                         to the queue this long after its last lock renewal
  -h, --help             this help

A worker refuses (and leaves in the queue) jobs submitted by another aca-ode version.
Run specs and data named by path must be at the same path on every worker's machine
(a shared file system), or be given inline in the runs file.

Exit codes: 0 stopped (Ctrl-C or SIGTERM), 1 failure while running, 2 bad input (options, a Redis that does not answer).`;

export const worker: Command = {
  name: 'worker',
  summary: 'run queued batch jobs (aca batch --queue) from Redis on this machine',
  help: WORKER_HELP,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      'worker',
      argv,
      {
        queue: { type: 'string' },
        'queue-name': { type: 'string' },
        workers: { type: 'string', short: 'w' },
        concurrency: { type: 'string', short: 'c' },
        'lock-ms': { type: 'string' },
      },
      [],
    );
    if (values.help) {
      io.stdout.write(WORKER_HELP + '\n');
      return EXIT_OK;
    }
    const url = values.queue as string | undefined;
    if (!url) throw new UsageError('aca worker: missing --queue redis://HOST:PORT (see aca worker --help)');
    const workers = resolveWorkers(intOption('worker', 'workers', values.workers), '--workers');
    const concurrency = intOption('worker', 'concurrency', values.concurrency);
    const lockMs = intOption('worker', 'lock-ms', values['lock-ms']);
    const { startQueueWorker } = await import('../../queue/worker.ts');
    const { redisUnreachable } = await import('../../queue/connection.ts');
    const why = await redisUnreachable(url, 3000);
    if (why) throw new UsageError(`aca worker: ${why}`);
    const w = startQueueWorker({
      url,
      name: values['queue-name'] as string | undefined,
      workers,
      concurrency,
      lockMs,
      stalledIntervalMs: lockMs === undefined ? undefined : Math.max(200, Math.round(lockMs / 2)),
      log: (line) => io.stderr.write(line + '\n'),
    });
    await w.ready;
    io.stderr.write(`aca worker: waiting for jobs on ${values['queue-name'] ?? DEFAULT_QUEUE_NAME} at ${url} (${workers} threads)\n`);
    await new Promise<void>((resolve) => {
      const onSignal = () => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        io.stderr.write('aca worker: stopping; running jobs go back to the queue\n');
        resolve();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
    await w.stop();
    io.stderr.write(`aca worker: stopped (${w.counts.completed} jobs done, ${w.counts.failed} failed here)\n`);
    return EXIT_OK;
  },
};
