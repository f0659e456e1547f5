/**
 * A spec's text (YAML, of which JSON is a subset) -> plain value -> validated Spec. Every failure
 * is a SpecError whose message names the place: `line 3, column 1: ...` for syntax, `path: cause`
 * for content. No file access here (load.ts reads files), so this bundles for a browser.
 */
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { MAX_SPEC_BYTES, MAX_VALUE_DEPTH, MAX_YAML_ALIASES, nestedDeeperThan } from '../limits.ts';
import { SpecError } from './errors.ts';
import { specIssues } from './issues.ts';
import { SpecSchema, show, type Spec } from './schema.ts';

/** Validates a spec given as a plain value (parsed JSON or YAML). */
export function parseSpec(value: unknown, file?: string): Spec {
  if (value === null || value === undefined) throw new SpecError([{ path: '', message: 'the spec is empty' }], file);
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new SpecError([{ path: '', message: `expected a map of keys (model, initial, params, ...), got ${show(value)}` }], file);
  }
  // zod, and the messages that quote values, recurse through the value.
  if (nestedDeeperThan(value, MAX_VALUE_DEPTH)) {
    throw new SpecError([{ path: '', message: `nested more than ${MAX_VALUE_DEPTH} levels deep (a spec needs a few)` }], file);
  }
  const result = SpecSchema.safeParse(value, { reportInput: true });
  if (!result.success) throw new SpecError(specIssues(result.error.issues), file);
  return result.data;
}

/** Parses spec text (YAML or JSON) and validates it. */
export function parseSpecText(text: string, file?: string): Spec {
  if (text.length > MAX_SPEC_BYTES) {
    throw new SpecError([{ path: '', message: `${text.length} characters, more than the limit of ${MAX_SPEC_BYTES} for a spec` }], file);
  }
  let value: unknown;
  try {
    // maxAliasCount bounds what aliases may expand to (an alias bomb is a few lines).
    value = parseYaml(text, { prettyErrors: false, merge: false, maxAliasCount: MAX_YAML_ALIASES, uniqueKeys: true });
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const where = error.pos ? `${lineAndColumn(text, error.pos[0])}: ` : '';
      throw new SpecError([{ path: '', message: `${where}${error.message.split('\n')[0]}` }], file);
    }
    // The yaml package throws a ReferenceError for too many aliases, a RangeError for too deep
    // nesting: both are this input's fault.
    const cause = error instanceof ReferenceError && /alias/i.test(error.message)
      ? `too many YAML aliases (the limit is ${MAX_YAML_ALIASES})`
      : error instanceof RangeError
        ? 'nested too deeply to read'
        : (error as Error).message;
    throw new SpecError([{ path: '', message: `cannot read the YAML: ${cause}` }], file);
  }
  return parseSpec(value, file);
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split(/\r\n|\n|\r/);
  return `line ${before.length}, column ${before[before.length - 1].length + 1}`;
}
