import { createServer, type Server } from 'node:http';
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
