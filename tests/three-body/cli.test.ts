/**
 * `aca three-body`: the paper experiment end to end (table, pictures, report) and a user's own
 * observations (CSV with a missing body coordinate, starting values JSON, G from --units).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { synthesize } from '../../src/three-body/observations.ts';
import { positionColumns } from '../../src/three-body/user-data.ts';
import { UNIT_SYSTEMS } from '../../src/three-body/system.ts';

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe('aca three-body', () => {
  it('runs the paper experiment with ACA and writes the table, pictures and report', async () => {
    const out = mkdtempSync(join(tmpdir(), 'aca-3b-'));
    const r = await run('three-body', '--methods', 'aca', '--out', out, '--quiet');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^aca\s+1\.09\d+ 1\.09\d+ 0\.90\d+/m);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.rows[0].method).toBe('aca');
    for (const e of report.rows[0].relativeErrors) expect(e).toBeLessThan(0.01);
    expect(readFileSync(join(out, 'orbits.svg'), 'utf8')).toMatch(/^<svg|^<\?xml/);
    expect(existsSync(join(out, 'loss.svg'))).toBe(true);
    // The plotted numbers beside the pictures: one loss row per epoch, the orbits per observation time.
    const lossRows = readFileSync(join(out, 'loss.csv'), 'utf8').trimEnd().split('\n');
    expect(lossRows[0]).toBe('epoch,aca');
    expect(lossRows.length - 1).toBe(report.lossHistory.aca.length);
    expect(Number(lossRows.at(-1)!.split(',')[1])).toBe(report.lossHistory.aca.at(-1));
    const orbitRows = readFileSync(join(out, 'orbits.csv'), 'utf8').trimEnd().split('\n');
    expect(orbitRows[0].startsWith('t,body1_x_observed,body1_y_observed,body1_z_observed,body1_x_aca,')).toBe(true);
    expect(orbitRows[0].split(',').length).toBe(1 + 3 * 2 * 3);
    // PNG copies through resvg: the PNG signature, and a picture of the requested width.
    const png = readFileSync(join(out, 'orbits.png'));
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.readUInt32BE(16)).toBe(1200);
  });

  it("fits a user's observations in AU, days and solar masses", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aca-3b-user-'));
    const system = { bodies: 3, G: UNIT_SYSTEMS['au-day-msun'].G, velocityScale: 1 };
    // A Sun-like star with two heavy companions, one year of daily positions.
    const masses = [1, 0.01, 0.002];
    const v1 = Math.sqrt(system.G * 1.01 / 1);
    const v2 = Math.sqrt(system.G * 1.002 / 2);
    const y0 = [0, 0, 0, 1, 0, 0, -2, 0, 0.01, 0, -0.01 * v1 - 0.002 * -v2, 0, 0, v1, 0, 0, -v2, 0];
    const times = Float64Array.from({ length: 365 }, (_, k) => k + 1);
    const obs = synthesize(system, y0, masses, times);
    const cols = positionColumns(3);
    const lines = ['# synthetic: three bodies, daily positions (AU); z3 unobserved', ['t', ...cols.filter((c) => c !== 'z3')].join(',')];
    for (let k = 0; k < times.length; k++) {
      const row = cols.map((c, i) => (c === 'z3' ? null : obs.positions[k * 9 + i])).filter((v) => v !== null);
      lines.push([times[k], ...row].join(','));
    }
    const csv = join(dir, 'obs.csv');
    writeFileSync(csv, lines.join('\n') + '\n');
    const initial = join(dir, 'initial.json');
    writeFileSync(initial, JSON.stringify({ masses: [0.9, 0.012, 0.0015], y0, units: 'au-day-msun' }));
    const r = await run('three-body', '--data', csv, '--initial', initial, '--optimizer', 'adam', '--methods', 'aca', '--epochs', '300', '--lr', '0.01', '--lr-decay', '0.99', '--out', dir, '--quiet');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    const fitted = report.rows[0].masses as number[];
    expect(Math.abs(fitted[0] - 1)).toBeLessThan(0.01);
    expect(Math.abs(fitted[1] - 0.01) / 0.01).toBeLessThan(0.05);
  });

  it('the same observations by least squares (the default): masses within 0.1%, with standard errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aca-3b-lm-'));
    const system = { bodies: 3, G: UNIT_SYSTEMS['au-day-msun'].G, velocityScale: 1 };
    const masses = [1, 0.01, 0.002];
    const v1 = Math.sqrt(system.G * 1.01 / 1);
    const v2 = Math.sqrt(system.G * 1.002 / 2);
    const y0 = [0, 0, 0, 1, 0, 0, -2, 0, 0.01, 0, -0.01 * v1 - 0.002 * -v2, 0, 0, v1, 0, 0, -v2, 0];
    const times = Float64Array.from({ length: 365 }, (_, k) => k + 1);
    const obs = synthesize(system, y0, masses, times);
    const lines = ['t,' + positionColumns(3).join(',')];
    for (let k = 0; k < times.length; k++) lines.push([times[k], ...obs.positions.subarray(k * 9, (k + 1) * 9)].join(','));
    writeFileSync(join(dir, 'obs.csv'), lines.join('\n') + '\n');
    writeFileSync(join(dir, 'initial.json'), JSON.stringify({ masses: [0.9, 0.012, 0.0015], y0, units: 'au-day-msun' }));
    const r = await run('three-body', '--data', join(dir, 'obs.csv'), '--initial', join(dir, 'initial.json'), '--out', dir, '--quiet');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^converged \((ftol|xtol|gtol)\)/m);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    report.masses.forEach((m: number, b: number) => expect(Math.abs(m / masses[b] - 1)).toBeLessThan(1e-3));
    expect(report.converged).toBe(true);
    expect(report.massStandardErrors.every((v: number) => v > 0)).toBe(true);
  });

  it("the README's planets command: Jupiter and Saturn from 60 years of heliocentric positions (AU, days), masses within 1%", async () => {
    const out = mkdtempSync(join(tmpdir(), 'aca-3b-planets-'));
    const r = await run(
      'three-body', '--data', 'data/planets-1.csv', '--data', 'data/planets-2.csv', '--initial', 'data/planets-start.json',
      '--central', '1', '--fix', 'm1', '--fit', 'masses,positions,velocities', '--out', out, '--quiet',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^converged/m);
    // Full precision and a standard error on each planet's row.
    expect(r.stdout).toMatch(/^2\s+0\.000954\d{6,}\s+\d\.\d\de-8/m);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const truth = [1, 9.547919e-4, 2.858860e-4];
    expect(report.masses[0]).toBe(1);
    for (const b of [1, 2]) {
      expect(Math.abs(report.masses[b] / truth[b] - 1)).toBeLessThan(0.01);
      // The error is consistent with the reported standard error (the noise is known: 1e-5 AU).
      expect(Math.abs(report.masses[b] - truth[b])).toBeLessThan(4 * report.massStandardErrors[b]);
    }
    expect(report.frame).toEqual({ central: 1 });
  }, 120_000);

  it('the paper run takes --lr and --rtol; options for your own data are refused without --data', async () => {
    const out = mkdtempSync(join(tmpdir(), 'aca-3b-opt-'));
    const slow = await run('three-body', '--methods', 'aca', '--epochs', '2', '--lr', '0.01', '--rtol', '1e-5', '--out', out, '--quiet');
    const fast = await run('three-body', '--methods', 'aca', '--epochs', '2', '--lr', '0.2', '--rtol', '1e-5', '--out', out, '--quiet');
    expect(slow.code).toBe(0);
    expect(slow.stdout).toContain('rtol = 0.00001');
    const masses = (r: { stdout: string }) => /^aca\s+([\d.]+ [\d.]+ [\d.]+)/m.exec(r.stdout)![1];
    expect(masses(slow)).not.toBe(masses(fast));
    const fit = await run('three-body', '--fit', 'masses', '--quiet');
    expect(fit.code).toBe(2);
    expect(fit.stderr).toContain('--fit applies to your own data (--data FILE)');
  });

  it('bad input: an unknown method, a CSV column that is not a body coordinate', async () => {
    const bad = await run('three-body', '--methods', 'aca,magic');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--methods: unknown method 'magic' (allowed: aca, adjoint, naive)");
    const dir = mkdtempSync(join(tmpdir(), 'aca-3b-bad-'));
    writeFileSync(join(dir, 'obs.csv'), 't,x1,y1,w9\n1,0,0,0\n');
    writeFileSync(join(dir, 'init.json'), JSON.stringify({ masses: [1, 1, 1], y0: new Array(18).fill(0) }));
    const csv = await run('three-body', '--data', join(dir, 'obs.csv'), '--initial', join(dir, 'init.json'), '--quiet');
    expect(csv.code).toBe(2);
    expect(csv.stderr).toContain("line 1: unknown column 'w9'");
    const noTime = await run('three-body', '--data', 'data/planets-1.csv', '--data', 'data/planets-2.csv', '--initial', 'data/planets-start.json', '--time-column', 'days', '--quiet');
    expect(noTime.code).toBe(2);
    expect(noTime.stderr).toContain("no time column 'days'");
    const noInit = await run('three-body', '--data', join(dir, 'obs.csv'));
    expect(noInit.code).toBe(2);
    expect(noInit.stderr).toContain('--data needs --initial FILE');
  });
});
