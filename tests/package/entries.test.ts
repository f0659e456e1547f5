/**
 * The package's entries and import graph: the main entry bundles for a browser (nothing it
 * imports reaches a node: module), a solve-only bundle stays small (sideEffects: false lets the
 * bundler drop the rest), dependencies point down (nothing outside src/cli imports src/cli, no
 * import cycles), and run kinds cannot replace the built-in ones.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/errors.ts';
import { BUILTIN_RUN_KINDS, registerRunKind, RUN_KINDS } from '../../src/parallel/run-spec.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SRC = join(ROOT, 'src');

async function browserBundle(contents: string): Promise<{ bytes: number; inputs: string[] }> {
  const result = await build({
    stdin: { contents, resolveDir: ROOT, sourcefile: 'entry.ts', loader: 'ts' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  // The files that put code into the output (the metafile's inputs also list those shaken out).
  const output = Object.values(result.metafile.outputs)[0];
  const inputs = Object.entries(output.inputs).filter(([, v]) => v.bytesInOutput > 0).map(([f]) => f);
  return { bytes: result.outputFiles[0].contents.byteLength, inputs };
}

describe('entries', () => {
  it('the main entry bundles for the browser: nothing in its graph imports a node: module', async () => {
    // esbuild fails with "Could not resolve node:fs" (etc.) for platform=browser if one is reached.
    const { inputs } = await browserBundle(`export * from './src/index.ts';`);
    expect(inputs).toContain('src/solvers/solve.ts');
    expect(inputs.filter((f) => f.startsWith('src/cli/') || f.startsWith('src/parallel/'))).toEqual([]);
  });

  it('a solve-only browser bundle is under 100 KB', async () => {
    const { bytes, inputs } = await browserBundle(
      `import { solve, lotkaVolterraField } from './src/index.ts';
       console.log(solve(lotkaVolterraField(), [1, 1], { times: [0, 1], params: [1, 1, 1, 1] }).y);`,
    );
    expect(inputs.some((f) => f.includes('node_modules/zod/'))).toBe(false);
    expect(bytes).toBeLessThan(100 * 1024);
  });

  it('the node entry re-exports the main one and adds the file and pool functions', async () => {
    const core = await import('../../src/index.ts');
    const node = await import('../../src/node.ts');
    for (const name of Object.keys(core)) expect(node, name).toHaveProperty(name);
    for (const name of ['loadProblem', 'batchGradient', 'runBatchFile', 'fileCheckpointStore', 'loadFittedModel']) {
      expect(core, name).not.toHaveProperty(name);
      expect(node, name).toHaveProperty(name);
    }
    expect(core).not.toHaveProperty('ProgressBar');
  });
});

describe('dependencies point down', () => {
  const graph = importGraph();

  it('nothing outside src/cli imports src/cli', () => {
    const offenders = [...graph].flatMap(([file, deps]) =>
      file.startsWith('cli/') ? [] : [...deps].filter((d) => d.startsWith('cli/')).map((d) => `${file} -> ${d}`),
    );
    expect(offenders).toEqual([]);
  });

  it('no import cycles between modules (static or dynamic imports, types included)', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('no cycles between folders of src/ either (the entries, which import everything, aside)', () => {
    const folderOf = (file: string) => (file.includes('/') ? file.slice(0, file.indexOf('/')) : file);
    const folders = new Map<string, Set<string>>();
    // src/wasm is the WebAssembly twin of fields, solvers and gradients: it reads their data
    // (expression graphs, tableaus, the loss and end-time terms) and they dispatch to it, so it
    // sits beside them rather than below. Its files still may not form a cycle (the test above).
    for (const [file, deps] of graph) {
      if (file === 'index.ts' || file === 'node.ts' || folderOf(file) === 'wasm') continue;
      const from = folderOf(file);
      if (!folders.has(from)) folders.set(from, new Set());
      for (const dep of deps) if (folderOf(dep) !== from && folderOf(dep) !== 'wasm') folders.get(from)!.add(folderOf(dep));
    }
    expect(cycles(folders)).toEqual([]);
  });
});

describe('run kinds', () => {
  it('registerRunKind refuses to replace a built-in kind', () => {
    for (const kind of BUILTIN_RUN_KINDS) {
      expect(() => registerRunKind(kind, () => 1)).toThrow(InvalidArgumentError);
    }
  });

  it('registerRunKind adds a new kind', () => {
    registerRunKind('entries-test-kind', () => 42);
    expect(RUN_KINDS()).toEqual(expect.arrayContaining(['grad', 'solve', 'fit', 'entries-test-kind']));
  });
});

/** src-relative file -> the src-relative files it imports. */
function importGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const entry of readdirSync(SRC, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = join(entry.parentPath, entry.name);
    const text = readFileSync(file, 'utf8');
    const deps = new Set<string>();
    for (const m of text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*'(\.{1,2}\/[^']+\.ts)'/g)) {
      deps.add(relative(SRC, normalize(join(dirname(file), m[1]))));
    }
    graph.set(relative(SRC, file), deps);
  }
  return graph;
}

/** The strongly connected components with more than one module (Tarjan). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}
