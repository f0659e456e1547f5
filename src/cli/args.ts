/**
 * Command-line arguments by node:util parseArgs, with its errors turned into UsageErrors that
 * say what to do (`unknown option '--dta' (did you mean '--data'?)`), and the exit codes.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AcaError, InvalidArgumentError } from '../errors.ts';
import { ModelError } from '../fields/expression/errors.ts';
import { didYouMean } from '../fields/expression/suggest.ts';
import { CsvError } from '../io/csv.ts';
import { CheckpointError } from '../fit/checkpoint.ts';
import { SpecError } from '../spec/errors.ts';
import { OutputLockedError } from '../parallel/errors.ts';
import { OutputWriteError } from '../io/atomic.ts';

/** A command line that cannot be run as written (exit code 2). */
export class UsageError extends AcaError {
  constructor(message: string) {
    super('ERR_USAGE', message);
  }
}

export const EXIT_OK = 0;
/** A failure while running (a solver error, an interrupt, a write that failed). */
export const EXIT_FAILURE = 1;
/** Bad input: the command line, the spec, the model, the data. */
export const EXIT_BAD_INPUT = 2;

export function exitCodeFor(error: unknown): number {
  const badInput =
    error instanceof UsageError ||
    error instanceof SpecError ||
    error instanceof ModelError ||
    error instanceof CsvError ||
    error instanceof CheckpointError ||
    error instanceof InvalidArgumentError ||
    error instanceof OutputLockedError ||
    (error instanceof OutputWriteError && error.badPath);
  return badInput ? EXIT_BAD_INPUT : EXIT_FAILURE;
}

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
}

/** Parses argv for `command` (`help` is always accepted). */
export function parseCommandArgs(command: string, argv: readonly string[], options: Options, positionals: string[]): ParsedArgs {
  const all: Options = { ...options, help: { type: 'boolean', short: 'h' } };
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: all, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`aca ${command}: ${usageMessage(error as Error & { code?: string }, all)}`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return { values, positionals: parsed.positionals };
  if (parsed.positionals.length < positionals.length) {
    throw new UsageError(`aca ${command}: missing ${positionals[parsed.positionals.length]} (see aca ${command} --help)`);
  }
  if (parsed.positionals.length > positionals.length) {
    throw new UsageError(`aca ${command}: unexpected argument '${parsed.positionals[positionals.length]}' (see aca ${command} --help)`);
  }
  return { values, positionals: parsed.positionals };
}

function usageMessage(error: Error & { code?: string }, options: Options): string {
  const match = /'(-[^']*)'/.exec(error.message);
  const flag = match?.[1] ?? '';
  const names = Object.keys(options).map((n) => `--${n}`);
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const name = flag.replace(/=.*/, '');
      return `unknown option '${name}'${didYouMean(name, names) || ` (options: ${names.join(', ')})`}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/argument missing/.test(error.message)) return `option '${flag.split(' ')[0]}' needs a value`;
      // `--iterations -1`: parseArgs will not take a value that starts with a dash.
      if (/ambiguous/.test(error.message)) {
        return `option '${flag}' needs a value; one that starts with '-' is written ${flag}=VALUE (e.g. ${flag}=-1)`;
      }
      return `option '${flag}' takes no value`;
    default:
      return error.message;
  }
}

/** A positive integer option, or undefined. */
export function intOption(command: string, name: string, value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || !(n >= 1)) {
    throw new UsageError(`aca ${command}: --${name} must be a positive integer, got '${value}'`);
  }
  return n;
}

/** A finite number option, or undefined. */
export function numberOption(command: string, name: string, value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) throw new UsageError(`aca ${command}: --${name} must be a number, got '${value}'`);
  return n;
}
