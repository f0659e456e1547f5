/**
 * The right-hand side and its vector-Jacobian product as DAG nodes.
 *
 * f: every definition and equation is lowered with earlier definitions substituted (shared nodes,
 * so no swelling).
 *
 * VJP: reverse-mode accumulation over the model's own structure, with symbolic local partials
 * from mathjs `derivative` (simplify off; dag.ts folds). For cotangent a, each name s (state,
 * parameter or definition) gets an adjoint
 *
 *   bar(s) = sum_i a_i df_i/ds  +  sum over definitions D using s of  bar(D) dD/ds,
 *
 * where df_i/ds and dD/ds are partials that treat the other names as independent. Visiting the
 * definitions from last to first makes each bar(D) complete before it is pushed to the names D
 * uses (the chain rule; definitions may only use earlier ones, so this order is topological).
 * Then a^T df/dy = bar(states) and a^T df/dp = bar(params). The partials mention the same
 * subexpressions as f (e.g. d sqrt(u)/du = 1/(2 sqrt(u)) reuses the distance node), which CSE
 * then computes once.
 *
 * JVP and Jacobian: forward accumulation over the same local partials (each computed once and
 * shared by all three), visiting the definitions first to last. The tangent of a name s is
 *
 *   dot(s) = sum over names u used by s of  ds/du dot(u),   dot(y_j) = u_j, dot(p_q) = w_q,
 *
 * and the JVP is dot(f_i). The Jacobian is the same recursion with a sparse row of derivatives
 * per name (d s / d y_j and d s / d p_q for the inputs s depends on) instead of one tangent, so
 * a definition that touches two bodies carries two entries, not d.
 */
import { Dag, type Node } from './dag.ts';
import { lower } from './lower.ts';
import { mathjs, type MathNode } from './mathjs.ts';
import type { ParsedExpression, ParsedModel } from './parse.ts';

export interface FieldGraph {
  readonly dag: Dag;
  /** f_i, one per state. */
  readonly f: readonly Node[];
  /** (a^T df/dy)_j, one per state. */
  readonly vjpY: readonly Node[];
  /** (a^T df/dp)_j, one per parameter. */
  readonly vjpP: readonly Node[];
  /** a^T df/dt, when asked for (buildGraph's withTime; events and resets, spec/events.ts). */
  readonly vjpT: Node;
  /** Definition names by node id, to name the generated locals after the model's helpers. */
  readonly definitionNames: ReadonlyMap<number, string>;
  /** (df/dy u + df/dp w)_i, one per state: reads the inputs u (length d) and w (length P). */
  jvp(): readonly Node[];
  /** Sparse rows of the Jacobian: for f_i, the nonzero df_i/dy_j (key `y<j>`) and df_i/dp_q (`p<q>`). */
  jacobian(): readonly ReadonlyMap<string, Node>[];
}

export function buildGraph(model: ParsedModel, withTime = false): FieldGraph {
  const dag = new Dag();
  const values = new Map<string, Node>([
    ['t', dag.input('t')],
    ['pi', dag.num(Math.PI)],
    ['e', dag.num(Math.E)],
  ]);
  model.states.forEach((name, i) => values.set(name, dag.input('y', i)));
  model.params.forEach((name, j) => values.set(name, dag.input('p', j)));
  for (const [name, value] of model.constants) values.set(name, dag.num(value));
  const resolve = (name: string): Node => {
    const node = values.get(name);
    if (node === undefined) throw new Error(`internal error: unresolved name '${name}'`);
    return node;
  };

  const definitionNames = new Map<number, string>();
  for (const definition of model.definitions) {
    const node = lower(definition.node, dag, resolve);
    values.set(definition.name, node);
    if (!definitionNames.has(node.id)) definitionNames.set(node.id, definition.name);
  }
  const f = model.equations.map((equation) => lower(equation.node, dag, resolve));

  // Reverse accumulation (module comment).
  const differentiable = (name: string) => {
    const kind = model.kinds.get(name);
    return kind === 'state' || kind === 'param' || kind === 'definition' || (withTime && kind === 'time');
  };
  // The local partials d expression / d name, each lowered once (mathjs derivative is the slow part).
  const partialCache = new Map<ParsedExpression, Map<string, Node>>();
  const partial = (expression: ParsedExpression, name: string): Node => {
    let row = partialCache.get(expression);
    if (row === undefined) partialCache.set(expression, (row = new Map()));
    let node = row.get(name);
    if (node === undefined) row.set(name, (node = lower(partialDerivative(expression.node, name), dag, resolve)));
    return node;
  };
  const adjoints = new Map<string, Node>();
  const accumulate = (cotangent: Node, expression: ParsedExpression) => {
    for (const name of expression.symbols) {
      if (!differentiable(name)) continue;
      const term = dag.mul(cotangent, partial(expression, name));
      adjoints.set(name, dag.add(adjoints.get(name) ?? dag.zero, term));
    }
  };
  model.equations.forEach((equation, i) => accumulate(dag.input('a', i), equation));
  for (let k = model.definitions.length - 1; k >= 0; k--) {
    const definition = model.definitions[k];
    const adjoint = adjoints.get(definition.name);
    if (adjoint !== undefined && adjoint !== dag.zero) accumulate(adjoint, definition);
  }
  const vjpY = model.states.map((name) => adjoints.get(name) ?? dag.zero);
  const vjpP = model.params.map((name) => adjoints.get(name) ?? dag.zero);

  // Forward accumulation (module comment), built on first use: most fields never need it.
  let jvpNodes: Node[] | undefined;
  const jvp = (): readonly Node[] => {
    if (jvpNodes !== undefined) return jvpNodes;
    const tangents = new Map<string, Node>();
    model.states.forEach((name, j) => tangents.set(name, dag.input('u', j)));
    model.params.forEach((name, q) => tangents.set(name, dag.input('w', q)));
    const tangent = (expression: ParsedExpression): Node => {
      let sum: Node = dag.zero;
      for (const name of expression.symbols) {
        const dot = differentiable(name) ? tangents.get(name) : undefined;
        if (dot !== undefined && dot !== dag.zero) sum = dag.add(sum, dag.mul(partial(expression, name), dot));
      }
      return sum;
    };
    for (const definition of model.definitions) tangents.set(definition.name, tangent(definition));
    return (jvpNodes = model.equations.map(tangent));
  };
  let jacobianRows: Map<string, Node>[] | undefined;
  const jacobian = (): readonly ReadonlyMap<string, Node>[] => {
    if (jacobianRows !== undefined) return jacobianRows;
    const rows = new Map<string, Map<string, Node>>();
    model.states.forEach((name, j) => rows.set(name, new Map([[`y${j}`, dag.one as Node]])));
    model.params.forEach((name, q) => rows.set(name, new Map([[`p${q}`, dag.one as Node]])));
    const row = (expression: ParsedExpression): Map<string, Node> => {
      const sum = new Map<string, Node>();
      for (const name of expression.symbols) {
        const inner = differentiable(name) ? rows.get(name) : undefined;
        if (inner === undefined) continue;
        const local = partial(expression, name);
        for (const [key, node] of inner) sum.set(key, dag.add(sum.get(key) ?? dag.zero, dag.mul(local, node)));
      }
      return sum;
    };
    for (const definition of model.definitions) rows.set(definition.name, row(definition));
    return (jacobianRows = model.equations.map(row));
  };
  const vjpT = adjoints.get('t') ?? dag.zero;
  return { dag, f, vjpY, vjpP, vjpT, definitionNames, jvp, jacobian };
}

function partialDerivative(node: MathNode, name: string): MathNode {
  return mathjs().derivative(node, name, { simplify: false });
}
