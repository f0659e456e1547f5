/**
 * The backend ladder for the tensor path, tried in this order unless a flag names one:
 *
 *   node-gpu  @tensorflow/tfjs-node-gpu (libtensorflow with CUDA)      optional package
 *   node      @tensorflow/tfjs-node (libtensorflow on the CPU)         optional package
 *   webgpu    @tensorflow/tfjs-backend-webgpu on Dawn's Node binding   optional packages, and a GPU adapter
 *   wasm      @tensorflow/tfjs-backend-wasm (SIMD, no threads here)
 *   cpu       the pure-JS backend that ships with @tensorflow/tfjs
 *
 * Optional packages are detected by a guarded require, so the project works without them (the
 * tfjs-node packages download libtensorflow at install time, which offline machines cannot).
 * On WASM and CPU the conv2d gradient kernels are replaced by the forward-conv forms of
 * conv-gradient-kernels.ts: WASM has no Conv2DBackpropFilter and a slow Conv2DBackpropInput, and
 * the CPU backend's filter kernel is far slower than a conv. WebGPU cannot read a tensor back
 * synchronously, so there training chains the model's pieces (train.ts, chained.ts).
 */
import { AcaError, InvalidArgumentError } from '../errors.ts';
import { ensureConvGradientKernels, type ConvGradientKernels } from './conv-gradient-kernels.ts';
import { tf, tryRequire } from './tf.ts';

export const BACKEND_LADDER = ['node-gpu', 'node', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_LADDER)[number];

export interface BackendAttempt {
  readonly choice: BackendChoice;
  readonly ok: boolean;
  /** Why it was skipped, or what was set up. */
  readonly note: string;
}

export interface SelectedBackend {
  readonly choice: BackendChoice;
  /** tfjs's own backend name (tf.getBackend()). */
  readonly tfName: string;
  /** What happened to the conv2d gradient kernels on this backend. */
  readonly convKernels: ConvGradientKernels;
  readonly attempts: readonly BackendAttempt[];
}

/** The requested backend is not available; the message says why and what to do. */
export class BackendUnavailableError extends AcaError {
  readonly backend: string;
  constructor(backend: string, reason: string) {
    super('ERR_BACKEND_UNAVAILABLE', `backend ${backend} is not available: ${reason}`);
    this.backend = backend;
  }
}

export interface SelectOptions {
  /** 'auto' walks the ladder; a name selects that backend or fails. */
  readonly backend?: BackendChoice | 'auto';
  /** Keep the shipped conv2d gradient kernels where they exist (WASM still gets a filter kernel). */
  readonly keepShippedConvKernels?: boolean;
}

/** Parses a --backend flag value. */
export function parseBackendChoice(value: string): BackendChoice | 'auto' {
  if (value === 'auto' || (BACKEND_LADDER as readonly string[]).includes(value)) return value as BackendChoice | 'auto';
  throw new InvalidArgumentError('backend', value, `one of auto, ${BACKEND_LADDER.join(', ')}`);
}

/** Sets the tfjs backend: the first of the ladder that works, or the one asked for. */
export async function selectBackend(options: SelectOptions = {}): Promise<SelectedBackend> {
  const wanted = options.backend ?? 'auto';
  const candidates = wanted === 'auto' ? BACKEND_LADDER : [wanted];
  const attempts: BackendAttempt[] = [];
  for (const choice of candidates) {
    const result = await trySetUp(choice);
    attempts.push({ choice, ok: result.ok, note: result.note });
    if (!result.ok) continue;
    const tfName = tf.getBackend();
    const replace = (tfName === 'cpu' || tfName === 'wasm') && !options.keepShippedConvKernels;
    const convKernels = ensureConvGradientKernels(tfName, replace);
    return { choice, tfName, convKernels, attempts };
  }
  const last = attempts[attempts.length - 1];
  throw new BackendUnavailableError(wanted, last ? last.note : 'nothing to try');
}

/** One line for the start of a run: the backend and why the ones above it were skipped. */
export function describeBackend(selected: SelectedBackend): string {
  const skipped = selected.attempts.filter((a) => !a.ok).map((a) => `${a.choice}: ${a.note}`);
  const { filter, input } = selected.convKernels;
  const kernel = (filter === 'native' ? '' : `, Conv2DBackpropFilter ${filter}`) +
    (input === 'native' ? '' : `, Conv2DBackpropInput ${input}`) +
    (filter === 'native' && input === 'native' ? '' : ' (as forward convs)');
  const ok = selected.attempts[selected.attempts.length - 1];
  return `backend: ${selected.choice} (tfjs '${selected.tfName}'; ${ok.note}${kernel})` +
    (skipped.length ? `; skipped ${skipped.join('; ')}` : '');
}

async function trySetUp(choice: BackendChoice): Promise<{ ok: boolean; note: string }> {
  switch (choice) {
    case 'node-gpu':
      return setUpNative('@tensorflow/tfjs-node-gpu');
    case 'node':
      return setUpNative('@tensorflow/tfjs-node');
    case 'webgpu':
      return setUpWebGpu();
    case 'wasm': {
      const loaded = tryRequire('@tensorflow/tfjs-backend-wasm');
      if ('error' in loaded) return { ok: false, note: `@tensorflow/tfjs-backend-wasm ${loaded.error}` };
      return setBackend('wasm', 'WebAssembly, SIMD, single thread');
    }
    case 'cpu':
      return setBackend('cpu', 'pure JavaScript');
  }
}

async function setUpNative(pkg: string): Promise<{ ok: boolean; note: string }> {
  const loaded = tryRequire(pkg);
  if ('error' in loaded) return { ok: false, note: `${pkg} ${loaded.error}` };
  return setBackend('tensorflow', `libtensorflow through ${pkg}`);
}

interface DawnAdapter {
  info?: { vendor?: string; architecture?: string; description?: string };
  requestAdapterInfo?: () => Promise<unknown>;
}

interface DawnModule {
  create(flags: string[]): { requestAdapter(options?: unknown): Promise<DawnAdapter | null> };
  globals: Record<string, unknown>;
}

/**
 * WebGPU in Node: the `webgpu` package (an ES module) ships Dawn's Node binding.
 * tfjs-backend-webgpu looks for globalThis.navigator.gpu when it is loaded, so the binding's GPU
 * object is put there first. On Mesa's lavapipe Dawn finds no usable adapter (measured), so this
 * succeeds on real GPUs only.
 */
async function setUpWebGpu(): Promise<{ ok: boolean; note: string }> {
  const dawn = await tryImport<DawnModule>('webgpu');
  if ('error' in dawn) return { ok: false, note: `package webgpu ${dawn.error}` };
  const backendPkg = '@tensorflow/tfjs-backend-webgpu';
  const { create, globals } = dawn.module;
  Object.assign(globalThis, globals);
  const gpu = create([]);
  let adapter: DawnAdapter | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (err) {
    return { ok: false, note: `Dawn's requestAdapter failed: ${(err as Error).message}` };
  }
  if (!adapter) {
    return {
      ok: false,
      note: 'Dawn found no GPU adapter (software Vulkan such as Mesa lavapipe is not enough: a real GPU and its Vulkan driver are needed)',
    };
  }
  // tfjs-backend-webgpu 4.22 calls adapter.requestAdapterInfo(), which newer Dawn builds replace
  // by the adapter.info attribute.
  const withInfo = {
    requestAdapter: async (options?: unknown): Promise<DawnAdapter | null> => {
      const a = await gpu.requestAdapter(options);
      if (a && typeof a.requestAdapterInfo !== 'function') {
        try {
          a.requestAdapterInfo = async () => a.info ?? {};
        } catch {
          // a non-extensible adapter: tfjs will report the missing method itself
        }
      }
      return a;
    },
  };
  const nav = (globalThis as { navigator?: object }).navigator ?? {};
  Object.defineProperty(globalThis, 'navigator', { value: { ...nav, gpu: withInfo, dawnGpu: gpu }, configurable: true, writable: true });
  const loaded = tryRequire(backendPkg);
  if ('error' in loaded) return { ok: false, note: `${backendPkg} ${loaded.error}` };
  const info = adapter.info;
  const name = info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') : '';
  return setBackend('webgpu', `Dawn, ${name || 'adapter found'}`);
}

async function tryImport<T>(name: string): Promise<{ module: T } | { error: string }> {
  try {
    return { module: (await import(name)) as T };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if ((e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') && e.message.includes(`'${name}'`)) {
      return { error: 'not installed' };
    }
    return { error: `failed to load: ${e.message.split('\n')[0]}` };
  }
}

/**
 * Drops the reference to Dawn's GPU object, without which Node does not exit
 * (https://issues.chromium.org/issues/387965810, as the webgpu package's README says).
 */
export function releaseBackend(): void {
  const nav = (globalThis as { navigator?: { gpu?: unknown; dawnGpu?: unknown } }).navigator;
  if (nav && 'dawnGpu' in nav) {
    delete nav.gpu;
    delete nav.dawnGpu;
  }
}

async function setBackend(name: string, note: string): Promise<{ ok: boolean; note: string }> {
  try {
    if (!(await tf.setBackend(name))) return { ok: false, note: `tf.setBackend('${name}') returned false` };
    await tf.ready();
    return { ok: true, note };
  } catch (err) {
    return { ok: false, note: `tf.setBackend('${name}') failed: ${(err as Error).message.split('\n')[0]}` };
  }
}
