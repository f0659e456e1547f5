/**
 * Lowers a mathjs expression tree (as parsed, or as written by mathjs `derivative`) onto the
 * hash-consed DAG. Names are resolved by the caller, which is how definitions are substituted:
 * a definition's name resolves to its already-lowered node.
 */
import type { Dag, Node } from './dag.ts';
import { isMathFunction, RECIPROCALS } from './functions.ts';
import type { MathNode } from './mathjs.ts';

export function lower(root: MathNode, dag: Dag, resolve: (name: string) => Node): Node {
  const visit = (node: MathNode): Node => {
    const n = node as MathNode & Record<string, any>;
    switch (node.type) {
      case 'ConstantNode':
        return dag.num(n.value as number);
      case 'SymbolNode':
        return resolve(n.name as string);
      case 'ParenthesisNode':
        return visit(n.content);
      case 'OperatorNode': {
        const args = (n.args as MathNode[]).map(visit);
        switch (n.fn as string) {
          case 'add':
            return args.reduce((sum, x) => dag.add(sum, x));
          case 'subtract':
            return dag.sub(args[0], args[1]);
          case 'multiply':
            return args.reduce((product, x) => dag.mul(product, x));
          case 'divide':
            return dag.div(args[0], args[1]);
          case 'pow':
            return dag.pow(args[0], args[1]);
          case 'unaryMinus':
            return dag.neg(args[0]);
          case 'unaryPlus':
            return args[0];
        }
        break;
      }
      case 'FunctionNode': {
        const name = n.fn.name as string;
        const args = (n.args as MathNode[]).map(visit);
        if (isMathFunction(name)) {
          // log(x, b) = log(x) / log(b)
          if (name === 'log' && args.length === 2) return dag.div(dag.call('log', args[0]), dag.call('log', args[1]));
          return dag.call(name, args[0]);
        }
        if (Object.hasOwn(RECIPROCALS, name)) return dag.div(dag.one, dag.call(RECIPROCALS[name], args[0]));
        if (name === 'pow') return dag.pow(args[0], args[1]);
        break;
      }
    }
    // parse.ts admits only the cases above, and mathjs derivatives stay within them.
    throw new Error(`internal error: cannot lower mathjs node '${node.toString()}' (${node.type})`);
  };
  return visit(root);
}
