/**
 * gradient(field, y0, options): the loss at the outputs and its derivatives with respect to the
 * initial state and the parameters, by the method named in options.gradientMethod.
 */
import { InvalidArgumentError } from '../errors.ts';
import type { Field } from '../fields/field.ts';
import { acaGradient } from './aca.ts';
import { adjointGradient } from './adjoint.ts';
import { naiveGradient } from './naive.ts';
import { GRADIENT_METHODS, type GradientOptions, type GradientResult } from './types.ts';

export function gradient(field: Field, y0: ArrayLike<number>, options: GradientOptions): GradientResult {
  const name = options.gradientMethod ?? 'aca';
  switch (name) {
    case 'aca':
      return acaGradient(field, y0, options);
    case 'adjoint':
      return adjointGradient(field, y0, options);
    case 'naive':
      return naiveGradient(field, y0, options);
    default:
      throw new InvalidArgumentError('gradientMethod', name, `one of ${GRADIENT_METHODS.join(', ')}`);
  }
}
