/**
 * A field's WebAssembly form (Field.wasm, fields/field.ts): code emitters for f and its VJP with
 * the memory-based signatures the generated solver calls,
 *   f(t: f64, y: i32, p: i32, out: i32)                     out <- f(t, y, p)
 *   vjp(t: f64, y: i32, p: i32, a: i32, outY: i32, outP: i32)  outY <- a^T df/dy; outP += a^T df/dp
 * where the i32 arguments are byte addresses of Float64 vectors in the module's memory. The
 * emitted code must compute exactly what the field's JavaScript f and vjp compute, operation for
 * operation (the back end promises the same steps and round-off agreement): the functions that
 * WebAssembly lacks (sin, exp, log, pow, ...) are imported from JavaScript's Math, so they are
 * the very same functions; sqrt and abs are WebAssembly instructions (both correctly rounded, as
 * Math.sqrt and Math.abs are).
 */
import type { FieldGraph } from '../fields/expression/derivative.ts';
import { children, type Node } from '../fields/expression/dag.ts';
import { Body, F64, I32 } from './encoder.ts';

export interface WasmFieldSource {
  /** Math function names (Math[name]) the code calls; imported as `math.<name>`. */
  readonly imports: readonly string[];
  /** Emits the body of f into `body` (parameters as above); `math(name)` is an import's index. */
  emitF(body: Body, math: (name: string) => number): void;
  /** Emits the body of the VJP; absent when the field has none. */
  emitVjp?(body: Body, math: (name: string) => number): void;
  /**
   * False for fields known not to be stiff (the gravitational N-body field: its small steps at
   * close approaches are for accuracy, not stability). Others may be stiff, and the stiffness
   * test (solvers/stiffness.ts) runs in the TypeScript loop only, so `backend: 'auto'` keeps them
   * there while the test is on (stiffnessCheck).
   */
  readonly mayBeStiff?: boolean;
}

export const F_PARAMS = [F64, I32, I32, I32] as const;
export const VJP_PARAMS = [F64, I32, I32, I32, I32, I32] as const;

/** Local indices of the parameters of f and vjp. */
const T = 0;
const Y = 1;
const P = 2;
/** vjp: a, outY, outP; f: out (= 3). */
const A = 3;

/** More DAG nodes than this get no WebAssembly form (V8 caps a function at 50,000 locals). */
export const MAX_WASM_NODES = 40000;

/**
 * The WebAssembly form of an equation model from its DAG (fields/expression/derivative.ts): each
 * node computed once into a local, in dependency order, as the JavaScript from codegen.ts
 * computes each shared subexpression once. Returns null for models beyond MAX_WASM_NODES.
 */
export function expressionWasmSource(graph: FieldGraph): WasmFieldSource | null {
  const imports = new Set<string>();
  let count = 0;
  const seen = new Set<Node>();
  const visit = (node: Node) => {
    if (seen.has(node)) return;
    seen.add(node);
    count++;
    if (node.kind === 'call' && node.fn !== 'sqrt' && node.fn !== 'abs') imports.add(node.fn);
    if (node.kind === 'pow') imports.add('pow');
    for (const c of children(node)) visit(c);
  };
  for (const roots of [graph.f, graph.vjpY, graph.vjpP]) for (const n of roots) visit(n);
  if (count > MAX_WASM_NODES) return null;
  return {
    imports: [...imports].sort(),
    emitF(body, math) {
      emitOutputs(body, math, graph.f.map((node, i) => ({ array: A, index: i, add: false, node })));
    },
    emitVjp(body, math) {
      emitOutputs(body, math, [
        ...graph.vjpY.map((node, j) => ({ array: 4, index: j, add: false, node })),
        ...graph.vjpP.map((node, j) => ({ array: 5, index: j, add: true, node })),
      ]);
    },
  };
}

interface Store {
  /** The parameter holding the output array's address. */
  readonly array: number;
  readonly index: number;
  /** Accumulate (outP +=) instead of overwrite. */
  readonly add: boolean;
  readonly node: Node;
}

function emitOutputs(body: Body, math: (name: string) => number, stores: readonly Store[]): void {
  const locals = new Map<Node, number>();
  const inputArray = (array: string) => (array === 'y' ? Y : array === 'p' ? P : A);
  // Post-order without recursion: deep chains (long sums) would overflow the JS stack.
  const compute = (root: Node) => {
    const stack: { node: Node; expanded: boolean }[] = [{ node: root, expanded: false }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (locals.has(top.node)) {
        stack.pop();
        continue;
      }
      if (!top.expanded) {
        top.expanded = true;
        for (const c of children(top.node)) if (!locals.has(c)) stack.push({ node: c, expanded: false });
        continue;
      }
      stack.pop();
      emitNode(body, math, top.node, locals, inputArray);
    }
  };
  for (const s of stores) {
    // An accumulated zero is left out, as codegen.ts does (adding +0 could turn -0 into +0).
    if (s.add && s.node.kind === 'num' && s.node.value === 0) continue;
    compute(s.node);
    body.get(s.array);
    if (s.add) body.get(s.array).f64Load(8 * s.index);
    body.get(locals.get(s.node)!);
    if (s.add) body.f64Add();
    body.f64Store(8 * s.index);
  }
}

function emitNode(
  body: Body,
  math: (name: string) => number,
  node: Node,
  locals: Map<Node, number>,
  inputArray: (array: string) => number,
): void {
  const arg = (n: Node) => body.get(locals.get(n)!);
  switch (node.kind) {
    case 'num':
      body.f64(node.value);
      break;
    case 'input':
      if (node.array === 't') body.get(T);
      else body.get(inputArray(node.array)).f64Load(8 * node.index);
      break;
    case 'neg':
      arg(node.a).f64Neg();
      break;
    case 'call':
      arg(node.a);
      if (node.fn === 'sqrt') body.f64Sqrt();
      else if (node.fn === 'abs') body.f64Abs();
      else body.call(math(node.fn));
      break;
    case 'pow':
      arg(node.a);
      arg(node.b);
      body.call(math('pow'));
      break;
    case '+':
      arg(node.a), arg(node.b), body.f64Add();
      break;
    case '-':
      arg(node.a), arg(node.b), body.f64Sub();
      break;
    case '*':
      arg(node.a), arg(node.b), body.f64Mul();
      break;
    case '/':
      arg(node.a), arg(node.b), body.f64Div();
      break;
  }
  const local = body.local(F64);
  body.set(local);
  locals.set(node, local);
}
