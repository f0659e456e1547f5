/**
 * Reading numbers back from tensors, synchronously or not. The adaptive loops need the error
 * norm of each attempt as a number; CPU and WASM can read it at once (dataSync), WebGPU cannot
 * (its readSync only serves tensors already copied to the CPU). So the loops are generators that
 * yield each scalar tensor they need and receive its value; a driver supplies the values:
 *
 *   runSync    dataSync()                      CPU, WASM, tfjs-node; inside tf.customGrad
 *   runAsync   await data(), values recorded   any backend
 *   runReplay  the recorded values, no read    re-running the same loop under a gradient tape
 *
 * The same loop code thus serves every backend, and a run can be replayed exactly.
 */
import type { Tensor } from './tf.ts';

/** A computation that yields scalar tensors to be read and receives their values. */
export type Reading<T> = Generator<Tensor, T, number>;

/** Yields `t`, receives its value, and disposes it unless `keep` (a tensor on a tape). */
export function* read(t: Tensor, keep = false): Reading<number> {
  const value = yield t;
  if (!keep) t.dispose();
  return value;
}

export function runSync<T>(g: Reading<T>): T {
  let r = g.next();
  while (!r.done) r = g.next(r.value.dataSync()[0]);
  return r.value;
}

export async function runAsync<T>(g: Reading<T>, record?: number[]): Promise<T> {
  let r = g.next();
  while (!r.done) {
    const value = (await r.value.data())[0];
    record?.push(value);
    r = g.next(value);
  }
  return r.value;
}

/** Feeds back the values a runAsync recorded; throws if the run asks for more or fewer. */
export function runReplay<T>(g: Reading<T>, values: readonly number[]): T {
  let k = 0;
  let r = g.next();
  while (!r.done) {
    if (k >= values.length) throw new Error(`replay: the run asked for more than the ${values.length} recorded values`);
    r = g.next(values[k++]);
  }
  if (k !== values.length) throw new Error(`replay: the run used ${k} of ${values.length} recorded values`);
  return r.value;
}
