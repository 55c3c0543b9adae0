import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Bytes one request/response exchange put on its TCP connection, as counted by the socket
 * (request line + headers + body each way, chunk framing included), not from Content-Length.
 */
export interface WireBytes {
  sent: number;
  received: number;
  /** Bytes of the counted headers' lines (`name: value\r\n`) among `sent`, by lower-case name. */
  headersSent: Record<string, number>;
  /** Likewise among `received` (e.g. `set-cookie`, every line of it). */
  headersReceived: Record<string, number>;
}

export interface WireResponse {
  status: number;
  headers: IncomingHttpHeaders;
  setCookies: string[];
  text: string;
  wire: WireBytes;
}

export interface WireRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

/** The headers that carry a credential: the bearer token, the session cookie (and its renewal). */
export const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'set-cookie'];

/** One header line as HTTP/1.1 puts it on the wire (Node writes and reads headers as latin1). */
export function headerLineBytes(name: string, value: string): number {
  return Buffer.byteLength(`${name}: ${value}\r\n`, 'latin1');
}

/** The counted headers' bytes of `sent`/`received` together: the credential's share. */
export function countedBytes(wire: WireBytes): {
  sent: number;
  received: number;
} {
  const sum = (lines: Record<string, number>) =>
    Object.values(lines).reduce((total, bytes) => total + bytes, 0);
  return { sent: sum(wire.headersSent), received: sum(wire.headersReceived) };
}

/**
 * A node:http client that says what each exchange cost on the wire. Its own keep-alive agent
 * (one connection unless told otherwise) so that nothing else ever writes on its sockets: the
 * socket's bytesWritten/bytesRead since the previous exchange on that socket ended are exactly
 * this exchange's (HTTP/1.1 without pipelining: one exchange at a time per connection).
 */
export class WireClient {
  private readonly agent: Agent;
  private readonly countedHeaders: Set<string>;
  /** Per socket, its totals when its previous exchange ended. */
  private readonly accounted = new WeakMap<
    Socket,
    { written: number; read: number }
  >();

  constructor(options: { maxSockets?: number; countHeaders?: string[] } = {}) {
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: options.maxSockets ?? 1,
    });
    this.countedHeaders = new Set(
      (options.countHeaders ?? CREDENTIAL_HEADERS).map((name) =>
        name.toLowerCase(),
      ),
    );
  }

  /**
   * Headers go out as given (names keep their case; Node adds Host and Connection unless they
   * are given); a body gets its Content-Length. Rejects on no answer (refused, reset, timeout).
   */
  request(url: string, options: WireRequest = {}): Promise<WireResponse> {
    const payload =
      options.body === undefined ? undefined : Buffer.from(options.body);
    const headers = { ...options.headers };
    if (
      payload &&
      !Object.keys(headers).some(
        (name) => name.toLowerCase() === 'content-length',
      )
    )
      headers['content-length'] = String(payload.length);
    const headersSent = this.linesOf(Object.entries(headers));
    return new Promise((resolve, reject) => {
      let socket: Socket | undefined;
      const outgoing = request(
        url,
        {
          method: options.method ?? 'GET',
          headers,
          agent: this.agent,
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          // Runs before the socket can carry the next exchange (that is written on a later tick).
          response.on('end', () => {
            const raw = response.rawHeaders;
            const pairs: Array<[string, string]> = [];
            for (let index = 0; index < raw.length; index += 2)
              pairs.push([raw[index], raw[index + 1]]);
            const setCookie = response.headers['set-cookie'] ?? [];
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              setCookies: setCookie,
              text: Buffer.concat(chunks).toString('utf8'),
              wire: {
                ...this.take(socket ?? response.socket),
                headersSent,
                headersReceived: this.linesOf(pairs),
              },
            });
          });
        },
      );
      outgoing.on('socket', (assigned) => (socket = assigned));
      outgoing.on('error', reject);
      outgoing.end(payload);
    });
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  private take(socket: Socket): { sent: number; received: number } {
    const before = this.accounted.get(socket) ?? { written: 0, read: 0 };
    const now = { written: socket.bytesWritten, read: socket.bytesRead };
    this.accounted.set(socket, now);
    return {
      sent: now.written - before.written,
      received: now.read - before.read,
    };
  }

  private linesOf(pairs: Array<[string, string]>): Record<string, number> {
    const lines: Record<string, number> = {};
    for (const [name, value] of pairs) {
      const key = name.toLowerCase();
      if (this.countedHeaders.has(key))
        lines[key] = (lines[key] ?? 0) + headerLineBytes(name, value);
    }
    return lines;
  }
}
