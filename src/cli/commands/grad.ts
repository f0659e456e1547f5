/** `aca grad SPEC`: the loss against the data and its gradient, as JSON. */
import { evaluateProblem, gradientReport, initialTheta } from '../../fit/objective.ts';
import { loadProblem } from '../../spec/load.ts';
import { parseCommandArgs, UsageError } from '../args.ts';
import type { Command } from '../command.ts';
import { writeResult } from '../io.ts';

/** The `format` key of `aca grad`'s JSON (docs/formats.md). */
export const GRADIENT_FORMAT = 'aca-ode/gradient@1';

export const grad: Command = {
  name: 'grad',
  summary: 'the loss against the data and its gradient (JSON)',
  help: `Usage: aca grad SPEC [--data FILE] [--out FILE]

Evaluates the loss (weighted squared error against the data) at the spec's starting values and
its gradient by the spec's gradient method (aca, adjoint or naive), and writes JSON:
  loss, gradient (by fitted entry, e.g. "params.a"), dy0 (by state), dp (by parameter), stats.

Options:
  --data FILE   a CSV data file in place of the spec's \`data\`
  --out FILE    write here (atomically) instead of stdout
  -h, --help    this help

Exit codes: 0 ok, 1 solver failure, 2 bad input.`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      'grad',
      argv,
      { data: { type: 'string' }, out: { type: 'string', short: 'o' } },
      ['SPEC'],
    );
    if (values.help) {
      io.stdout.write(grad.help + '\n');
      return 0;
    }
    const { problem } = await loadProblem(positionals[0], { data: values.data as string | undefined });
    if (!problem.data && !problem.eventLoss) {
      throw new UsageError(`aca grad: no data (give --data FILE or \`data:\` in the spec, or observed event times)`);
    }
    const report = { format: GRADIENT_FORMAT, ...gradientReport(problem, evaluateProblem(problem, initialTheta(problem))) };
    await writeResult(io, values.out as string | undefined, JSON.stringify(report, null, 2) + '\n');
    return 0;
  },
};
