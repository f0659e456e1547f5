/**
 * Live progress of a run, from its worker thread to the main thread. The pool (pool.ts) gives
 * each run task one end of a MessageChannel, moved to the worker with the task (Piscina's
 * transferList); the main thread exposes a ProgressHandle on the other end with comlink, and the
 * worker calls it through comlink's typed proxy: `progress(p)` as the run goes, `cancelled()` to
 * learn whether the caller gave up (Ctrl-C), so that a long fit stops between iterations.
 *
 * comlink speaks the browser's MessagePort (addEventListener, event.data); Node's ports emit the
 * message itself, so `endpoint` adapts one to the other (as comlink's node-adapter does).
 */
import * as Comlink from 'comlink';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { RunContext, RunProgress } from './job-types.ts';

export type { RunContext, RunProgress } from './job-types.ts';

/** The caller's side, exposed to the worker. */
export interface ProgressHandle {
  progress(progress: RunProgress): void;
  cancelled(): boolean;
}

/** The main thread's side: the port to transfer with the task, and close() once the task is over. */
export function exposeProgress(handle: ProgressHandle): { port: MessagePort; close(): void } {
  const channel = new MessageChannel();
  Comlink.expose(handle, endpoint(channel.port1));
  channel.port1.unref();
  return {
    port: channel.port2,
    close: () => channel.port1.close(),
  };
}

/** The worker's side: a RunContext on a transferred port; release() when the run is over. */
export function progressContext(port: MessagePort): { context: RunContext; release(): void } {
  const remote = Comlink.wrap<ProgressHandle>(endpoint(port));
  const abort = new AbortController();
  const started = performance.now();
  let last = -Infinity; // the first report always goes
  const context: RunContext = {
    signal: abort.signal,
    progress: (p) => {
      // At most 20 reports a second: a fast fit must not flood the port.
      const now = performance.now();
      if (now - last < 50) return;
      last = now;
      remote.progress({ ...p, elapsedMs: Math.round(now - started) }).catch(() => {});
      remote
        .cancelled()
        .then((c) => c && abort.abort())
        .catch(() => {});
    },
  };
  return {
    context,
    release: () => {
      remote[Comlink.releaseProxy]();
      port.close();
    },
  };
}

type Listener = Parameters<Comlink.Endpoint['addEventListener']>[1];

function endpoint(port: MessagePort): Comlink.Endpoint {
  const listeners = new Map<unknown, (data: unknown) => void>();
  return {
    postMessage: (message: unknown, transfer?: unknown[]) => port.postMessage(message, transfer as never),
    addEventListener: (_type: string, handler: Listener) => {
      const listener = (data: unknown) => {
        const event = { data } as never;
        if (typeof handler === 'function') handler(event);
        else handler.handleEvent(event);
      };
      listeners.set(handler, listener);
      port.on('message', listener);
    },
    removeEventListener: (_type: string, handler: Listener) => {
      const listener = listeners.get(handler);
      if (listener) port.off('message', listener);
      listeners.delete(handler);
    },
    start: () => port.start(),
  };
}
