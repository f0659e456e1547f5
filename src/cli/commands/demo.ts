/**
 * `aca demo`: the figure-eight three-body orbit of data/three_body.yaml
 * solved over one period with dopri5; prints the bodies' positions at eighths of the period, how
 * closely the orbit closes, and the solver's statistics.
 */
import { fileURLToPath } from 'node:url';
import { solve as solveField } from '../../solvers/solve.ts';
import { loadProblem } from '../../spec/load.ts';
import { parseCommandArgs } from '../args.ts';
import type { Command } from '../command.ts';

const SPEC = fileURLToPath(new URL('../../../data/three_body.yaml', import.meta.url));

export const demo: Command = {
  name: 'demo',
  summary: 'solve the figure-eight three-body orbit and print a table',
  help: `Usage: aca demo

Solves the figure-eight choreography of three equal masses (data/three_body.yaml) over one
period with dopri5 (rtol 1e-10), and prints the positions at eighths of the period, the distance
between the final and the initial state, and the solver's statistics.

Options:
  -h, --help    this help

Exit codes: 0 ok, 1 solver failure, 2 bad input.`,
  async run(argv, io) {
    const { values } = parseCommandArgs('demo', argv, {}, []);
    if (values.help) {
      io.stdout.write(demo.help + '\n');
      return 0;
    }
    const { problem } = await loadProblem(SPEC);
    const times = problem.times!;
    const started = performance.now();
    const solution = solveField(problem.field, problem.y0, { ...problem.solver, times, t0: problem.t0, params: problem.params });
    const ms = performance.now() - started;
    const d = solution.dim;
    const columns = ['x1', 'y1', 'x2', 'y2', 'x3', 'y3'];
    const index = columns.map((c) => problem.stateNames.indexOf(c));
    const lines = [
      `Figure-eight three-body orbit (Chenciner and Montgomery 2000): ${solution.method}, rtol ${problem.solver.rtol}`,
      ['t'.padStart(8), ...columns.map((c) => c.padStart(11))].join(''),
    ];
    for (let k = 0; k < times.length; k++) {
      lines.push([times[k].toFixed(4).padStart(8), ...index.map((i) => fixed(solution.y[k * d + i]).padStart(11))].join(''));
    }
    const last = times.length - 1;
    let gap = 0;
    for (let i = 0; i < d; i++) gap = Math.max(gap, Math.abs(solution.y[last * d + i] - problem.y0[i]));
    const s = solution.stats;
    lines.push(
      `after one period (T = ${times[last]}): max |y(T) - y(0)| = ${gap.toExponential(2)}`,
      `solver: ${s.accepted} accepted and ${s.rejected} rejected steps, ${s.fEvals} f evaluations, ${ms.toFixed(1)} ms`,
    );
    io.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};

/** Six decimals, without a minus sign on a value that rounds to zero. */
function fixed(v: number): string {
  return v.toFixed(6).replace(/^-(0\.0+)$/, '$1');
}
