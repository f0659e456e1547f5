/**
 * The example commands in README.md and docs/*.md run as printed: every `npx aca-ode ...` line of
 * a fenced sh block names a real command with options it accepts (checked by parsing it with
 * --help added, which parses every option and then stops), and the cheap ones run for real.
 * Commands write under out/ (ignored by git), never into the repository's root.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, main } from '../../src/cli/main.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

interface Example {
  readonly file: string;
  readonly line: string;
  readonly args: string[];
}

/** Shell words of one command line: whitespace-separated, '...' and "..." quoting, # comments. */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/'([^']*)'|"([^"]*)"|(#.*$)|(\S+)/g)) {
    if (m[3] !== undefined) break;
    out.push(m[1] ?? m[2] ?? m[4]!);
  }
  return out;
}

function examples(): Example[] {
  const found: Example[] = [];
  for (const file of DOCS) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const block of text.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)) {
      const lines = block[1].replace(/\\\n\s*/g, ' ').split('\n');
      for (const line of lines) {
        const w = words(line);
        if (w[0] === 'npx' && (w[1] === 'aca-ode' || w[1] === 'aca')) found.push({ file, line: line.trim(), args: w.slice(2) });
        if (w[0] === 'aca' || w[0] === 'aca-ode') found.push({ file, line: line.trim(), args: w.slice(1) });
      }
    }
  }
  return found;
}

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const ALL = examples();
/** Commands cheap enough to run for real here (seconds at most). */
const CHEAP = new Set(['demo', 'check', 'solve', 'grad', 'batch', '--help', '--version']);

describe('documented commands', () => {
  it('the docs have examples, and none uses `npx aca` (an unrelated npm package of that name)', () => {
    expect(ALL.length).toBeGreaterThan(5);
    for (const file of DOCS) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      expect(text, file).not.toMatch(/npx aca(?!-ode)\b/);
    }
  });

  it.each(ALL.map((e) => [`${e.file}: ${e.line}`, e] as const))('%s parses', async (_, example) => {
    const [name, ...rest] = example.args;
    if (name!.startsWith('-')) return; // --help, --version: run below
    expect(COMMANDS.map((c) => c.name)).toContain(name);
    const parsed = await run([name!, ...rest, '--help']);
    expect(parsed.stderr).toBe('');
    expect(parsed.code).toBe(0);
    // Outputs go under out/ (ignored), not into the repository's root.
    const out = rest[rest.indexOf('--out') + 1];
    if (rest.includes('--out')) expect(out).toMatch(/^out\//);
  });

  // A --queue example needs its Redis and `aca worker`s on other machines: it is parsed above, and
  // tests/queue/distributed.test.ts runs the same commands against a real Redis.
  const runnable = ALL.filter((e) => CHEAP.has(e.args[0]!) && !e.args.includes('--queue'));
  it.each(runnable.map((e) => [`${e.file}: ${e.line}`, e] as const))('%s runs', async (_, example) => {
    const args = [...example.args];
    // Into a temp folder rather than the shared out/ (tests run in parallel).
    const at = args.indexOf('--out');
    if (at >= 0) args[at + 1] = join(mkdtempSync(join(tmpdir(), 'aca-docs-')), args[at + 1]!.replace(/^out\//, ''));
    const cwd = process.cwd();
    process.chdir(ROOT);
    try {
      const result = await run(args);
      expect(result.code, result.stderr).toBe(0);
    } finally {
      process.chdir(cwd);
    }
  });

  it("docs/parallel.md's runs file is data/runs.jsonl, as printed", () => {
    const doc = readFileSync(join(ROOT, 'docs/parallel.md'), 'utf8');
    const block = /```jsonl\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block).toBe(readFileSync(join(ROOT, 'data/runs.jsonl'), 'utf8'));
    for (const line of block!.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  });
});
