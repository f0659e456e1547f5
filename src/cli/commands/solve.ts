/** `aca solve SPEC`: the trajectory at the output times, as CSV or JSON. */
import { trajectoryCsv } from '../../io/csv-write.ts';
import { solve as solveField } from '../../solvers/solve.ts';
import { loadProblem } from '../../spec/load.ts';
import { parseCommandArgs, UsageError } from '../args.ts';
import type { Command } from '../command.ts';
import { writeResult } from '../io.ts';

/** The `format` key of `aca solve`'s JSON (docs/formats.md). */
export const SOLUTION_FORMAT = 'aca-ode/solution@1';

export const solve: Command = {
  name: 'solve',
  summary: 'solve the spec\'s problem and write the trajectory (CSV or JSON)',
  help: `Usage: aca solve SPEC [--out FILE] [--format csv|json] [--data FILE]

Solves the problem at the starting values of the spec (fitted entries at their \`value\`) and
writes the state at each output time: the spec's \`times\`, else the data file's times.

Options:
  --out FILE        write here (atomically) instead of stdout; a .json or .csv name sets the format
  --format FORMAT   csv (a column t, then one per state) or json (the default: from --out's
                    extension, else csv)
  --data FILE       a CSV data file whose times to use when the spec has no \`times\`
  -h, --help        this help

Exit codes: 0 ok, 1 solver failure, 2 bad input.`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      'solve',
      argv,
      { out: { type: 'string', short: 'o' }, format: { type: 'string' }, data: { type: 'string' } },
      ['SPEC'],
    );
    if (values.help) {
      io.stdout.write(solve.help + '\n');
      return 0;
    }
    const format = outputFormat(values.format as string | undefined, values.out as string | undefined);
    const { problem } = await loadProblem(positionals[0], { data: values.data as string | undefined });
    const times = problem.times;
    if (!times) throw new UsageError(`aca solve: no output times (give \`times\` in the spec, or a data file)`);
    const solution = solveField(problem.field, problem.y0, { ...problem.solver, times, t0: problem.t0, params: problem.params });
    const content =
      format === 'csv'
        ? trajectoryCsv(solution.t, solution.y, problem.stateNames)
        : JSON.stringify(
            {
              format: SOLUTION_FORMAT,
              name: problem.name,
              method: solution.method,
              states: problem.stateNames,
              t: Array.from(solution.t),
              y: Array.from({ length: solution.t.length }, (_, k) => Array.from(solution.y.subarray(k * solution.dim, (k + 1) * solution.dim))),
              stats: solution.stats,
            },
            null,
            1,
          ) + '\n';
    await writeResult(io, values.out as string | undefined, content);
    return 0;
  },
};

/** --format, else the extension of --out (x.json writes JSON), else CSV; a mismatch is an error. */
export function outputFormat(format: string | undefined, out: string | undefined): 'csv' | 'json' {
  if (format !== undefined && format !== 'csv' && format !== 'json') {
    throw new UsageError(`aca solve: --format must be csv or json, got '${format}'`);
  }
  const extension = out === undefined ? undefined : /\.(csv|json)$/i.exec(out)?.[1].toLowerCase();
  if (format !== undefined && extension !== undefined && format !== extension) {
    throw new UsageError(`aca solve: --format ${format} does not match --out ${out} (a .${extension} file); drop one of them`);
  }
  return (format ?? extension ?? 'csv') as 'csv' | 'json';
}
