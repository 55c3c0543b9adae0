import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGateway } from './gateway';
import type { Pod } from './pod';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve((server.address() as AddressInfo).port),
    ),
  );
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The gateway in front of a real HTTP server that answers with the headers it received. */
describe('gateway: the forwarded headers a pod receives', () => {
  let upstream: Server;
  let gateway: Server;
  let gatewayPort: number;

  beforeAll(async () => {
    upstream = createServer((incoming, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(incoming.headers));
    });
    const upstreamPort = await listen(upstream);
    // A Pod as far as the gateway looks at one: a name and a port.
    const pod = { name: 'auth-echo', port: upstreamPort } as Pod;
    gateway = createGateway({
      readyPods: (app) => (app === 'auth' ? [pod] : []),
      settings: { legacyCartAffinity: true },
      fallback: (_request, response) => response.end(),
    });
    gatewayPort = await listen(gateway);
  });
  afterAll(async () => {
    await close(gateway);
    await close(upstream);
  });

  const headersSeenUpstream = (headers: Record<string, string>) =>
    new Promise<Record<string, string>>((resolve, reject) => {
      const outgoing = request(
        {
          host: '127.0.0.1',
          port: gatewayPort,
          path: '/auth/login',
          method: 'POST',
          headers,
        },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve(JSON.parse(text)));
        },
      );
      outgoing.on('error', reject);
      outgoing.end('{}');
    });

  it('overwrites X-Forwarded-For with the socket address and drops every forwarding header the client wrote', async () => {
    const seen = await headersSeenUpstream({
      'x-forwarded-for': '203.0.113.9, 10.0.0.1',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'bank.example',
      'x-forwarded-port': '443',
      'x-forwarded-prefix': '/admin',
      x_forwarded_for: '203.0.113.10',
      'x-real-ip': '203.0.113.11',
      forwarded: 'for=203.0.113.12;proto=https',
    });
    expect(seen).toMatchObject({
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': `127.0.0.1:${gatewayPort}`,
      'x-forwarded-port': String(gatewayPort),
    });
    for (const header of [
      'x-forwarded-prefix',
      'x_forwarded_for',
      'x-real-ip',
      'forwarded',
    ]) {
      expect(seen).not.toHaveProperty(header);
    }
  });

  it('sets the same headers when the client sent none', async () => {
    const seen = await headersSeenUpstream({});
    expect(seen).toMatchObject({
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': `127.0.0.1:${gatewayPort}`,
    });
  });
});

/** The gateway's connections to a pod that announces how long it keeps an idle one. */
describe('gateway: keep-alive to pods', () => {
  it('drops an idle upstream connection before the pod closes it (Keep-Alive hint)', async () => {
    const pod = createServer((_incoming, response) => response.end('{}'));
    // Announced as `Keep-Alive: timeout=3`: reuse is safe for 3 s, minus Node's 1 s margin.
    pod.keepAliveTimeout = 3000;
    let connections = 0;
    pod.on('connection', () => connections++);
    const port = await listen(pod);
    const hinted = createGateway({
      readyPods: () => [{ name: 'order-hinted', port } as Pod],
      settings: { legacyCartAffinity: true },
      fallback: (_request, response) => response.end(),
    });
    const hintedPort = await listen(hinted);
    try {
      const menu = () =>
        fetch(`http://127.0.0.1:${hintedPort}/menu`).then((response) =>
          response.arrayBuffer(),
        );
      await menu();
      await new Promise((resolve) => setTimeout(resolve, 2500));
      await menu();
      // Past the hint's safe 2 s the first socket is gone: a new one, not a race with the close.
      expect(connections).toBe(2);
    } finally {
      await close(hinted);
      await close(pod);
    }
  });
});
