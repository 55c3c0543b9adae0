import {
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
} from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceProcess } from './support/service-process';
import { login, TestServices } from './support/services';

const DRAIN_MS = 1500;

/**
 * SIGTERM as the kubelet sends it: readiness turns 503 at once, the pod keeps serving during the
 * drain delay, a request in flight completes, then the process exits 0.
 */
describe('graceful shutdown on a real SIGTERM', () => {
  const services = new TestServices();
  let auth: ServiceProcess;
  let order: ServiceProcess;
  let token: string;

  beforeAll(async () => {
    ({ auth, order } = await services.backend({
      orderEnvironment: { SHUTDOWN_DRAIN_MS: String(DRAIN_MS) },
    }));
    token = (await login(auth)).access_token;
  });
  afterAll(() => services.stop());

  it('completes an in-flight POST /orders, turns readiness 503 and exits 0', async () => {
    const body = JSON.stringify({
      items: [{ sku: 'americano', qty: 2 }],
      payment: 'card',
    });
    // A request whose body is still arriving when SIGTERM lands: it is genuinely in flight.
    let inFlight!: ClientRequest;
    const response = new Promise<{ status: number; body: string }>(
      (resolve, reject) => {
        inFlight = httpRequest(
          `${order.url}/orders`,
          {
            method: 'POST',
            headers: {
              authorization: `Bearer ${token}`,
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
            },
          },
          (res: IncomingMessage) => {
            let text = '';
            res.on('data', (chunk) => (text += chunk));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, body: text }),
            );
          },
        );
        inFlight.on('error', reject);
      },
    );
    inFlight.write(body.slice(0, 10));
    await sleep(100);

    const signalledAt = Date.now();
    order.child.kill('SIGTERM');
    await sleep(200);
    const readiness = await fetch(`${order.url}/healthz/ready`);
    expect(readiness.status).toBe(503);
    const liveness = await fetch(`${order.url}/healthz/live`);
    expect(liveness.status).toBe(200);
    // Still serving new requests while the endpoints are being updated.
    const duringDrain = await fetch(`${order.url}/menu`);
    expect(duringDrain.status).toBe(200);

    await sleep(DRAIN_MS);
    inFlight.end(body.slice(10));
    const completed = await response;
    expect(completed.status).toBe(201);
    expect(JSON.parse(completed.body).total).toBe(6000);

    const { code, signal } = await order.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(DRAIN_MS);
    expect(Date.now() - signalledAt).toBeLessThan(DRAIN_MS + 5000);
    // The listener is closed: new connections are refused.
    await expect(fetch(`${order.url}/menu`)).rejects.toThrow();
  });
});
