/**
 * The one error an equation model raises: `path` names the part of the model at fault in the
 * model's own terms (`equations.x`, `definitions.r12`, `params[1]`), and the message starts with
 * it, so a spec file's author can find the line.
 */
import { AcaError } from '../../errors.ts';

export class ModelError extends AcaError {
  readonly path: string;
  constructor(path: string, detail: string) {
    super('ERR_MODEL', `${path}: ${detail}`);
    this.path = path;
  }
}
