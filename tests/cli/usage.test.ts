/**
 * What a new user of the command meets first: one help format for every command, --version,
 * did-you-mean for a mistyped command, the output format inferred from --out, and the format key
 * of every JSON output.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, main } from '../../src/cli/main.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const LV_SPEC = join(ROOT, 'data/lotka_volterra.yaml');

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe('help', () => {
  it('every command has the same help format, from --help and from aca help NAME', async () => {
    for (const entry of COMMANDS) {
      const command = await entry.load();
      expect(command.name).toBe(entry.name);
      expect(command.summary, `${entry.name}: the summary in commands/index.ts`).toBe(entry.summary);
      const help = await run(entry.name, '--help');
      expect(help.code, entry.name).toBe(0);
      const text = help.stdout;
      expect(text.startsWith(`Usage: aca ${entry.name}`), entry.name).toBe(true);
      expect(text, entry.name).toMatch(/\n\nOptions:\n/);
      expect(text, entry.name).toMatch(/\n {2}-h, --help +this help\n/);
      expect(text, entry.name).toMatch(/\n\nExit codes: 0 [^\n]*\n$/);
      expect((await run('help', entry.name)).stdout, entry.name).toBe(text);
    }
  });

  it('aca --help lists every command and --version; --version prints the package version', async () => {
    const help = await run('--help');
    expect(help.code).toBe(0);
    for (const { name, summary } of COMMANDS) expect(help.stdout).toContain(`  ${name.padEnd(13)}  ${summary}\n`);
    expect(help.stdout).toContain('-v, --version');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await run('--version')).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('a mistyped command gets a did-you-mean; an unknown one the list (exit 2)', async () => {
    expect(await run('tree-body')).toEqual({ code: 2, stdout: '', stderr: "aca: unknown command 'tree-body' (did you mean 'three-body'?); see aca --help\n" });
    const names = COMMANDS.map((c) => c.name).join(', ');
    expect((await run('xyzzy')).stderr).toBe(`aca: unknown command 'xyzzy' (commands: ${names}); see aca --help\n`);
    expect((await run('--verison')).stderr).toBe("aca: unknown option '--verison' (did you mean '--version'?); see aca --help\n");
  });

  it('aca cnn checks its options like the other commands (exit 2, one line)', async () => {
    expect(await run('cnn', '--epoch', '1')).toEqual({ code: 2, stdout: '', stderr: "aca cnn: unknown option '--epoch' (did you mean '--epochs'?)\n" });
    expect((await run('cnn', '--epochs', 'many')).stderr).toBe("aca cnn: --epochs must be a non-negative integer, got 'many'\n");
    expect((await run('cnn', '--models', 'odenet,vgg')).stderr).toBe("aca cnn: --models must be a comma-separated list of odenet, resnet, got 'vgg'\n");
  });
});

describe('outputs', () => {
  it('aca solve writes the format its --out names; a contradicting --format is exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aca-usage-'));
    const json = join(dir, 'x.json');
    expect(await run('solve', LV_SPEC, '--out', json)).toEqual({ code: 0, stdout: '', stderr: '' });
    const parsed = JSON.parse(readFileSync(json, 'utf8')) as { format: string; states: string[] };
    expect(parsed.format).toBe('aca-ode/solution@1');
    expect(parsed.states).toEqual(['x', 'y']);
    const csv = join(dir, 'x.csv');
    expect((await run('solve', LV_SPEC, '--out', csv)).code).toBe(0);
    expect(readFileSync(csv, 'utf8').split('\n')[0]).toBe('t,x,y');
    expect(await run('solve', LV_SPEC, '--out', json, '--format', 'csv')).toEqual({
      code: 2,
      stdout: '',
      stderr: `aca solve: --format csv does not match --out ${json} (a .json file); drop one of them\n`,
    });
  });

  it('aca grad JSON carries its format key', async () => {
    const result = await run('grad', LV_SPEC);
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { format: string }).format).toBe('aca-ode/gradient@1');
  });
});
