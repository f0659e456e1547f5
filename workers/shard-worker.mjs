// The pool's worker thread when the library runs from its TypeScript sources (tests, tsx, a
// checkout's bin/aca.mjs): plain node cannot load .ts files, so this registers tsx's loader and
// re-exports the handler. The package runs the compiled dist/runs/worker.js instead
// (src/parallel/pool.ts picks the file).
import { register } from 'tsx/esm/api';

register();
const { default: shardWorker } = await import('../src/runs/worker.ts');
export default shardWorker;
