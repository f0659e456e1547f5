/**
 * Where a queue lives: a Redis URL (redis://[user:password@]HOST:PORT[/DB]) and a queue name.
 * BullMQ takes plain connection options (it makes its own ioredis clients); `maxRetriesPerRequest:
 * null` is what BullMQ asks for its blocking connections, and it makes a command wait through a
 * Redis restart instead of failing (the client reconnects and replays it).
 */
import { createConnection } from 'node:net';
import { InvalidArgumentError } from '../errors.ts';

/** The queue of `aca batch --queue` and `aca worker` unless --queue-name says otherwise. */
export const DEFAULT_QUEUE_NAME = 'aca-batch';

export interface QueueTarget {
  /** redis://HOST:PORT[/DB] */
  readonly url: string;
  /** The BullMQ queue's name (default DEFAULT_QUEUE_NAME). */
  readonly name?: string;
}

export interface RedisConnectionOptions {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
  readonly maxRetriesPerRequest: null;
}

/** The connection options of a redis:// URL; a URL that is not one is an InvalidArgumentError. */
export function redisOptions(url: string): RedisConnectionOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError('--queue', url, 'a Redis URL, redis://HOST:PORT[/DB]');
  }
  if (parsed.protocol !== 'redis:' || parsed.hostname === '') {
    throw new InvalidArgumentError('--queue', url, 'a Redis URL, redis://HOST:PORT[/DB]');
  }
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const path = parsed.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!Number.isInteger(db) || db < 0) {
    throw new InvalidArgumentError('--queue', url, 'a Redis URL whose path is a database number, redis://HOST:PORT/DB');
  }
  return {
    host: parsed.hostname,
    port,
    db,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    maxRetriesPerRequest: null,
  };
}

export function queueName(target: QueueTarget): string {
  const name = target.name ?? DEFAULT_QUEUE_NAME;
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(name)) {
    throw new InvalidArgumentError('queue name', name, 'letters, digits, _ . - (1 to 100 characters)');
  }
  return name;
}

/**
 * Whether a Redis server answers PING at this URL: null when it does, else why not (one line).
 * Plain TCP (RESP), so that it needs no client and never hangs longer than timeoutMs.
 */
export function redisUnreachable(url: string, timeoutMs = 1000): Promise<string | null> {
  let options: RedisConnectionOptions;
  try {
    options = redisOptions(url);
  } catch (error) {
    return Promise.resolve((error as Error).message);
  }
  return new Promise((resolve) => {
    const socket = createConnection({ host: options.host, port: options.port });
    let reply = '';
    const done = (why: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => done(`no answer from Redis at ${options.host}:${options.port} within ${timeoutMs} ms`), timeoutMs);
    socket.on('connect', () => {
      const auth = options.password
        ? `AUTH ${options.username ? `${options.username} ` : ''}${options.password}\r\n`
        : '';
      socket.write(`${auth}PING\r\n`);
    });
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('+PONG')) done(null);
      else if (reply.startsWith('-')) done(`Redis at ${options.host}:${options.port} refused PING: ${reply.trim()}`);
    });
    socket.on('error', (error) => done(`no Redis at ${options.host}:${options.port} (${error.message})`));
  });
}
