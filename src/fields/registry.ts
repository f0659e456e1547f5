/**
 * Rebuilds a field from its JSON spec (field.spec), e.g. inside a worker thread. Each field kind
 * registers a builder; buildField dispatches on spec.kind.
 */
import { InvalidArgumentError } from '../errors.ts';
import type { Field, FieldSpec } from './field.ts';
import { dampedRotationField, linearField, lotkaVolterraField } from './classic.ts';
import { nbodyField } from './nbody.ts';
import { expressionField } from './expression/compile.ts';
import { mlpField } from './mlp.ts';
import { hybridField } from './hybrid.ts';

export type FieldBuilder = (spec: FieldSpec) => Field;

const builders = new Map<string, FieldBuilder>([
  ['nbody', (s) => nbodyField(s as never)],
  ['lotka_volterra', () => lotkaVolterraField()],
  ['damped_rotation', () => dampedRotationField()],
  ['linear', (s) => linearField(s.dim as number)],
  ['expression', (s) => expressionField(s.model as never)],
  ['mlp', (s) => mlpField(s as never)],
  ['hybrid', (s) => hybridField(s as never)],
]);

export function registerFieldKind(kind: string, builder: FieldBuilder): void {
  builders.set(kind, builder);
}

export function buildField(spec: FieldSpec): Field {
  const builder = spec && builders.get(spec.kind);
  if (!builder) {
    throw new InvalidArgumentError('field.kind', spec?.kind, `one of ${[...builders.keys()].join(', ')}`);
  }
  return builder(spec);
}
