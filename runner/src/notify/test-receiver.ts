import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentRun } from '@agent-platform/core/domain';

/** What the receiver got. */
export interface ReceivedPost {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** How the receiver answers one post: a status and headers, or no answer at all (a hung receiver). */
export type ReceiverAnswer = { status: number; headers?: Record<string, string> } | 'hang';

/**
 * A webhook receiver for tests, on 127.0.0.1 only. Answers posts in the order given by `answers`,
 * then 200 to every further one.
 */
export async function startReceiver(answers: ReceiverAnswer[] = []): Promise<{
  url: string;
  port: number;
  posts: ReceivedPost[];
  /** Resolves when `n` posts have arrived. */
  waitFor(n: number): Promise<void>;
  close(): Promise<void>;
}> {
  const posts: ReceivedPost[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const hung: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const answer = answers.shift() ?? { status: 200 };
      if (answer === 'hang') hung.push(res);
      else res.writeHead(answer.status, answer.headers).end('ok');
      for (const w of waiters.filter((x) => posts.length >= x.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    posts,
    waitFor: (n) =>
      posts.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
    close: async () => {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A finished run, with the fields a test cares about replaced. */
export function finishedRun(over: Partial<AgentRun> = {}): AgentRun {
  return {
    id: 'run-1',
    agentId: 'agent-1',
    ownerId: 'user-1',
    status: 'succeeded',
    trigger: 'schedule',
    reason: null,
    runnerId: 'local',
    dedupeKey: null,
    sessionId: 'run-session-1',
    attempt: 1,
    scheduledFor: Date.UTC(2026, 10, 23, 23, 0),
    queuedAt: Date.UTC(2026, 10, 23, 23, 0),
    startedAt: Date.UTC(2026, 10, 23, 23, 0, 1),
    endedAt: Date.UTC(2026, 10, 23, 23, 1, 31),
    durationMs: 90_000,
    result: 'Sales rose 12% week over week; report.png is in the folder.',
    files: [{ path: 'report.png', bytes: 48_213, changeKind: 'created', contentType: 'image/png', stored: true }],
    tokens: { inputTokens: 1200, outputTokens: 340, cacheReadTokens: 5000, cacheCreationTokens: 0 },
    costUsd: 0.0421,
    agentDeleted: false,
    ...over,
  };
}
