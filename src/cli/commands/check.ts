/** `aca check SPEC`: validate a spec (and its data) without solving anything. */
import { parseCommandArgs } from '../args.ts';
import type { Command } from '../command.ts';
import { loadProblem } from '../../spec/load.ts';
import type { NetworkProblem } from '../../spec/problem.ts';
import { DEFAULT_TRAINING_ITERATIONS } from '../../timeseries/plan.ts';

export const check: Command = {
  name: 'check',
  summary: 'validate a spec file (and its data) without solving',
  help: `Usage: aca check SPEC [--data FILE]

Reads SPEC (YAML or JSON), compiles its model, reads its data file (the spec's \`data\`,
or --data), and reports every problem found as \`path: cause\`. Prints a summary if all is well.

Options:
  --data FILE   a CSV data file in place of the spec's \`data\`
  -h, --help    this help

Exit codes: 0 valid, 2 invalid.`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('check', argv, { data: { type: 'string' } }, ['SPEC']);
    if (values.help) {
      io.stdout.write(check.help + '\n');
      return 0;
    }
    const { problem, dataFile } = await loadProblem(positionals[0], { data: values.data as string | undefined });
    const free = problem.free.map((f) => f.path);
    const network = problem.network;
    if (network) free.push(`the network's ${network.networkParams} weights`);
    const lines = [
      `ok: ${positionals[0]} (${problem.name})`,
      `  model: ${problem.field.dim} states (${list(problem.stateNames)}), ${problem.field.nParams} parameters (${list(problem.paramNames)})`,
      `  fitted: ${free.length === 0 ? 'none' : free.join(', ')}`,
      `  solver: ${problem.solver.method}, gradient: ${problem.gradient.method}, ${network ? trainingSummary(network) : `optimizer: ${problem.optimizer.method}`}`,
    ];
    if (problem.times) lines.push(`  output times: ${problem.times.length} from ${problem.times[0]} to ${problem.times[problem.times.length - 1]}`);
    if (problem.events.length > 0) {
      const observed = Object.entries(problem.spec.events ?? {}).filter(([, e]) => e.observed).map(([name, e]) => `${name}: ${e.observed!.length}`);
      lines.push(`  events: ${problem.events.map((e) => e.name).join(', ')}${observed.length ? ` (observed times: ${observed.join(', ')})` : ''}`);
    }
    if (problem.data) {
      lines.push(`  data: ${dataFile} (${problem.data.times.length} rows; series ${problem.data.columns.join(', ')})`);
    }
    io.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};

function trainingSummary(network: NetworkProblem): string {
  const phases = network.training.phases;
  const each = (n: number | undefined) => n ?? network.training.iterations ?? DEFAULT_TRAINING_ITERATIONS;
  const iterations = phases ? phases.reduce((sum, phase) => sum + each(phase.iterations), 0) : each(undefined);
  const until = network.forecast ? `, forecast to t = ${network.forecast.until}` : '';
  return `training: ${network.kind} model, ${phases ? `${phases.length} phases, ` : ''}${iterations} iterations${until}`;
}

function list(names: readonly string[]): string {
  return names.length > 8 ? `${names.slice(0, 8).join(', ')}, ...` : names.join(', ');
}
