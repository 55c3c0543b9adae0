import { Agent, createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { post } from './refresh-traffic';

/**
 * The refresh-traffic bytes are the client socket's own counters per request: checked against
 * what the server's end of the same keep-alive connection read and wrote for each request.
 */
describe('post (bytes on the socket per request)', () => {
  let server: Server;
  let url: string;
  const serverSockets: Socket[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () =>
        response
          .setHeader('content-type', 'application/json')
          .end(JSON.stringify({ echoed: request.headers['content-length'] })),
      );
    });
    server.on('connection', (socket) => serverSockets.push(socket));
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve),
    );
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth/refresh`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('counts each request and response once, on a reused connection too', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const seen: Array<{ sent: number; received: number }> = [];
      const onServer: Array<{ read: number; written: number }> = [];
      let before = { read: 0, written: 0 };
      for (const body of [
        '{"refresh_token":"a"}',
        `{"refresh_token":"${'b'.repeat(300)}"}`,
      ]) {
        const exchange = await post(agent, url, body);
        expect(exchange.status).toBe(200);
        seen.push({ sent: exchange.sent, received: exchange.received });
        const [socket] = serverSockets;
        onServer.push({
          read: socket.bytesRead - before.read,
          written: socket.bytesWritten - before.written,
        });
        before = { read: socket.bytesRead, written: socket.bytesWritten };
      }
      expect(serverSockets).toHaveLength(1);
      expect(seen).toEqual(
        onServer.map(({ read, written }) => ({
          sent: read,
          received: written,
        })),
      );
      // The body and its length are in the count: 299 more characters, one more digit.
      expect(seen[1].sent - seen[0].sent).toBe(299 + 1);
    } finally {
      agent.destroy();
    }
  });
});
