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

/**
 * Output times and landing targets for a replay with outputs: a recorded step whose end
 * t_i + h_i is (to rounding) one of `targets` (the output times when the solve landed on them,
 * and t1) was shortened to land there, so its replayed size is target - t.
 */
export interface ReplayOutputs {
  readonly times: readonly number[];
  readonly targets: readonly number[];
  /** The recorded step starts (to find the landing steps). */
  readonly stepT: Float64Array;
  /** Filled with the replayed outputs (times.length x d). */
  readonly out: Float64Array;
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
  outputs?: ReplayOutputs,
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
  let k = 0;
  const times = outputs?.times ?? [];
  for (let i = 0; i < h.length; i++) {
    let hi = h[i];
    let target = NaN;
    if (outputs) {
      const end = outputs.stepT[i] + h[i];
      for (const tg of outputs.targets) if (Math.abs(end - tg) <= 1e-12 * Math.max(1, Math.abs(tg))) target = tg;
      if (!Number.isNaN(target)) hi = target - t;
    }
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
        while (outputs && k < times.length && times[k] <= tStar) outputs.out.set(at((times[k] - t) / hi), d * k++);
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
      const tEnd = Number.isNaN(target) ? t + hi : target;
      while (outputs && k < times.length && times[k] <= tEnd) {
        outputs.out.set(times[k] === tEnd ? yNew : at((times[k] - t) / hi), d * k++);
      }
      y = yNew;
      t = tEnd;
    }
  }
  return out;
}
