/**
 * `aca dashboard`: Bull Board (the BullMQ dashboard) for a batch's queue, served by express on
 * 127.0.0.1 only: the board can retry and remove jobs, and has no login, so it is not offered to
 * the network. Put it behind an SSH tunnel to watch a queue from another machine.
 */
import type { Server } from 'node:http';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Queue } from 'bullmq';
import express from 'express';
import { queueName, redisOptions, type QueueTarget } from './connection.ts';

export interface DashboardOptions extends QueueTarget {
  /** Port on 127.0.0.1 (default 3000; 0 picks a free one). */
  readonly port?: number;
}

export interface Dashboard {
  /** http://127.0.0.1:PORT/ */
  readonly url: string;
  close(): Promise<void>;
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const queue = new Queue(queueName(options), { connection: redisOptions(options.url) });
  queue.on('error', () => {});
  const adapter = new ExpressAdapter();
  adapter.setBasePath('/');
  createBullBoard({ queues: [new BullMQAdapter(queue, { readOnlyMode: false })], serverAdapter: adapter });
  const app = express();
  app.use('/', adapter.getRouter());
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(options.port ?? 3000, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(s)));
    s.on('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://127.0.0.1:${port}/`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue.close();
    },
  };
}
