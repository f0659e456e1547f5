/**
 * A small seeded pseudo-random generator, so that initialisations and data splits are the same on
 * every machine and in every worker (Math.random cannot be seeded).
 *
 * Generator: xoshiro128** 1.0 (Blackman and Vigna, "Scrambled linear pseudorandom number
 * generators", ACM TOMS 47(4), 2021; reference code at prng.di.unimi.it/xoshiro128starstar.c):
 * 128 bits of state, period 2^128 - 1, 32-bit outputs. An integer seed is expanded into the four
 * state words by splitmix32 (a 32-bit variant of Steele, Lea and Flood's SplitMix), which never
 * gives the all-zero state from which xoshiro cannot leave. Normal deviates use the Box-Muller
 * transform (Box and Muller, Ann. Math. Statist. 29, 1958), keeping the second deviate of each
 * pair for the next call.
 */
import { InvalidArgumentError } from '../errors.ts';

export interface Rng {
  /** The next 32-bit unsigned integer. */
  nextUint32(): number;
  /** A uniform double in [0, 1) with 53 random bits. */
  next(): number;
  /** A uniform double in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** A normal deviate with the given mean (default 0) and standard deviation (default 1). */
  normal(mean?: number, sd?: number): number;
}

/** A generator seeded by an integer (any finite number; it is reduced to 32 bits). */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new InvalidArgumentError('seed', seed, 'a finite number');
  // splitmix32: the state advances by the golden-ratio increment; the output is a mixed copy.
  let sm = seed >>> 0;
  const words: number[] = [];
  for (let k = 0; k < 4; k++) {
    sm = (sm + 0x9e3779b9) >>> 0;
    let z = sm;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    words.push((z ^ (z >>> 16)) >>> 0);
  }
  if ((words[0] | words[1] | words[2] | words[3]) === 0) words[3] = 1;
  return rngFromState(words[0], words[1], words[2], words[3]);
}

/** A generator started from an explicit xoshiro128** state (not all zero), for reference tests. */
export function rngFromState(s0: number, s1: number, s2: number, s3: number): Rng {
  if (((s0 | s1 | s2 | s3) >>> 0) === 0) {
    throw new InvalidArgumentError('state', [s0, s1, s2, s3], 'four 32-bit words, not all zero');
  }
  let a = s0 >>> 0, b = s1 >>> 0, c = s2 >>> 0, d = s3 >>> 0;
  let spareNormal = 0;
  let hasSpare = false;

  function nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  }

  function next(): number {
    // 27 high bits and 26 high bits make a 53-bit integer, scaled into [0, 1).
    const hi = nextUint32() >>> 5;
    const lo = nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  return {
    nextUint32,
    next,
    uniform(lo, hi) {
      return lo + (hi - lo) * next();
    },
    normal(mean = 0, sd = 1) {
      if (hasSpare) {
        hasSpare = false;
        return mean + sd * spareNormal;
      }
      // 1 - next() lies in (0, 1], so the logarithm is finite.
      const radius = Math.sqrt(-2 * Math.log(1 - next()));
      const angle = 2 * Math.PI * next();
      spareNormal = radius * Math.sin(angle);
      hasSpare = true;
      return mean + sd * radius * Math.cos(angle);
    },
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
