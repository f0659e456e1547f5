/**
 * Start-up of the command: `aca-ode --help` from the installed package (compiled JavaScript in
 * dist/, what a user runs) against the same command from this checkout (bin/aca.mjs running the
 * TypeScript sources through tsx, what every start paid before the package was built).
 *
 * The package is packed and installed into a temp project from npm's cache
 * (scripts/pack-install.mjs), or taken from `--installed DIR` (a project with aca-ode in its
 * node_modules). Rounds alternate the two contenders so that a busy machine slows both alike;
 * the figure is the median wall time of a fresh process over the rounds, and their ratio.
 * Goal: the installed package's --help in at most 0.25 s.
 *
 *   node --import tsx scripts/bench/09-startup.ts [--rounds N] [--installed DIR]
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
// @ts-expect-error: a plain .mjs script without declarations
import { packAndInstall, ROOT } from '../pack-install.mjs';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '15' }, installed: { type: 'string' } } });
const rounds = Number(values.rounds);

let cleanup = (): void => {};
let project = values.installed;
if (!project) {
  const started = performance.now();
  const packed = packAndInstall() as { work: string; project: string };
  project = packed.project;
  cleanup = () => {
    for (const dir of [packed.work, packed.project]) rmSync(dir, { recursive: true, force: true });
  };
  console.log(`packed and installed the package in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

// The bare start of node is the floor under both (and shows how busy the machine is).
const contenders = [
  { name: 'installed package (dist/)', args: [join(project, 'node_modules', 'aca-ode', 'bin', 'aca.mjs'), '--help'], times: [] as number[] },
  { name: 'checkout through tsx', args: [join(ROOT, 'bin', 'aca.mjs'), '--help'], times: [] as number[] },
  { name: 'node -e 0 (for reference)', args: ['-e', '0'], times: [] as number[] },
];

function timeOnce(args: string[]): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const ms = performance.now() - started;
  if (r.status !== 0 || (args[0] !== '-e' && !r.stdout.includes('Usage: aca-ode'))) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}

for (const c of contenders) timeOnce(c.args); // warm the file cache for both
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? contenders : [...contenders].reverse();
  for (const c of order) c.times.push(timeOnce(c.args));
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const [pkg, tsx] = contenders.map((c) => median(c.times));
console.log(`aca-ode --help, median of ${rounds} interleaved rounds (node ${process.version}):`);
for (const c of contenders) console.log(`  ${c.name.padEnd(28)} ${(median(c.times) / 1000).toFixed(3)} s`);
console.log(`  ratio installed / tsx        ${(pkg / tsx).toFixed(2)}x   (goal: installed <= 0.250 s: ${pkg <= 250 ? 'met' : 'NOT met'})`);
cleanup();
