/**
 * Observations: named functions of the state that a data column may observe in place of a state,
 * e.g. `observations: { total: x + y }` for data that only has the sum of two populations. Each
 * is parsed with mathjs and differentiated symbolically with respect to the states it uses; the
 * loss needs its value and its gradient at each output time (a few hundred evaluations per loss,
 * so mathjs's own evaluator is fast enough here).
 *
 * An observation may use the states, t, the model's constants, pi and e. Parameters are refused:
 * the loss's gradient flows only through the outputs y(t), so a parameter inside an observation
 * would be differentiated wrongly.
 */
import { MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_LENGTH } from '../limits.ts';
import { treeDepth } from '../fields/expression/parse.ts';
import { describeValue } from '../errors.ts';
import { SUPPORTED_FUNCTIONS } from '../fields/expression/functions.ts';
import { mathjs, type MathNode } from '../fields/expression/mathjs.ts';
import { didYouMean } from '../fields/expression/suggest.ts';
import type { SpecIssue } from './errors.ts';
import type { ResolvedModel } from './model.ts';

export interface Observation {
  readonly name: string;
  /** The expression as written. */
  readonly expression: string;
  /** h(t, y). */
  value(t: number, y: Float64Array): number;
  /** Writes dh/dy (length dim) into out. */
  gradient(t: number, y: Float64Array, out: Float64Array): void;
}

const OPERATORS = new Set(['add', 'subtract', 'multiply', 'divide', 'pow', 'unaryMinus', 'unaryPlus']);

export function compileObservations(
  observations: Readonly<Record<string, string>> | undefined,
  model: ResolvedModel,
  issues: SpecIssue[],
): Observation[] {
  const out: Observation[] = [];
  for (const [name, expression] of Object.entries(observations ?? {})) {
    const path = `observations.${name}`;
    if (model.stateNames.includes(name)) {
      issues.push({ path, message: `'${name}' is already a state (a data column named '${name}' observes it directly)` });
      continue;
    }
    try {
      out.push(compileObservation(name, expression, model));
    } catch (error) {
      if (!(error instanceof ObservationProblem)) throw error;
      issues.push({ path, message: error.message });
    }
  }
  return out;
}

class ObservationProblem extends Error {}

function compileObservation(name: string, expression: string, model: ResolvedModel): Observation {
  const math = mathjs();
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    throw new ObservationProblem(`${expression.length} characters long, more than the limit of ${MAX_EXPRESSION_LENGTH}`);
  }
  let root: MathNode;
  try {
    root = math.parse(expression);
  } catch (error) {
    if (error instanceof RangeError) throw new ObservationProblem(`nested too deeply to parse; the limit is ${MAX_EXPRESSION_DEPTH} levels`);
    throw new ObservationProblem(`cannot parse '${expression.length > 80 ? `${expression.slice(0, 77)}...` : expression}': ${(error as Error).message}`);
  }
  // mathjs's derivative and compile recurse per level, as the model's compiler does (parse.ts).
  const depth = treeDepth(root);
  if (depth > MAX_EXPRESSION_DEPTH) throw new ObservationProblem(`nested ${depth} levels deep; the limit is ${MAX_EXPRESSION_DEPTH} levels`);
  const states = model.stateNames;
  const constants = Object.keys(model.constants);
  const known = [...states, ...constants, 't', 'pi', 'e'];
  const used = new Set<string>();
  const check = (node: MathNode): void => {
    const n = node as MathNode & Record<string, any>;
    switch (node.type) {
      case 'ConstantNode':
        if (typeof n.value !== 'number') throw new ObservationProblem(`unsupported value ${describeValue(n.value)} (only numbers)`);
        return;
      case 'SymbolNode': {
        if (known.includes(n.name)) {
          if (states.includes(n.name)) used.add(n.name);
          return;
        }
        if (model.paramNames.includes(n.name)) {
          throw new ObservationProblem(`uses the parameter '${n.name}' (an observation may use states, t and constants only)`);
        }
        throw new ObservationProblem(`unknown symbol '${n.name}'${didYouMean(n.name, known) || ` (use ${known.join(', ')})`}`);
      }
      case 'ParenthesisNode':
        return check(n.content);
      case 'OperatorNode':
        if (!OPERATORS.has(n.fn)) throw new ObservationProblem(`unsupported operator '${n.op}' (supported: + - * / ^ and unary -)`);
        return n.args.forEach(check);
      case 'FunctionNode':
        if (n.fn.type !== 'SymbolNode' || !SUPPORTED_FUNCTIONS.includes(n.fn.name)) {
          const fn = String(n.fn.name ?? n.fn);
          throw new ObservationProblem(`unsupported function '${fn}'${didYouMean(fn, SUPPORTED_FUNCTIONS)}`);
        }
        return n.args.forEach(check);
      default:
        throw new ObservationProblem(`unsupported syntax '${node.toString()}' (only arithmetic is allowed)`);
    }
  };
  check(root);

  // A Map, not an object: mathjs refuses object scopes' names like `constructor` (unsafe property).
  const scope = new Map<string, number>(Object.entries(model.constants));
  const fill = (t: number, y: Float64Array) => {
    scope.set('t', t);
    for (let i = 0; i < states.length; i++) scope.set(states[i], y[i]);
  };
  const valueCode = root.compile();
  const partials = states.map((state, i) =>
    used.has(state) ? { index: i, code: math.derivative(root, state, { simplify: false }).compile() } : undefined,
  );
  return {
    name,
    expression,
    value(t, y) {
      fill(t, y);
      return Number(valueCode.evaluate(scope));
    },
    gradient(t, y, grad) {
      fill(t, y);
      grad.fill(0);
      for (const partial of partials) if (partial) grad[partial.index] = Number(partial.code.evaluate(scope));
    },
  };
}
