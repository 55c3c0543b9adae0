import { request } from 'node:http';
import { createConnection } from 'node:net';

const PROBE_TIMEOUT_MS = 1000;

/** An HTTP readiness probe, as the kubelet runs it: 2xx within the timeout means ready. */
export function httpProbe(port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = request(
      {
        host: '127.0.0.1',
        port,
        path,
        timeout: PROBE_TIMEOUT_MS,
        agent: false,
      },
      (response) => {
        response.resume();
        resolve((response.statusCode ?? 500) < 300);
      },
    );
    probe.on('timeout', () => probe.destroy());
    probe.on('error', () => resolve(false));
    probe.end();
  });
}

/** Redis is ready when it answers PING (it refuses commands while loading the AOF). */
export function redisPingProbe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ready: boolean) => {
      socket.destroy();
      resolve(ready);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}
