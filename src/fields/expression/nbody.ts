/**
 * The Newtonian N-body problem as an equation model, the same system as the hand-written
 * fields/nbody.ts (same state order x1 y1 z1 x2 ... vx1 vy1 vz1 ..., masses m1..mN as
 * parameters), so that `expressionField(nbodyModel({ bodies: 3 }))` is the three-body problem.
 *
 * For each pair i < j the definitions are the separation d_ij = r_j - r_i (dx12, dy12, dz12),
 * the distance r12 = sqrt(dx12^2 + dy12^2 + dz12^2) and the factor k12 = G / r12^3; then
 *
 *   dx_i/dt = velocityScale * vx_i
 *   dvx_i/dt = sum_{j > i} m_j k_ij dx_ij - sum_{j < i} m_j k_ji dx_ji
 *
 * Pair suffixes are `12` for up to 9 bodies and `1_12` beyond (so 1,12 and 11,2 differ).
 */
import { resolveNBodyOptions, type NBodyOptions } from '../nbody.ts';
import type { ExpressionModel } from './parse.ts';

/** The same options as the hand-written field (fields/nbody.ts). */
export type NBodyModelOptions = NBodyOptions;

export function nbodyModel(options: NBodyModelOptions): ExpressionModel {
  const { bodies: n, dims, G, velocityScale } = resolveNBodyOptions(options);
  const axes = ['x', 'y', 'z'].slice(0, dims);
  const bodies = Array.from({ length: n }, (_, i) => i + 1);
  const pair = (i: number, j: number) => (n <= 9 ? `${i}${j}` : `${i}_${j}`);

  const definitions: Record<string, string> = {};
  for (const i of bodies) {
    for (const j of bodies.slice(i)) {
      const ij = pair(i, j);
      for (const axis of axes) definitions[`d${axis}${ij}`] = `${axis}${j} - ${axis}${i}`;
      definitions[`r${ij}`] = `sqrt(${axes.map((axis) => `d${axis}${ij}^2`).join(' + ')})`;
      definitions[`k${ij}`] = `G / r${ij}^3`;
    }
  }

  const equations: Record<string, string> = {};
  for (const i of bodies) {
    for (const axis of axes) equations[`${axis}${i}`] = velocityScale === 1 ? `v${axis}${i}` : `velocityScale * v${axis}${i}`;
  }
  for (const i of bodies) {
    for (const axis of axes) {
      const terms = bodies
        .filter((j) => j !== i)
        .map((j) => {
          const ij = i < j ? pair(i, j) : pair(j, i);
          return `${i < j ? '+' : '-'} m${j} * k${ij} * d${axis}${ij}`;
        });
      const sum = terms.join(' ');
      equations[`v${axis}${i}`] = sum.startsWith('+ ') ? sum.slice(2) : `-${sum.slice(2)}`;
    }
  }

  return {
    states: [...bodies.flatMap((i) => axes.map((axis) => `${axis}${i}`)), ...bodies.flatMap((i) => axes.map((axis) => `v${axis}${i}`))],
    params: bodies.map((i) => `m${i}`),
    constants: velocityScale === 1 ? { G } : { G, velocityScale },
    definitions,
    equations,
  };
}
