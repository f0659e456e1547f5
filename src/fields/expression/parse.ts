/**
 * The equation model: its JSON shape, and validation that parses every expression with mathjs
 * and rejects anything the compiler cannot turn into plain arithmetic, with a ModelError whose
 * path names the offending entry.
 *
 * A model is states, parameters, named constants, ordered helper definitions and one equation
 * per state, e.g. Lotka-Volterra:
 *
 *   { states: ['x', 'y'], params: ['a', 'b', 'c', 'd'],
 *     equations: { x: 'a*x - b*x*y', y: '-c*y + d*x*y' } }
 *
 * Expressions use mathjs syntax: + - * / ^, unary minus, implicit multiplication (`2x`), the
 * functions in functions.ts, the names of the model, `t` (time), and the constants pi and e.
 */
import { describeValue } from '../../errors.ts';
import { ModelError } from './errors.ts';
import { ARITY, SUPPORTED_FUNCTIONS } from './functions.ts';
import { mathjs, type MathNode } from './mathjs.ts';
import { didYouMean } from './suggest.ts';
import {
  MAX_DEFINITIONS,
  MAX_EXPRESSION_DEPTH,
  MAX_EXPRESSION_LENGTH,
  MAX_MODEL_DEPTH,
  MAX_STATES,
} from '../../limits.ts';

/** A JSON-serialisable equation model (see the module comment). */
export interface ExpressionModel {
  /** State names, in the order of y. */
  readonly states: readonly string[];
  /** Parameter names, in the order of p. */
  readonly params: readonly string[];
  /** Named numbers, inlined into the generated code. */
  readonly constants?: Readonly<Record<string, number>>;
  /**
   * Helper quantities in order; each may use states, params, constants, t and earlier
   * definitions, e.g. `{ r12: 'sqrt((x2-x1)^2 + (y2-y1)^2)' }`. A plain number is also accepted.
   */
  readonly definitions?: Readonly<Record<string, string>>;
  /** One right-hand side per state: `{ x: 'a*x - b*x*y' }`. A plain number is also accepted. */
  readonly equations: Readonly<Record<string, string>>;
}

export type SymbolKind = 'state' | 'param' | 'constant' | 'definition' | 'time';

export interface ParsedExpression {
  /** Where it came from in the model: `equations.x` or `definitions.r12`. */
  readonly path: string;
  readonly node: MathNode;
  /** The model names it uses (t included, pi and e not), each once, in order of first use. */
  readonly symbols: readonly string[];
}

export interface ParsedModel {
  readonly states: readonly string[];
  readonly params: readonly string[];
  readonly constants: ReadonlyMap<string, number>;
  /** In the model's order. */
  readonly definitions: readonly (ParsedExpression & { readonly name: string })[];
  /** One per state, in state order. */
  readonly equations: readonly ParsedExpression[];
  readonly kinds: ReadonlyMap<string, SymbolKind>;
}

const TIME = 't';
const BUILTIN_CONSTANTS = ['pi', 'e'];

export function parseModel(model: ExpressionModel): ParsedModel {
  if (!isRecord(model)) {
    throw new ModelError('model', `expected an object with states, params and equations, got ${describeValue(model)}`);
  }
  const states = nameList(model.states, 'states', true);
  if (states.length > MAX_STATES) throw new ModelError('states', `${states.length} states, more than the limit of ${MAX_STATES}`);
  const params = model.params === undefined ? [] : nameList(model.params, 'params', false);
  const constantsRecord = record(model.constants, 'constants');
  const definitionsRecord = record(model.definitions, 'definitions');
  if (model.equations === undefined) throw new ModelError('equations', 'missing (one equation per state is required)');
  const equationsRecord = record(model.equations, 'equations');

  // Every name is declared once across states, params, constants and definitions.
  const declaredAt = new Map<string, string>();
  const kinds = new Map<string, SymbolKind>([[TIME, 'time']]);
  const declare = (name: unknown, path: string, kind: SymbolKind) => {
    checkName(name, path);
    const earlier = declaredAt.get(name);
    if (earlier !== undefined) throw new ModelError(path, `duplicate name '${name}' (already ${earlier})`);
    declaredAt.set(name, path);
    kinds.set(name, kind);
  };
  states.forEach((name, i) => declare(name, `states[${i}]`, 'state'));
  params.forEach((name, i) => declare(name, `params[${i}]`, 'param'));
  const constants = new Map<string, number>();
  for (const [name, value] of Object.entries(constantsRecord)) {
    declare(name, `constants.${name}`, 'constant');
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new ModelError(`constants.${name}`, `expected a finite number, got ${describeValue(value)}`);
    }
    constants.set(name, value);
  }
  const definitionNames = Object.keys(definitionsRecord);
  if (definitionNames.length > MAX_DEFINITIONS) {
    throw new ModelError('definitions', `${definitionNames.length} definitions, more than the limit of ${MAX_DEFINITIONS}`);
  }
  definitionNames.forEach((name) => declare(name, `definitions.${name}`, 'definition'));

  const known = [...declaredAt.keys(), TIME, ...BUILTIN_CONSTANTS];
  // Depth with the definitions used substituted (an upper bound): the compiler recurses this deep.
  const definitionDepth = new Map<string, number>();
  const substitutedDepth = (node: MathNode, symbols: readonly string[], path: string): number => {
    let depth = treeDepth(node);
    let deepest = 0;
    for (const s of symbols) deepest = Math.max(deepest, definitionDepth.get(s) ?? 0);
    depth += deepest;
    if (depth > MAX_MODEL_DEPTH) {
      throw new ModelError(
        path,
        `nested ${depth} levels deep with the definitions it uses substituted, more than the limit of ${MAX_MODEL_DEPTH} (shorten the chain of definitions)`,
      );
    }
    return depth;
  };
  const definitions = definitionNames.map((name, k) => {
    const path = `definitions.${name}`;
    const node = parseExpression(definitionsRecord[name], path);
    const symbols = checkExpression(node, path, (symbol) => {
      const order = definitionNames.indexOf(symbol);
      if (order === k) return 'uses itself (a definition may use only earlier definitions)';
      if (order > k) {
        return `uses '${symbol}', which is defined after it (a definition may use only earlier definitions)`;
      }
      return undefined;
    });
    definitionDepth.set(name, substitutedDepth(node, symbols, path));
    return { name, path, node, symbols };
  });

  for (const name of Object.keys(equationsRecord)) {
    if (kinds.get(name) !== 'state') {
      const hint = didYouMean(name, states) || ` (states: ${states.join(', ')})`;
      throw new ModelError(`equations.${name}`, `'${name}' is not a state${hint}`);
    }
  }
  const equations = states.map((state) => {
    const path = `equations.${state}`;
    if (!Object.hasOwn(equationsRecord, state)) {
      throw new ModelError(path, `missing equation for state '${state}' (every state needs one)`);
    }
    const node = parseExpression(equationsRecord[state], path);
    const symbols = checkExpression(node, path, () => undefined);
    substitutedDepth(node, symbols, path);
    return { path, node, symbols };
  });

  return { states, params, constants, definitions, equations, kinds };

  /**
   * Walks a parsed expression, rejecting what cannot be compiled; returns the model names used.
   * `restrict` may veto a known name (definitions may not look ahead).
   */
  function checkExpression(root: MathNode, path: string, restrict: (name: string) => string | undefined): string[] {
    const used: string[] = [];
    const visit = (node: MathNode): void => {
      const n = node as MathNode & Record<string, any>;
      switch (node.type) {
        case 'ConstantNode':
          if (typeof n.value !== 'number') {
            if (node === root && n.value === undefined) throw new ModelError(path, 'empty expression');
            throw new ModelError(path, `unsupported value ${describeValue(n.value)} (only numbers)`);
          }
          if (!Number.isFinite(n.value)) throw new ModelError(path, `non-finite number ${n.value}`);
          return;
        case 'SymbolNode': {
          const name: string = n.name;
          if (BUILTIN_CONSTANTS.includes(name)) return;
          if (!kinds.has(name)) {
            const hint = didYouMean(name, known) || ' (use a state, parameter, constant, definition, t, pi or e)';
            throw new ModelError(path, `unknown symbol '${name}'${hint}`);
          }
          const veto = restrict(name);
          if (veto !== undefined) throw new ModelError(path, veto);
          if (!used.includes(name)) used.push(name);
          return;
        }
        case 'ParenthesisNode':
          return visit(n.content);
        case 'OperatorNode':
          if (!OPERATORS.has(n.fn)) {
            throw new ModelError(path, `unsupported operator '${n.op}' (supported: + - * / ^ and unary -)`);
          }
          return n.args.forEach(visit);
        case 'FunctionNode': {
          if (n.fn.type !== 'SymbolNode') throw unsupportedSyntax(node, path);
          const name: string = n.fn.name;
          const arity = Object.hasOwn(ARITY, name) ? ARITY[name] : undefined;
          if (arity === undefined) {
            if (kinds.has(name)) {
              throw new ModelError(path, `'${name}' is not a function (write ${name} * (...) to multiply)`);
            }
            const hint = didYouMean(name, SUPPORTED_FUNCTIONS) || ` (supported: ${SUPPORTED_FUNCTIONS.join(', ')})`;
            throw new ModelError(path, `unsupported function '${name}'${hint}`);
          }
          if (!arity.includes(n.args.length)) {
            const counts = arity.join(' or ');
            const noun = arity.length === 1 && arity[0] === 1 ? 'argument' : 'arguments';
            throw new ModelError(path, `'${name}' takes ${counts} ${noun}, got ${n.args.length}`);
          }
          return n.args.forEach(visit);
        }
        default:
          throw unsupportedSyntax(node, path);
      }
    };
    visit(root);
    return used;
  }
}

/** mathjs operator functions that map to arithmetic; everything else (%, !, ==, &, ...) is refused. */
const OPERATORS = new Set(['add', 'subtract', 'multiply', 'divide', 'pow', 'unaryMinus', 'unaryPlus']);

const SYNTAX_NAMES: Readonly<Record<string, string>> = {
  AssignmentNode: 'an assignment; write the right-hand side only',
  FunctionAssignmentNode: 'a function definition',
  ConditionalNode: 'a conditional',
  RelationalNode: 'a comparison',
  ArrayNode: 'a matrix',
  AccessorNode: 'an index or property access',
  IndexNode: 'an index',
  ObjectNode: 'an object',
  RangeNode: 'a range',
  BlockNode: 'several expressions',
};

function unsupportedSyntax(node: MathNode, path: string): ModelError {
  const what = (Object.hasOwn(SYNTAX_NAMES, node.type) ? SYNTAX_NAMES[node.type] : undefined) ?? node.type;
  return new ModelError(path, `unsupported syntax '${node.toString()}' (${what}; only arithmetic is allowed)`);
}

function parseExpression(source: unknown, path: string): MathNode {
  const math = mathjs();
  if (typeof source === 'number') {
    if (!Number.isFinite(source)) throw new ModelError(path, `non-finite number ${source}`);
    return new math.ConstantNode(source);
  }
  if (typeof source !== 'string') {
    throw new ModelError(path, `expected an expression (a string), got ${describeValue(source)}`);
  }
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw new ModelError(path, `${source.length} characters long, more than the limit of ${MAX_EXPRESSION_LENGTH}`);
  }
  let node: MathNode;
  try {
    node = math.parse(source);
  } catch (error) {
    // mathjs's parser recurses per nesting level: a stack overflow is a too-deep expression.
    if (error instanceof RangeError) throw tooDeep(path, undefined);
    throw new ModelError(path, `cannot parse '${clip(source)}': ${(error as Error).message}`);
  }
  const depth = treeDepth(node);
  if (depth > MAX_EXPRESSION_DEPTH) throw tooDeep(path, depth);
  return node;
}

function tooDeep(path: string, depth: number | undefined): ModelError {
  const nested = depth === undefined ? 'nested too deeply to parse' : `nested ${depth} levels deep`;
  return new ModelError(path, `${nested}; the limit is ${MAX_EXPRESSION_DEPTH} levels (split it into definitions)`);
}

function clip(source: string): string {
  return source.length > 80 ? `${source.slice(0, 77)}...` : source;
}

/** Depth of a mathjs tree, without recursion (the tree may be deeper than the stack allows). */
export function treeDepth(root: MathNode): number {
  let deepest = 0;
  const stack: [MathNode, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > deepest) deepest = depth;
    const n = node as MathNode & { args?: MathNode[]; content?: MathNode };
    if (n.content) stack.push([n.content, depth + 1]);
    if (Array.isArray(n.args)) for (const a of n.args) stack.push([a, depth + 1]);
  }
  return deepest;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Words that mathjs parses as operators between operands, though alone they read as symbols. */
const MATHJS_KEYWORDS = ['and', 'or', 'xor', 'not', 'mod', 'to', 'in'];

function checkName(name: unknown, path: string): asserts name is string {
  if (typeof name !== 'string') throw new ModelError(path, `expected a name (a string), got ${describeValue(name)}`);
  if (!NAME.test(name)) {
    throw new ModelError(path, `invalid name '${name}' (a letter or _ followed by letters, digits or _)`);
  }
  if (name === TIME) throw new ModelError(path, `'t' is reserved (it is the time)`);
  if (BUILTIN_CONSTANTS.includes(name)) throw new ModelError(path, `'${name}' is reserved (a built-in constant)`);
  if (SUPPORTED_FUNCTIONS.includes(name)) throw new ModelError(path, `'${name}' is reserved (a function)`);
  // mathjs reads some words as operators (and, mod, ...) or literals (NaN, true, null, ...).
  const node = mathjs().parse(name) as MathNode & { name?: string };
  if (MATHJS_KEYWORDS.includes(name) || node.type !== 'SymbolNode' || node.name !== name) {
    throw new ModelError(path, `'${name}' is reserved (a mathjs keyword)`);
  }
}

function nameList(value: unknown, path: string, nonEmpty: boolean): string[] {
  if (!Array.isArray(value) || (nonEmpty && value.length === 0)) {
    const what = nonEmpty ? 'a non-empty array of names' : 'an array of names';
    throw new ModelError(path, `expected ${what}, got ${describeValue(value)}`);
  }
  if (value.length > MAX_STATES) throw new ModelError(path, `${value.length} names, more than the limit of ${MAX_STATES}`);
  return [...value];
}

function record(value: unknown, path: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isRecord(value)) throw new ModelError(path, `expected an object of name: value, got ${describeValue(value)}`);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
