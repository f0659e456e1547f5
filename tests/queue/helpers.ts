/**
 * Helpers of the distributed tests: the Redis they use (REDIS_URL, default the machine's server at
 * 127.0.0.1:6379), queues of their own that they remove afterwards, `aca worker` child
 * processes, and private redis-server processes for the tests that restart Redis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { redisOptions } from '../../src/queue/connection.ts';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const ACA = fileURLToPath(new URL('../../bin/aca.mjs', import.meta.url));

let counter = 0;
/** A queue name no other test (or test run) uses. */
export function testQueueName(what: string): string {
  return `aca-test-${what}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

/** Removes a test queue and all its keys. */
export async function removeQueue(url: string, name: string): Promise<void> {
  const queue = new Queue(name, { connection: redisOptions(url) });
  queue.on('error', () => {});
  try {
    await queue.obliterate({ force: true });
  } finally {
    await queue.close();
  }
}

export interface ChildWorker {
  readonly process: ChildProcess;
  /** stderr so far. */
  log(): string;
  /** Resolves when the worker says it waits for jobs. */
  readonly ready: Promise<void>;
  readonly exited: Promise<number | null>;
}

/** `aca worker` as a child process, with a short job lock so that a killed worker's job is taken back fast. */
export function startWorker(url: string, name: string, options: { args?: string[]; env?: NodeJS.ProcessEnv } = {}): ChildWorker {
  const child = spawn(
    process.execPath,
    [ACA, 'worker', '--queue', url, '--queue-name', name, '--workers', '1', '--lock-ms', '2000', ...(options.args ?? [])],
    { env: { ...process.env, ...options.env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let text = '';
  let onReady: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stderr!.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
    if (text.includes('waiting for jobs')) onReady();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { process: child, log: () => text, ready, exited };
}

export async function stopWorker(w: ChildWorker): Promise<void> {
  if (w.process.exitCode !== null || w.process.signalCode !== null) return;
  w.process.kill('SIGTERM');
  const timer = setTimeout(() => w.process.kill('SIGKILL'), 15_000);
  await w.exited;
  clearTimeout(timer);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A private redis-server with append-only persistence (fsync on every write) in `dir`. */
export class PrivateRedis {
  private child: ChildProcess | null = null;
  constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 15_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        if (out.toLowerCase().includes('ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${out}`));
      });
    });
  }

  /** Stops it as an operator would (SIGTERM); the append-only file keeps every write. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    this.child = null;
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  }
}
