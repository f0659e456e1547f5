/**
 * expressionField: an equation model (parse.ts) compiled to a Field whose f and VJP are
 * straight-line JavaScript built with `new Function`: parse and check (mathjs), lower to a
 * hash-consed DAG with definitions substituted, symbolic partials by mathjs `derivative` chained
 * in reverse over the definitions (derivative.ts), common subexpressions bound once (cse.ts),
 * source printed from the DAG (codegen.ts). The generated functions read only their arguments and
 * write only their output arrays; they allocate nothing.
 */
import type { Field } from '../field.ts';
import { generateFunction, type Output } from './codegen.ts';
import { buildGraph } from './derivative.ts';
import { ModelError } from './errors.ts';
import { parseModel, type ExpressionModel } from './parse.ts';
import { expressionWasmSource } from '../../wasm/field-source.ts';

export interface ExpressionField extends Field {
  readonly spec: { readonly kind: 'expression'; readonly model: ExpressionModel };
  readonly stateNames: readonly string[];
  readonly paramNames: readonly string[];
  f(t: number, y: Float64Array, p: Float64Array, out: Float64Array): void;
  vjp(t: number, y: Float64Array, p: Float64Array, a: Float64Array, outY: Float64Array, outP: Float64Array): void;
  /** The generated code (codegen.ts: a function body, or a factory of chunks), for inspection. */
  readonly source: { readonly f: string; readonly vjp: string };
}

export function expressionField(model: ExpressionModel): ExpressionField {
  const parsed = parseModel(model);
  let graph: ReturnType<typeof buildGraph>;
  try {
    graph = buildGraph(parsed);
  } catch (error) {
    // parse.ts bounds the depth, so this is a backstop: the passes recurse over the DAG.
    if (error instanceof RangeError) throw new ModelError('equations', `too deeply nested to compile (${error.message})`);
    throw error;
  }
  const fCode = generateFunction<ExpressionField['f']>(
    ['t', 'y', 'p', 'out'],
    graph.f.map((node, i): Output => ({ target: `out[${i}]`, op: '=', node })),
    graph.definitionNames,
  );
  const vjpCode = generateFunction<ExpressionField['vjp']>(
    ['t', 'y', 'p', 'a', 'outY', 'outP'],
    [
      ...graph.vjpY.map((node, j): Output => ({ target: `outY[${j}]`, op: '=', node })),
      ...graph.vjpP.map((node, j): Output => ({ target: `outP[${j}]`, op: '+=', node })),
    ],
    graph.definitionNames,
  );
  // The WebAssembly form from the same DAG (src/wasm/), absent for models too large for it.
  const wasm = expressionWasmSource(graph) ?? undefined;
  return {
    ...(wasm ? { wasm } : {}),
    dim: parsed.states.length,
    nParams: parsed.params.length,
    // A private copy, so that later changes to the caller's object cannot desynchronise the spec.
    spec: { kind: 'expression', model: JSON.parse(JSON.stringify(model)) as ExpressionModel },
    stateNames: parsed.states,
    paramNames: parsed.params,
    f: fCode.build(),
    vjp: vjpCode.build(),
    source: { f: fCode.source, vjp: vjpCode.source },
  };
}
