/**
 * The `aca` command: `aca COMMAND [options]`. bin/aca.mjs calls main(argv) and exits with the
 * code it returns: 0 ok, 1 a failure while running (a solver error, an interrupt), 2 bad input
 * (the command line, the spec, the model, the data). Errors are printed on stderr as
 * `aca COMMAND: ...`, spec and data problems one `path: cause` line each.
 */
import { readFileSync } from 'node:fs';
import { AcaError } from '../errors.ts';
import { CsvError } from '../io/csv.ts';
import { didYouMean } from '../fields/expression/suggest.ts';
import { SpecError } from '../spec/errors.ts';
import { capMessage } from '../limits.ts';
import { describeErrno } from '../parallel/errors.ts';
import { EXIT_BAD_INPUT, exitCodeFor, UsageError } from './args.ts';
import { COMMANDS } from './commands/index.ts';
import { processIO, type CliIO } from './io.ts';

export { COMMANDS };

export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  // --debug anywhere (or ACA_DEBUG=1) adds the stack to an error; the commands never see it.
  const debug = argv.includes('--debug') || process.env.ACA_DEBUG === '1';
  const [name, ...rest] = argv.filter((arg) => arg !== '--debug');
  if (name === undefined) {
    io.stderr.write(usage());
    return EXIT_BAD_INPUT;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = rest[0] && COMMANDS.find((c) => c.name === rest[0]);
    io.stdout.write(topic ? (await topic.load()).help + '\n' : usage());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) throw unknownCommand(name);
    return await (await command.load()).run(rest, io);
  } catch (error) {
    // The one error boundary: a message (capped, so that no input can flood the terminal), the
    // stack only when asked for.
    io.stderr.write(capMessage(describeError(name, error), MAX_ERROR_OUTPUT) + '\n');
    if (debug) io.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    return errorExitCode(error);
  }
}

/** Characters of an error on stderr (a spec's issues are capped one by one before this). */
const MAX_ERROR_OUTPUT = 4000;

/** Exit code of an error: the library's classes by exitCodeFor; a bad output path is bad input. */
export function errorExitCode(error: unknown): number {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (!(error instanceof AcaError) && (code === 'ENOTDIR' || code === 'EISDIR')) return EXIT_BAD_INPUT;
  return exitCodeFor(error);
}

export function describeError(command: string, error: unknown): string {
  if (error instanceof UsageError) return error.message;
  if (error instanceof SpecError) {
    // A problem with the file as a whole (unreadable, empty, YAML syntax) reads as one line.
    if (error.issues.length === 1 && error.issues[0].path === '') {
      return `aca ${command}: ${error.file ? `${error.file}: ` : ''}${error.message}`;
    }
    return `aca ${command}: invalid spec${error.file ? ` ${error.file}` : ''}:\n${indent(error.message)}`;
  }
  if (error instanceof CsvError) return `aca ${command}: invalid data:\n${indent(error.message)}`;
  if (error instanceof AcaError) return `aca ${command}: ${error.message}`;
  const e = error as NodeJS.ErrnoException | null;
  // A system error (a write to a full disk, a read-only folder, a path through a file).
  if (typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code) && typeof e.syscall === 'string') {
    const where = e.path ? ` '${e.path}'` : '';
    return `aca ${command}: cannot ${e.syscall}${where}: ${e.code} (${describeErrno(e.code)})`;
  }
  if (error instanceof RangeError) {
    // Stack overflows and allocation limits: an input beyond what the checks foresaw.
    return `aca ${command}: input too large or too deeply nested to process (RangeError: ${oneLine(error.message)}) [ERR_RANGE]`;
  }
  // Not one of ours: a bug. One line; --debug adds the stack.
  const what = error instanceof Error ? `${error.name}: ${oneLine(error.message)}` : oneLine(String(error));
  return `aca ${command}: internal error: ${what} [${typeof e?.code === 'string' ? e.code : 'ERR_INTERNAL'}] (run with --debug for the stack)`;
}

function oneLine(text: string): string {
  return text.split('\n')[0];
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

/** `aca tree-body` -> did you mean 'three-body'? (an option given first gets the same treatment). */
export function unknownCommand(name: string): UsageError {
  const names = COMMANDS.map((c) => c.name);
  const what = name.startsWith('-') ? 'option' : 'command';
  const suggestion = didYouMean(name, name.startsWith('-') ? ['--help', '--version'] : names);
  return new UsageError(`aca: unknown ${what} '${name}'${suggestion || ` (commands: ${names.join(', ')})`}; see aca --help`);
}

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), '-v, --version'.length);
  return [
    'Usage: aca-ode COMMAND [options]   (also installed as `aca`; aca COMMAND --help for each)',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    `  ${'-h, --help'.padEnd(width)}  this help (aca help COMMAND: a command's help)`,
    `  ${'-v, --version'.padEnd(width)}  the version of aca-ode`,
    '',
    'Exit codes: 0 ok, 1 failure while running, 2 bad input.',
    '',
  ].join('\n');
}

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
