/**
 * The N-body problem in the frame of one body (the central body, e.g. the Sun): the state holds
 * the other bodies' positions and velocities relative to it, as heliocentric ephemerides and
 * observations are given. With r_i = R_i - R_c and m the masses (all N, the central one included),
 *
 *   d^2 r_i/dt^2 = -G (m_c + m_i) r_i / |r_i|^3 + sum_{j != i, c} G m_j ( (r_j - r_i) / |r_j - r_i|^3 - r_j / |r_j|^3 )
 *
 * (Murray and Dermott, Solar System Dynamics, eq. 6.8: the direct terms and the indirect terms
 * -G m_j r_j / |r_j|^3, the central body's acceleration towards j). Built as an equation model
 * (fields/expression), so f, its VJP and the Jacobian come from the same symbolic derivatives.
 * State order: x y z of each non-central body in body order, then vx vy vz in the same order;
 * parameters m1..mN.
 */
import { InvalidArgumentError } from '../errors.ts';
import { expressionField } from '../fields/expression/compile.ts';
import type { ExpressionModel } from '../fields/expression/parse.ts';
import type { Field } from '../fields/field.ts';
import type { GravitySystem } from './system.ts';

/** The equation model of `system` in the frame of body `central` (0-based). */
export function heliocentricModel(system: GravitySystem, central: number): ExpressionModel {
  const n = system.bodies;
  if (!Number.isInteger(central) || central < 0 || central >= n) {
    throw new InvalidArgumentError('central', central + 1, `a body number in 1..${n}`);
  }
  const axes = ['x', 'y', 'z'];
  const c = central + 1;
  const others = Array.from({ length: n }, (_, i) => i + 1).filter((b) => b !== c);
  const definitions: Record<string, string> = {};
  for (const i of others) {
    definitions[`q${i}`] = `G / sqrt(${axes.map((a) => `${a}${i}^2`).join(' + ')})^3`;
  }
  const pair = (i: number, j: number) => `${i}_${j}`;
  for (const i of others) {
    for (const j of others) {
      if (j <= i) continue;
      const ij = pair(i, j);
      for (const a of axes) definitions[`d${a}${ij}`] = `${a}${j} - ${a}${i}`;
      definitions[`k${ij}`] = `G / sqrt(${axes.map((a) => `d${a}${ij}^2`).join(' + ')})^3`;
    }
  }
  const equations: Record<string, string> = {};
  const scale = system.velocityScale === 1 ? '' : 'velocityScale * ';
  for (const i of others) for (const a of axes) equations[`${a}${i}`] = `${scale}v${a}${i}`;
  for (const i of others) {
    for (const a of axes) {
      const terms = [`-(m${c} + m${i}) * q${i} * ${a}${i}`];
      for (const j of others) {
        if (j === i) continue;
        const direct = i < j ? `k${pair(i, j)} * d${a}${pair(i, j)}` : `-k${pair(j, i)} * d${a}${pair(j, i)}`;
        terms.push(`m${j} * (${direct} - q${j} * ${a}${j})`);
      }
      equations[`v${a}${i}`] = terms.join(' + ');
    }
  }
  return {
    states: [...others.flatMap((i) => axes.map((a) => `${a}${i}`)), ...others.flatMap((i) => axes.map((a) => `v${a}${i}`))],
    params: Array.from({ length: n }, (_, i) => `m${i + 1}`),
    constants: system.velocityScale === 1 ? { G: system.G } : { G: system.G, velocityScale: system.velocityScale },
    definitions,
    equations,
  };
}

export function heliocentricField(system: GravitySystem, central: number): Field {
  return expressionField(heliocentricModel(system, central));
}

/** An inertial state (r_1..r_N, v_1..v_N) as the heliocentric one (the other bodies relative to `central`). */
export function toHeliocentric(y: ArrayLike<number>, bodies: number, central: number): Float64Array {
  const out = new Float64Array(6 * (bodies - 1));
  let k = 0;
  for (let b = 0; b < bodies; b++) {
    if (b === central) continue;
    for (let a = 0; a < 3; a++) {
      out[3 * k + a] = y[3 * b + a] - y[3 * central + a];
      out[3 * (bodies - 1) + 3 * k + a] = y[3 * bodies + 3 * b + a] - y[3 * bodies + 3 * central + a];
    }
    k++;
  }
  return out;
}
