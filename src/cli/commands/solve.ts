/** `aca solve SPEC`: the trajectory at the output times, as CSV or JSON. */
import { formatCsv, trajectoryCsv } from '../../io/csv-write.ts';
import { solve as solveField, type Solution } from '../../solvers/solve.ts';
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
writes the state at each output time: the spec's \`times\`, else the data file's times, else
(with the spec's \`t1\`) every accepted step. With \`events\` in the spec, each occurrence is a
row too, named in a last column \`event\` (CSV) or listed under "events" (JSON: name, t, y and,
after a reset, yAfter); a terminal event ends the table at its time.

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
    if (!times && problem.t1 === undefined) throw new UsageError(`aca solve: no output times (give \`times\` or \`t1\` in the spec, or a data file)`);
    const solution = solveField(problem.field, problem.y0, {
      ...problem.solver,
      times,
      t0: problem.t0,
      t1: problem.t1,
      params: problem.params,
      events: problem.events.length > 0 ? problem.events : undefined,
    });
    const hasEvents = problem.events.length > 0;
    const content =
      format === 'csv'
        ? hasEvents
          ? trajectoryWithEventsCsv(solution, problem.stateNames)
          : trajectoryCsv(solution.t, solution.y, problem.stateNames)
        : JSON.stringify(
            {
              format: SOLUTION_FORMAT,
              name: problem.name,
              method: solution.method,
              states: problem.stateNames,
              t: Array.from(solution.t),
              y: Array.from({ length: solution.t.length }, (_, k) => Array.from(solution.y.subarray(k * solution.dim, (k + 1) * solution.dim))),
              stats: solution.stats,
              ...(hasEvents
                ? {
                    events: solution.events.map((e) => ({
                      name: e.name,
                      t: e.t,
                      y: Array.from(e.y),
                      ...(e.yAfter ? { yAfter: Array.from(e.yAfter) } : {}),
                    })),
                    terminated: solution.terminated,
                  }
                : {}),
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

/** The trajectory rows and one row per event (at its time, before any reset), in time order. */
function trajectoryWithEventsCsv(solution: Solution, names: readonly string[]): string {
  const d = solution.dim;
  const rows: { t: number; order: number; cells: (number | string)[] }[] = [];
  for (let k = 0; k < solution.t.length; k++) {
    rows.push({ t: solution.t[k], order: 0, cells: [solution.t[k], ...solution.y.subarray(k * d, (k + 1) * d), ''] });
  }
  for (const e of solution.events) rows.push({ t: e.t, order: 1, cells: [e.t, ...e.y, e.name] });
  // Stable: rows at equal times keep outputs before events, and events in their order.
  const dir = solution.t.length > 1 && solution.t[solution.t.length - 1] < solution.t[0] ? -1 : 1;
  rows.sort((a, b) => dir * (a.t - b.t) || a.order - b.order);
  return formatCsv(['t', ...names, 'event'], rows.map((r) => r.cells));
}
