/** `aca dashboard --queue URL [--port P]`: Bull Board for a batch's queue (src/queue/dashboard.ts). */
import { DEFAULT_QUEUE_NAME } from '../../queue/connection.ts';
import { EXIT_OK, intOption, parseCommandArgs, UsageError } from '../args.ts';
import type { Command } from '../command.ts';

export const DASHBOARD_HELP = `Usage: aca dashboard --queue redis://HOST:PORT[/DB] [--port P]

Serves Bull Board, the BullMQ dashboard, for the queue of \`aca batch --queue\` on
http://127.0.0.1:P/ (localhost only: the board can retry and remove jobs and has no login).
It lists the batch's jobs by state (waiting, active, completed, failed, delayed) with their
progress, results and errors. Runs until Ctrl-C.

Options:
      --queue URL        the Redis server (required)
      --queue-name Q     the queue's name (default ${DEFAULT_QUEUE_NAME})
  -p, --port P           the port (default 3000)
  -h, --help             this help

Exit codes: 0 stopped (Ctrl-C or SIGTERM), 1 failure while running, 2 bad input (options, a Redis that does not answer).`;

export const dashboard: Command = {
  name: 'dashboard',
  summary: 'serve Bull Board for a batch queue on localhost',
  help: DASHBOARD_HELP,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      'dashboard',
      argv,
      { queue: { type: 'string' }, 'queue-name': { type: 'string' }, port: { type: 'string', short: 'p' } },
      [],
    );
    if (values.help) {
      io.stdout.write(DASHBOARD_HELP + '\n');
      return EXIT_OK;
    }
    const url = values.queue as string | undefined;
    if (!url) throw new UsageError('aca dashboard: missing --queue redis://HOST:PORT (see aca dashboard --help)');
    const port = values.port === '0' ? 0 : intOption('dashboard', 'port', values.port);
    const { redisUnreachable } = await import('../../queue/connection.ts');
    const why = await redisUnreachable(url, 3000);
    if (why) throw new UsageError(`aca dashboard: ${why}`);
    const { startDashboard } = await import('../../queue/dashboard.ts');
    const board = await startDashboard({ url, name: values['queue-name'] as string | undefined, port });
    io.stderr.write(`aca dashboard: ${board.url} (Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await board.close();
    return EXIT_OK;
  },
};
