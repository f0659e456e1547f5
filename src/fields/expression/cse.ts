/**
 * Common-subexpression elimination over the DAG. Because dag.ts interns every node by structure,
 * a repeated subexpression is one node with several parents; CSE is then just counting uses from
 * the outputs, binding every operation used more than once to a local, and ordering those locals
 * so that each comes after the ones it reads.
 */
import { children, type Node } from './dag.ts';

export interface Plan {
  /** For each root in order: the shared nodes first needed by it, operands before users. */
  readonly bindings: readonly (readonly Node[])[];
  /** Operation nodes bound to a local because they are used more than once. */
  readonly shared: ReadonlySet<Node>;
}

export function plan(roots: readonly Node[]): Plan {
  const uses = new Map<Node, number>();
  const stack = [...roots];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const count = (uses.get(node) ?? 0) + 1;
    uses.set(node, count);
    if (count > 1) continue;
    stack.push(...children(node));
  }
  const shared = new Set<Node>();
  for (const [node, count] of uses) {
    if (count > 1 && node.kind !== 'num' && node.kind !== 'input') shared.add(node);
  }

  const bound = new Set<Node>();
  const bindings = roots.map((root) => {
    const order: Node[] = [];
    const visit = (node: Node) => {
      if (bound.has(node)) return;
      for (const child of children(node)) visit(child);
      if (shared.has(node)) {
        bound.add(node);
        order.push(node);
      }
    };
    visit(root);
    return order;
  });
  return { bindings, shared };
}
