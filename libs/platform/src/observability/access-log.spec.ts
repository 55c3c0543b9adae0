import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Histogram, Registry } from 'prom-client';
import { accessLoggerOf, observeRequest } from './access-log';

/** A real HTTP server whose handler answers as `respond` says, observed like every app's. */
function startServer(
  respond: (url: string, answer: (status: number) => void) => void,
  user?: string,
) {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const root = pino(
    { base: { app: 'test' }, redact: { paths: ['*.password'] } },
    sink,
  );
  const registry = new Registry();
  const durations = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'test',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const logger = accessLoggerOf(root);
  const server: Server = createServer((request, response) => {
    Object.assign(request, {
      id: 'req-1',
      user: user ? { id: user } : undefined,
    });
    observeRequest(request, response, logger, durations);
    respond(request.url ?? '', (status) => {
      response.statusCode = status;
      response.end('{}');
    });
  });
  return new Promise<{
    server: Server;
    url: string;
    lines: typeof lines;
    observed: () => Promise<number>;
  }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        lines,
        observed: async () =>
          (await durations.get()).values
            .filter((value) => value.metricName?.endsWith('_count'))
            .reduce((sum, value) => sum + value.value, 0),
      }),
    ),
  );
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('observeRequest: one access line and one duration per request', () => {
  let running: Awaited<ReturnType<typeof startServer>> | undefined;
  afterEach(
    () =>
      new Promise((resolve) => {
        running?.server.closeAllConnections();
        running?.server.close(resolve);
      }),
  );

  it('writes the request line (id, method, url, status, ms, user) and times it', async () => {
    running = await startServer((_url, answer) => answer(200), 'alice');
    await fetch(`${running.url}/orders?limit=5`);
    await settle();
    expect(running.lines).toEqual([
      {
        level: 30,
        time: expect.any(Number),
        app: 'test',
        req: { id: 'req-1', method: 'GET', url: '/orders?limit=5' },
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
        userId: 'alice',
        msg: 'request completed',
      },
    ]);
    expect(await running.observed()).toBe(1);
  });

  it('logs a 5xx at error level', async () => {
    running = await startServer((_url, answer) => answer(503));
    await fetch(`${running.url}/orders`);
    await settle();
    expect(running.lines).toEqual([
      expect.objectContaining({
        level: 50,
        res: { statusCode: 503 },
        msg: 'request errored',
      }),
    ]);
    expect(running.lines[0]).not.toHaveProperty('userId');
  });

  it('logs a request the client gave up on as aborted, and does not time it', async () => {
    running = await startServer(() => undefined); // never answers
    const controller = new AbortController();
    const pending = fetch(`${running.url}/slow`, {
      signal: controller.signal,
    }).catch(() => 'aborted');
    await settle();
    controller.abort();
    expect(await pending).toBe('aborted');
    await settle();
    expect(running.lines).toEqual([
      expect.objectContaining({
        level: 40,
        req: expect.objectContaining({ url: '/slow' }),
        msg: 'request aborted by the client',
      }),
    ]);
    expect(await running.observed()).toBe(0);
  });

  it('times probes and scrapes without logging them', async () => {
    running = await startServer((_url, answer) => answer(200));
    await fetch(`${running.url}/healthz/ready`);
    await fetch(`${running.url}/metrics`);
    await settle();
    expect(running.lines).toEqual([]);
    expect(await running.observed()).toBe(2);
  });
});
