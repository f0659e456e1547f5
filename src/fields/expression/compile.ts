/**
 * expressionField: an equation model (parse.ts) compiled to a Field whose f and VJP are
 * straight-line JavaScript built with `new Function`: parse and check (mathjs), lower to a
 * hash-consed DAG with definitions substituted, symbolic partials by mathjs `derivative` chained
 * in reverse over the definitions (derivative.ts), common subexpressions bound once (cse.ts),
 * source printed from the DAG (codegen.ts). The generated functions read only their arguments and
 * write only their output arrays; they allocate nothing.
 *
 * The JVP and the Jacobians come from the same local partials by forward accumulation
 * (derivative.ts) and are generated on their first call (most fields never need them; the
 * N-body Jacobian of many bodies is large code). A JVP without vp reads a zero vector allocated
 * once here.
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
  jvp(t: number, y: Float64Array, p: Float64Array, v: Float64Array, vp: Float64Array | null, out: Float64Array): void;
  jacobian(t: number, y: Float64Array, p: Float64Array, outJy: Float64Array, outJp: Float64Array | null): void;
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
  const d = parsed.states.length;
  const P = parsed.params.length;
  type Jvp = (t: number, y: Float64Array, p: Float64Array, v: Float64Array, w: Float64Array, out: Float64Array) => void;
  type JacY = (t: number, y: Float64Array, p: Float64Array, outJy: Float64Array) => void;
  type JacYP = (t: number, y: Float64Array, p: Float64Array, outJy: Float64Array, outJp: Float64Array) => void;
  let jvpFn: Jvp | undefined;
  let jacYFn: JacY | undefined;
  let jacYPFn: JacYP | undefined;
  const zeroP = new Float64Array(P);
  const jacobianOutputs = (withP: boolean): Output[] => {
    const rows = graph.jacobian();
    const outputs: Output[] = [];
    rows.forEach((row, i) => {
      for (let j = 0; j < d; j++) outputs.push({ target: `outJy[${i * d + j}]`, op: '=', node: row.get(`y${j}`) ?? graph.dag.zero });
      if (withP) for (let q = 0; q < P; q++) outputs.push({ target: `outJp[${i * P + q}]`, op: '=', node: row.get(`p${q}`) ?? graph.dag.zero });
    });
    return outputs;
  };
  // The WebAssembly form from the same DAG (src/wasm/), absent for models too large for it.
  const wasm = expressionWasmSource(graph) ?? undefined;
  return {
    ...(wasm ? { wasm } : {}),
    dim: d,
    nParams: P,
    // A private copy, so that later changes to the caller's object cannot desynchronise the spec.
    spec: { kind: 'expression', model: JSON.parse(JSON.stringify(model)) as ExpressionModel },
    stateNames: parsed.states,
    paramNames: parsed.params,
    f: fCode.build(),
    vjp: vjpCode.build(),
    jvp(t, y, p, v, vp, out) {
      jvpFn ??= generateFunction<Jvp>(
        ['t', 'y', 'p', 'u', 'w', 'out'],
        graph.jvp().map((node, i): Output => ({ target: `out[${i}]`, op: '=', node })),
        graph.definitionNames,
      ).build();
      jvpFn(t, y, p, v, vp ?? zeroP, out);
    },
    jacobian(t, y, p, outJy, outJp) {
      if (outJp === null) {
        jacYFn ??= generateFunction<JacY>(['t', 'y', 'p', 'outJy'], jacobianOutputs(false), graph.definitionNames).build();
        jacYFn(t, y, p, outJy);
      } else {
        jacYPFn ??= generateFunction<JacYP>(['t', 'y', 'p', 'outJy', 'outJp'], jacobianOutputs(true), graph.definitionNames).build();
        jacYPFn(t, y, p, outJy, outJp);
      }
    },
    source: { f: fCode.source, vjp: vjpCode.source },
  };
}
