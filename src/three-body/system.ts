/**
 * A gravitating system to estimate: N bodies in 3-D, the gravitational constant and velocity
 * scale of its units, and the state layout y = (r_1..r_N, v_1..v_N) of fields/nbody.ts.
 */
import { InvalidArgumentError } from '../errors.ts';
import { nbodyField } from '../fields/nbody.ts';
import type { Field } from '../fields/field.ts';

export interface GravitySystem {
  readonly bodies: number;
  /** Gravitational constant in the system's units (the seed paper's K1). */
  readonly G: number;
  /** Factor on dr/dt (the seed paper's K2; 1 in consistent units). */
  readonly velocityScale: number;
}

/**
 * Unit systems for users' own data. 'au-day-msun': lengths in AU, times in days, masses in solar
 * masses, G = k^2 with Gauss's constant k = 0.01720209895 (IAU 1976). 'nbody': G = 1.
 */
export const UNIT_SYSTEMS: Readonly<Record<string, { G: number; velocityScale: number; description: string }>> = {
  'au-day-msun': { G: 0.01720209895 ** 2, velocityScale: 1, description: 'AU, days, solar masses (Gaussian gravitational constant)' },
  'au-year-msun': { G: 4 * Math.PI * Math.PI * (365.25 / 365.2568983) ** 2, velocityScale: 1, description: 'AU, Julian years, solar masses' },
  nbody: { G: 1, velocityScale: 1, description: 'G = 1 (N-body units)' },
};

export function unitSystem(name: string): { G: number; velocityScale: number } {
  const u = UNIT_SYSTEMS[name];
  if (!u) throw new InvalidArgumentError('units', name, `one of ${Object.keys(UNIT_SYSTEMS).join(', ')}`);
  return u;
}

export function systemField(system: GravitySystem): Field {
  return nbodyField({ bodies: system.bodies, dims: 3, G: system.G, velocityScale: system.velocityScale });
}

/** Index of body b's position component c (0..2) in the state. */
export function positionIndex(body: number, axis: number): number {
  return 3 * body + axis;
}
