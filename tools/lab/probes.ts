import { request } from 'node:http';
import { createConnection } from 'node:net';

const PROBE_TIMEOUT_MS = 1000;

/**
 * `ready`/`not-ready`: the pod answered (a 503 from a draining pod is its own, authoritative
 * word). `no-answer`: refused or timed out, which on a busy 2-core machine can be just a slow
 * event loop; the caller decides how many of those make a pod unready.
 */
export type ProbeResult = 'ready' | 'not-ready' | 'no-answer';

/** An HTTP readiness probe, as the kubelet runs it: 2xx within the timeout means ready. */
export function httpProbe(port: number, path: string): Promise<ProbeResult> {
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
        resolve((response.statusCode ?? 500) < 300 ? 'ready' : 'not-ready');
      },
    );
    probe.on('timeout', () => probe.destroy());
    probe.on('error', () => resolve('no-answer'));
    probe.end();
  });
}

/** Redis is ready when it answers PING (it refuses commands while loading the AOF). */
export function redisPingProbe(port: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (result: ProbeResult) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done('no-answer'));
    socket.on('error', () => done('no-answer'));
    socket.on('connect', () => socket.write('PING\r\n'));
    // -LOADING while the AOF is replayed: up, but not ready.
    socket.on('data', (data) =>
      done(data.toString().startsWith('+PONG') ? 'ready' : 'not-ready'),
    );
  });
}
