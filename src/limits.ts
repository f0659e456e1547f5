/**
 * Size limits checked when a spec, a model or data is validated, so that an input too large to
 * run fails at once with exit 2 rather than after minutes of work, an out-of-memory crash or a
 * RangeError. Each is far above what this library solves in reasonable time on one machine (a
 * limit is not a promise that anything just below it is fast).
 */

/** States of one model (a 1,000-body problem in 3-D has 6,000). */
export const MAX_STATES = 10_000;
/** Bodies of the built-in N-body model. */
export const MAX_BODIES = 1_000;
/** Units of one network layer, and weights of the whole network. */
export const MAX_LAYER_SIZE = 100_000;
export const MAX_NETWORK_WEIGHTS = 10_000_000;
/** Output times of one solve (a list, or {start, stop, count}). */
export const MAX_TIMES = 1_000_000;
/** Output values of one solve (times x states): 10^8 float64s are 800 MB. */
export const MAX_OUTPUT_VALUES = 100_000_000;
/** Characters of one expression, and nesting depth of its syntax tree. */
export const MAX_EXPRESSION_LENGTH = 20_000;
export const MAX_EXPRESSION_DEPTH = 500;
/**
 * Nesting depth of an expression with the definitions it uses substituted (a chain of
 * definitions, each using the one before, nests them all): the compiler's passes recurse this
 * deep.
 */
export const MAX_MODEL_DEPTH = 1_500;
/** Definitions and observations of one model. */
export const MAX_DEFINITIONS = 10_000;
/** Bytes of a spec file, and YAML aliases in it (an alias bomb multiplies a small file). */
export const MAX_SPEC_BYTES = 10_000_000;
export const MAX_YAML_ALIASES = 100;
/** Bytes of a data file: about 10 million cells as text. */
export const MAX_DATA_BYTES = 500_000_000;
/** Nesting of arrays and objects in a spec or a batch run line (a spec needs about 5). */
export const MAX_VALUE_DEPTH = 64;

/** Whether a plain value nests deeper than `max` (iterative: the value may be deeper than the stack). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/** Characters of an error message: a list of a million names would flood the terminal. */
export const MAX_MESSAGE_LENGTH = 2_000;

/** `text` cut to `max` characters, saying how much was left out. */
export function capMessage(text: string, max = MAX_MESSAGE_LENGTH): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}... (${text.length - max} more characters)`;
}

/** A list of names for a message: the first few, then how many more. */
export function nameSample(names: readonly string[], shown = 10): string {
  if (names.length <= shown) return names.join(', ');
  return `${names.slice(0, shown).join(', ')}, ... (${names.length} in all)`;
}
