/**
 * JavaScript source from the DAG: straight-line code with the inputs read into locals, every
 * shared subexpression bound to a `const` (cse.ts), and each output written by one assignment.
 * Printed from the nodes with JavaScript's own precedence; never through mathjs's toString, whose
 * `^` is XOR in JavaScript (docs/design.md, "Measured facts").
 *
 * Large models are split into several functions ("chunks") called in order, passing the locals
 * that cross a boundary through a scratch Float64Array allocated once per field: V8 does not
 * optimise a function whose bytecode exceeds a fixed size (about 60 KB), and an unoptimised
 * straight-line body runs 15-35x slower (measured: the 20-body N-body VJP, 210k characters).
 */
import type { Node } from './dag.ts';
import { plan } from './cse.ts';

export interface Output {
  /** An element of an output array, e.g. `out[3]`. */
  readonly target: string;
  /** `=` overwrites; `+=` accumulates (written `-=` for a negation, left out for 0). */
  readonly op: '=' | '+=';
  readonly node: Node;
}

export interface GeneratedFunction<F> {
  /** The source: a function body, or for a chunked function the body of a factory taking `s`. */
  readonly source: string;
  /** Number of functions the code was split into. */
  readonly chunks: number;
  /** A new function from the source (with its own scratch array when chunked). */
  build(): F;
}

/** Characters of statements per function: comfortably below V8's optimisation limit. */
export const MAX_CHUNK_CHARS = 30000;

/**
 * A function of `parameters` computing `outputs`; the parameters must include t, y and p (and a,
 * when the outputs read it). `localNames` names the locals of some nodes (the model's definitions).
 */
export function generateFunction<F>(
  parameters: readonly string[],
  outputs: readonly Output[],
  localNames: ReadonlyMap<number, string> = new Map(),
  maxChunkChars = MAX_CHUNK_CHARS,
): GeneratedFunction<F> {
  const statements = straightLine(outputs, localNames);
  const chunks = partition(statements, maxChunkChars);
  if (chunks.length <= 1) {
    const source = ['"use strict";', ...chunkBody(chunks[0] ?? [], new Map())].join('\n');
    return { source, chunks: 1, build: () => new Function(...parameters, source) as F };
  }

  // Locals used in a later chunk than the one defining them travel through the scratch array s.
  const definedIn = new Map<string, number>();
  chunks.forEach((chunk, k) => chunk.forEach((s) => s.defines !== undefined && definedIn.set(s.defines, k)));
  const slots = new Map<string, number>();
  chunks.forEach((chunk, k) => {
    for (const statement of chunk) {
      for (const name of statement.uses) {
        const home = definedIn.get(name);
        if (home !== undefined && home !== k && !slots.has(name)) slots.set(name, slots.size);
      }
    }
  });
  const list = parameters.join(', ');
  const lines = ['"use strict";'];
  chunks.forEach((chunk, k) => lines.push(`function chunk${k}(${list}) {`, ...chunkBody(chunk, slots), '}'));
  lines.push(`return function (${list}) {`, ...chunks.map((_, k) => `chunk${k}(${list});`), '};');
  const source = lines.join('\n');
  const scratchSize = slots.size;
  return {
    source,
    chunks: chunks.length,
    build: () => new Function('s', source)(new Float64Array(scratchSize)) as F,
  };
}

interface Statement {
  /** The local it defines (a `const`), if any. */
  readonly defines?: string;
  /** The statement without the loads of what it uses. */
  readonly text: string;
  /** Locals it reads: inputs (y3, p0, a2, u1, w0) and shared subexpressions (t is a parameter). */
  readonly uses: ReadonlySet<string>;
}

/** The whole computation as statements in order: each local's definition precedes its uses. */
function straightLine(outputs: readonly Output[], localNames: ReadonlyMap<number, string>): Statement[] {
  const { bindings, shared } = plan(outputs.map((o) => o.node));
  const names = new Map<Node, string>();
  const usedNames = new Set<string>();
  let temporaries = 0;
  const statements: Statement[] = [];
  outputs.forEach((output, k) => {
    for (const node of bindings[k]) {
      const definition = localNames.get(node.id);
      let name = definition === undefined ? `v${temporaries++}` : `d_${definition}`;
      if (usedNames.has(name)) name = `v${temporaries++}`;
      usedNames.add(name);
      const uses = new Set<string>();
      statements.push({ defines: name, text: `const ${name} = ${print(node, names, shared, uses).text};`, uses });
      names.set(node, name);
    }
    const node = output.node;
    const uses = new Set<string>();
    if (output.op === '+=' && node.kind === 'num' && node.value === 0) return;
    if (output.op === '+=' && node.kind === 'neg' && !names.has(node)) {
      statements.push({ text: `${output.target} -= ${print(node.a, names, shared, uses, false).text};`, uses });
    } else {
      statements.push({ text: `${output.target} ${output.op} ${print(node, names, shared, uses).text};`, uses });
    }
  });
  return statements;
}

function partition(statements: readonly Statement[], maxChars: number): Statement[][] {
  const chunks: Statement[][] = [];
  let current: Statement[] = [];
  let chars = 0;
  for (const statement of statements) {
    if (current.length > 0 && chars + statement.text.length > maxChars) {
      chunks.push(current);
      current = [];
      chars = 0;
    }
    current.push(statement);
    chars += statement.text.length;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** One function's lines: loads of what it reads from outside, its statements, stores to s. */
function chunkBody(chunk: readonly Statement[], slots: ReadonlyMap<string, number>): string[] {
  const defined = new Set(chunk.flatMap((s) => (s.defines === undefined ? [] : [s.defines])));
  const loads: string[] = [];
  const inputs: { name: string; array: string; index: number }[] = [];
  const seen = new Set<string>();
  for (const statement of chunk) {
    for (const name of statement.uses) {
      if (defined.has(name) || seen.has(name)) continue;
      seen.add(name);
      const slot = slots.get(name);
      if (slot !== undefined) {
        loads.push(`const ${name} = s[${slot}];`);
      } else {
        const match = /^([ypauw])(\d+)$/.exec(name);
        if (match === null) throw new Error(`internal error: local '${name}' read before its definition`);
        inputs.push({ name, array: match[1], index: Number(match[2]) });
      }
    }
  }
  inputs.sort((u, v) => u.array.localeCompare(v.array) || u.index - v.index);
  const lines = [...inputs.map(({ name, array, index }) => `const ${name} = ${array}[${index}];`), ...loads];
  for (const statement of chunk) {
    lines.push(statement.text);
    const slot = statement.defines === undefined ? undefined : slots.get(statement.defines);
    if (slot !== undefined) lines.push(`s[${slot}] = ${statement.defines};`);
  }
  return lines;
}

/** Binding strengths, as in JavaScript: atoms > unary minus > * / > + -. */
const ATOM = 4;
const UNARY = 3;
const PRODUCT = 2;
const SUM = 1;

interface Printed {
  readonly text: string;
  readonly precedence: number;
}

/** Prints a node, naming the locals it reads in `uses`; `top` allows printing a shared node itself. */
function print(node: Node, names: ReadonlyMap<Node, string>, shared: ReadonlySet<Node>, uses: Set<string>, top = true): Printed {
  const name = names.get(node);
  if (name !== undefined) {
    uses.add(name);
    return { text: name, precedence: ATOM };
  }
  if (!top && shared.has(node)) throw new Error('internal error: shared node printed before its binding');
  const operand = (child: Node, least: number) => {
    const printed = print(child, names, shared, uses, false);
    return printed.precedence >= least ? printed.text : `(${printed.text})`;
  };
  switch (node.kind) {
    case 'num':
      return { text: node.value < 0 ? `(${node.value})` : String(node.value), precedence: ATOM };
    case 'input': {
      if (node.array === 't') return { text: 't', precedence: ATOM };
      const local = `${node.array}${node.index}`;
      uses.add(local);
      return { text: local, precedence: ATOM };
    }
    case 'neg':
      return { text: `-${operand(node.a, ATOM)}`, precedence: UNARY };
    case 'call':
      return { text: `Math.${node.fn}(${operand(node.a, SUM)})`, precedence: ATOM };
    case 'pow':
      return { text: `Math.pow(${operand(node.a, SUM)}, ${operand(node.b, SUM)})`, precedence: ATOM };
    case '+':
    case '-':
      // The right operand of a left-associative operator needs parentheses at equal strength:
      // a - (b - c) and a + (b + c) are different floating-point sums.
      return { text: `${operand(node.a, SUM)} ${node.kind} ${operand(node.b, SUM + 1)}`, precedence: SUM };
    case '*':
    case '/':
      return { text: `${operand(node.a, PRODUCT)} ${node.kind} ${operand(node.b, PRODUCT + 1)}`, precedence: PRODUCT };
  }
}
