/**
 * Replays a solve with events on a given sequence of step sizes: the discrete map that ACA
 * differentiates through events. Each step is recomputed from its start with its recorded size;
 * events are located on the step's interpolant by plain bisection (independent of the library's
 * Brent), near where the recorded solve found them; a step cut by an event restarts at t* (from
 * the reset state). Used to take finite differences of the map with the steps held fixed.
 */
import type { Field } from '../../src/fields/field.ts';
import type { EventRecord, EventSpec } from '../../src/solvers/events.ts';
import { denseWeights, getMethod } from '../../src/solvers/methods.ts';
import { allocateStages, combine, computeStages } from '../../src/solvers/stepper.ts';

export interface ReplayedEvent {
  t: number;
  y: Float64Array;
}

export function replayEvents(
  field: Field,
  methodName: string,
  y0: ArrayLike<number>,
  params: ArrayLike<number>,
  t0: number,
  h: Float64Array,
  events: readonly EventSpec[],
  records: readonly EventRecord[],
): ReplayedEvent[] {
  const method = getMethod(methodName);
  const d = field.dim;
  const p = Float64Array.from(params);
  const K = allocateStages(method.denseStages, d);
  const work = new Float64Array(d);
  const w = new Float64Array(method.denseStages);
  let y: Float64Array = Float64Array.from(y0);
  let t = t0;
  const out: ReplayedEvent[] = [];
  let r = 0;
  for (let i = 0; i < h.length; i++) {
    const hi = h[i];
    computeStages(method, field, t, y, hi, p, K, work, 0, method.denseStages);
    const at = (theta: number) => {
      const row = new Float64Array(d);
      denseWeights(method, theta, w);
      combine(w, method.denseStages, y, hi, K, row);
      return row;
    };
    let cutState: Float64Array | null = null as Float64Array | null;
    while (r < records.length && records[r].step === i) {
      const rec = records[r++];
      const e = events[rec.event];
      const phi = (theta: number) => e.g(t + theta * hi, at(theta), p);
      let lo = Math.max(0, rec.theta - 1e-3);
      let up = Math.min(1, rec.theta + 1e-3);
      let flo = phi(lo);
      if (!(flo * phi(up) <= 0)) throw new Error(`replay: no bracket for event ${rec.name} in step ${i}`);
      for (let it = 0; it < 200 && up - lo > 0; it++) {
        const mid = (lo + up) / 2;
        if (mid === lo || mid === up) break;
        const fm = phi(mid);
        if ((fm <= 0) === (flo <= 0)) (lo = mid), (flo = fm);
        else up = mid;
      }
      const theta = (lo + up) / 2;
      const tStar = t + theta * hi;
      const yStar = at(theta);
      out.push({ t: tStar, y: yStar });
      if (rec.cut) {
        cutState = new Float64Array(d);
        if (rec.yAfter !== null) e.reset!(tStar, yStar, p, cutState);
        else cutState.set(yStar);
        t = tStar;
        break;
      }
    }
    if (cutState) {
      y = cutState;
      if (records[r - 1].terminated) break;
    } else {
      const yNew = new Float64Array(d);
      combine(method.b, method.stages, y, hi, K, yNew);
      y = yNew;
      t += hi;
    }
  }
  return out;
}
