/** The shape of a subcommand of `aca`: one file per command in commands/. */
import type { CliIO } from './io.ts';

export interface Command {
  readonly name: string;
  /** One line for `aca --help`. */
  readonly summary: string;
  /** The text of `aca NAME --help`. */
  readonly help: string;
  /** Runs the command; returns the exit code (errors are thrown and mapped by main). */
  run(argv: readonly string[], io: CliIO): Promise<number>;
}
