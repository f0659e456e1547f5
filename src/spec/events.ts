/**
 * Events in specs (docs/events.md): `events: { hit: { when: "y", direction: down, terminal: true,
 * reset: { v: "-e*v" }, observed: [1.43, 3.71] } }`. The event function `when` and the reset's
 * expressions are compiled like the model's equations (fields/expression: mathjs, symbolic
 * derivatives, straight-line JavaScript), as a model with the spec model's states, parameters and
 * constants whose first equation is the expression; its VJP with the cotangent e_1 is
 * (dg/dy, dg/dp), and the time derivative comes from the same reverse pass (buildGraph's
 * withTime). Compiler errors name the entry: `events.hit.when: unknown symbol 'z'`.
 *
 * `observed` lists observed times of the event's occurrences (the k-th entry is the k-th
 * occurrence), which `aca fit` and `aca grad` fit with the weighted squared error of the times.
 */
import { generateFunction } from '../fields/expression/codegen.ts';
import { buildGraph } from '../fields/expression/derivative.ts';
import { ModelError } from '../fields/expression/errors.ts';
import { parseModel, type ExpressionModel } from '../fields/expression/parse.ts';
import type { EventLoss } from '../gradients/event-adjoint.ts';
import type { EventSpec } from '../solvers/events.ts';
import type { SpecIssue } from './errors.ts';
import type { ResolvedModel } from './model.ts';
import type { EventsSpec } from './schema.ts';

type Generated = (...args: unknown[]) => number | void;

/** The spec's events as library events (none: an empty list); problems go into `issues`. */
export function compileSpecEvents(events: EventsSpec | undefined, model: ResolvedModel, issues: SpecIssue[]): EventSpec[] {
  const out: EventSpec[] = [];
  if (events === undefined) return out;
  if (model.network) {
    issues.push({ path: 'events', message: 'events are for equation and built-in models (not a model with a network)' });
    return out;
  }
  for (const [name, entry] of Object.entries(events)) {
    const path = `events.${name}`;
    try {
      out.push(compileEvent(name, entry, model, path));
    } catch (error) {
      if (!(error instanceof EventProblem)) throw error;
      issues.push({ path: error.path, message: error.message });
    }
  }
  return out;
}

class EventProblem extends Error {
  constructor(readonly path: string, message: string) {
    super(message);
  }
}

/** A model with the spec model's names whose equations are `expressions` (state name -> expression). */
function namesModel(model: ResolvedModel, expressions: Record<string, string>): ExpressionModel {
  return { states: model.stateNames, params: model.paramNames, constants: model.constants, equations: expressions };
}

/** Parses and differentiates `expressions` (one per state), mapping compiler errors to `path`. */
function graphOf(model: ResolvedModel, expressions: Record<string, string>, path: (equationPath: string) => string) {
  try {
    return buildGraph(parseModel(namesModel(model, expressions)), true);
  } catch (error) {
    if (!(error instanceof ModelError)) throw error;
    throw new EventProblem(path(error.path), error.message.replace(/^[^:]*: /, ''));
  }
}

function compileEvent(name: string, entry: NonNullable<EventsSpec>[string], model: ResolvedModel, path: string): EventSpec {
  const states = model.stateNames;
  const d = states.length;
  // g as the first equation of a model whose other equations are 0.
  const gEquations = Object.fromEntries(states.map((s, i) => [s, i === 0 ? String(entry.when) : '0']));
  const gGraph = graphOf(model, gEquations, () => `${path}.when`);
  const gValue = generateFunction<Generated>(['t', 'y', 'p', 'out'], [{ target: 'out[0]', op: '=', node: gGraph.f[0] }], gGraph.definitionNames).build();
  const scratch = new Float64Array(1);
  const valueOf: EventSpec['g'] = (t, y, p) => {
    gValue(t, y, p, scratch);
    return scratch[0];
  };
  const gGradient = generateFunction<Generated>(
    ['t', 'y', 'p', 'a', 'outY', 'outP', 'outT'],
    [
      ...gGraph.vjpY.map((node, j) => ({ target: `outY[${j}]`, op: '=' as const, node })),
      ...gGraph.vjpP.map((node, j) => ({ target: `outP[${j}]`, op: '=' as const, node })),
      { target: 'outT[0]', op: '=' as const, node: gGraph.vjpT },
    ],
    gGraph.definitionNames,
  ).build();
  const unit = new Float64Array(d);
  unit[0] = 1;
  const dt = new Float64Array(1);
  const spec: {
    -readonly [K in keyof EventSpec]: EventSpec[K];
  } = {
    name,
    g: valueOf,
    direction: entry.direction ?? 'both',
    terminal: entry.terminal ?? false,
    gradient(t, y, p, outY, outP) {
      gGradient(t, y, p, unit, outY, outP, dt);
      return dt[0];
    },
  };
  if (entry.reset !== undefined) {
    for (const key of Object.keys(entry.reset)) {
      if (!states.includes(key)) throw new EventProblem(`${path}.reset.${key}`, `'${key}' is not a state (the states are ${states.join(', ')})`);
    }
    const resetEquations = Object.fromEntries(states.map((s) => [s, entry.reset![s] !== undefined ? String(entry.reset![s]) : s]));
    const rGraph = graphOf(model, resetEquations, (p) => `${path}.reset.${p.replace(/^equations\./, '')}`);
    const rValue = generateFunction<Generated>(
      ['t', 'y', 'p', 'out'],
      rGraph.f.map((node, i) => ({ target: `out[${i}]`, op: '=' as const, node })),
      rGraph.definitionNames,
    ).build();
    const rVjp = generateFunction<Generated>(
      ['t', 'y', 'p', 'a', 'outY', 'outP', 'outT'],
      [
        ...rGraph.vjpY.map((node, j) => ({ target: `outY[${j}]`, op: '=' as const, node })),
        ...rGraph.vjpP.map((node, j) => ({ target: `outP[${j}]`, op: '+=' as const, node })),
        { target: 'outT[0]', op: '=' as const, node: rGraph.vjpT },
      ],
      rGraph.definitionNames,
    ).build();
    const rt = new Float64Array(1);
    spec.reset = (t, y, p, out) => void rValue(t, y, p, out);
    spec.resetVjp = (t, y, p, a, outY, outP) => {
      rVjp(t, y, p, a, outY, outP, rt);
      return rt[0];
    };
  }
  return spec;
}

/** Observed event times of the spec (by event index) and their weights. */
export interface EventObservations {
  readonly observed: readonly (readonly number[] | undefined)[];
  readonly weights: readonly number[];
}

/**
 * The weighted squared error of the event times against the observed ones: the k-th occurrence
 * of an event against its k-th observed time, L = sum w (t_k - obs_k)^2. An occurrence missing
 * from the solve makes the loss infinite (the fit cannot match it), reported by the gradient
 * driver as a non-finite loss.
 */
export function eventTimeLoss(events: readonly EventSpec[], observations: EventObservations): EventLoss {
  return (records, gradT) => {
    let L = 0;
    events.forEach((event, e) => {
      const observed = observations.observed[e];
      if (!observed) return;
      const w = observations.weights[e];
      let k = 0;
      records.forEach((r, q) => {
        if (r.event !== e || k >= observed.length) return;
        const res = r.t - observed[k++];
        L += w * res * res;
        gradT[q] = 2 * w * res;
      });
      if (k < observed.length) L = Infinity;
    });
    return L;
  };
}
