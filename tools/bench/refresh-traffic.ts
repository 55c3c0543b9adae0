import { Agent, request } from 'node:http';
import type { TokenResponse } from '@app/contracts';
import { cpuMilliseconds } from './processes';
import { median } from './statistics';

/** The access-token lifetimes compared: the short one of the `logout-short-tokens` row, auth's default. */
export const COMPARED_LIFETIMES_SECONDS = [60, 900] as const;

export interface RefreshTraffic {
  refreshes: number;
  /** Per refresh, as Node's socket counted them (request line + headers + body; status + headers + body). */
  requestBytes: number;
  responseBytes: number;
  /** The auth pod's user + system CPU per refresh (/proc), scrypt-free: a refresh hashes nothing slow. */
  authCpuMicroseconds: number;
  latencyMs: { p50: number };
  /** What one active user costs per hour: one refresh per access-token lifetime. */
  perUserHour: Array<{
    accessTokenLifetimeSeconds: number;
    refreshes: number;
    bytes: number;
    authCpuMilliseconds: number;
  }>;
}

export interface Exchange {
  status: number;
  body: string;
  sent: number;
  received: number;
}

/**
 * One POST on a kept-alive socket, with the bytes that socket wrote and read for it: the
 * counters are the socket's own (`bytesWritten`, `bytesRead`), before and after.
 */
export function post(
  agent: Agent,
  url: string,
  body: string,
): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    let before = { written: 0, read: 0 };
    const call = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            sent: call.socket!.bytesWritten - before.written,
            received: call.socket!.bytesRead - before.read,
          }),
        );
      },
    );
    call.on('socket', (socket) => {
      before = { written: socket.bytesWritten, read: socket.bytesRead };
    });
    call.on('error', reject);
    call.end(body);
  });
}

/**
 * What short access tokens cost in refresh traffic: a chain of real refreshes against the auth
 * pod, one at a time (each spends the token the previous one issued), measured on the socket and
 * in the pod's CPU time; then scaled to one user-hour per lifetime. Not autocannon: a refresh
 * token is single-use, so the requests cannot be replayed.
 */
export async function measureRefreshTraffic(
  authUrl: string,
  authPid: number,
  credentials: { username: string; password: string },
  refreshes: number,
): Promise<RefreshTraffic> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const login = await post(
      agent,
      `${authUrl}/auth/login`,
      JSON.stringify(credentials),
    );
    if (login.status !== 200)
      throw new Error(`refresh traffic: login answered ${login.status}`);
    let token = (JSON.parse(login.body) as TokenResponse).refresh_token;
    const sent: number[] = [];
    const received: number[] = [];
    const latencies: number[] = [];
    const cpuBefore = cpuMilliseconds(authPid);
    for (let index = 0; index < refreshes; index++) {
      const started = performance.now();
      const exchange = await post(
        agent,
        `${authUrl}/auth/refresh`,
        JSON.stringify({ refresh_token: token }),
      );
      latencies.push(performance.now() - started);
      if (exchange.status !== 200)
        throw new Error(`refresh traffic: refresh answered ${exchange.status}`);
      token = (JSON.parse(exchange.body) as TokenResponse).refresh_token;
      sent.push(exchange.sent);
      received.push(exchange.received);
    }
    const authCpuMicroseconds =
      ((cpuMilliseconds(authPid) - cpuBefore) * 1000) / refreshes;
    const requestBytes = median(sent);
    const responseBytes = median(received);
    return {
      refreshes,
      requestBytes,
      responseBytes,
      authCpuMicroseconds,
      latencyMs: { p50: median(latencies) },
      perUserHour: COMPARED_LIFETIMES_SECONDS.map((lifetime) => {
        const perHour = 3600 / lifetime;
        return {
          accessTokenLifetimeSeconds: lifetime,
          refreshes: perHour,
          bytes: perHour * (requestBytes + responseBytes),
          authCpuMilliseconds: (perHour * authCpuMicroseconds) / 1000,
        };
      }),
    };
  } finally {
    agent.destroy();
  }
}
