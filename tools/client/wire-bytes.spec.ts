import { createServer, type Server, type Socket } from 'node:net';
import { freePort } from '../lab/free-port';
import { countedBytes, headerLineBytes, WireClient } from './wire-bytes';

/**
 * A raw TCP server that speaks just enough HTTP/1.1: it keeps every request's exact bytes as
 * they arrived and answers each with a response written byte for byte by the test. Nothing in
 * it comes from node:http, so the sizes the tests expect are computed independently of it.
 */
class RawHttpServer {
  readonly requests: Buffer[] = [];
  connections = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly answer: (request: Buffer) => string) {
    this.server = createServer((socket) => {
      this.connections += 1;
      this.sockets.add(socket);
      let pending = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        for (;;) {
          const end = pending.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = pending.subarray(0, end).toString('latin1');
          const length = Number(
            /\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0,
          );
          const total = end + 4 + length;
          if (pending.length < total) return;
          const request = pending.subarray(0, total);
          pending = pending.subarray(total);
          this.requests.push(request);
          socket.write(this.answer(request), 'latin1');
        }
      });
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async listen(): Promise<number> {
    const port = await freePort();
    await new Promise<void>((resolve) =>
      this.server.listen(port, '127.0.0.1', resolve),
    );
    return port;
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const bytes = (text: string) => Buffer.byteLength(text, 'latin1');

const COOKIE_LINE =
  'Set-Cookie: cart_sid=s%3AabcDEF.signature123; Path=/cart; HttpOnly; SameSite=Lax\r\n';
const JSON_RESPONSE =
  'HTTP/1.1 200 OK\r\n' +
  'Content-Type: application/json; charset=utf-8\r\n' +
  COOKIE_LINE +
  'Content-Length: 11\r\n' +
  'Connection: keep-alive\r\n' +
  '\r\n' +
  '{"ok":true}';
const CHUNKED_RESPONSE =
  'HTTP/1.1 200 OK\r\n' +
  'Transfer-Encoding: chunked\r\n' +
  '\r\n' +
  '5\r\nhello\r\n' +
  '6\r\n world\r\n' +
  '0\r\n\r\n';

describe('WireClient: bytes on the socket', () => {
  let server: RawHttpServer;
  let client: WireClient;
  let port: number;
  let response = JSON_RESPONSE;

  beforeEach(async () => {
    response = JSON_RESPONSE;
    server = new RawHttpServer(() => response);
    port = await server.listen();
    client = new WireClient();
  });
  afterEach(async () => {
    client.close();
    await server.close();
  });

  /** Every header given, so that the request's exact bytes are known before it is sent. */
  const requestText = (
    method: string,
    path: string,
    headers: Array<[string, string]>,
    body = '',
  ) =>
    `${method} ${path} HTTP/1.1\r\n` +
    headers.map(([name, value]) => `${name}: ${value}\r\n`).join('') +
    '\r\n' +
    body;

  it('counts request line + headers + body sent, and status line + headers + body received, exactly', async () => {
    const body = '{"items":[{"sku":"americano","qty":2}],"payment":"card"}';
    const headers: Array<[string, string]> = [
      ['host', `127.0.0.1:${port}`],
      ['connection', 'keep-alive'],
      ['content-type', 'application/json'],
      ['content-length', String(bytes(body))],
      [
        'authorization',
        'Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln',
      ],
    ];
    const expected = requestText('POST', '/orders?x=1', headers, body);

    const answer = await client.request(`http://127.0.0.1:${port}/orders?x=1`, {
      method: 'POST',
      headers: Object.fromEntries(headers),
      body,
    });

    // The text the test wrote is what went out: the server received exactly it.
    expect(
      server.requests.map((request) => request.toString('latin1')),
    ).toEqual([expected]);
    expect(answer.wire.sent).toBe(bytes(expected));
    expect(answer.wire.received).toBe(bytes(JSON_RESPONSE));
    expect(answer.status).toBe(200);
    expect(answer.text).toBe('{"ok":true}');
  });

  it('counts each exchange of a kept-alive connection on its own, chunk framing included', async () => {
    const headers: Array<[string, string]> = [
      ['host', `127.0.0.1:${port}`],
      ['connection', 'keep-alive'],
      ['cookie', 'cart_sid=s%3AabcDEF.signature123'],
    ];
    const url = `http://127.0.0.1:${port}/cart`;
    const first = await client.request(url, {
      headers: Object.fromEntries(headers),
    });
    response = CHUNKED_RESPONSE;
    const second = await client.request(url, {
      headers: Object.fromEntries(headers),
    });

    expect(server.connections).toBe(1);
    const expected = bytes(requestText('GET', '/cart', headers));
    expect([first.wire.sent, second.wire.sent]).toEqual([expected, expected]);
    expect([first.wire.received, second.wire.received]).toEqual([
      bytes(JSON_RESPONSE),
      bytes(CHUNKED_RESPONSE),
    ]);
    expect(second.text).toBe('hello world');
  });

  it("gives the credential's share as exactly its header line: the same request without it is that much shorter", async () => {
    const url = `http://127.0.0.1:${port}/orders`;
    const token =
      'eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
    const cookie = 'cart_sid=s%3AabcDEF.signature123';
    const bare = await client.request(url);
    const withToken = await client.request(url, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const withCookie = await client.request(url, {
      headers: { Cookie: cookie },
    });

    const tokenLine = bytes(`Authorization: Bearer ${token}\r\n`);
    const cookieLine = bytes(`Cookie: ${cookie}\r\n`);
    expect(withToken.wire.headersSent).toEqual({ authorization: tokenLine });
    expect(withToken.wire.sent - bare.wire.sent).toBe(tokenLine);
    expect(withCookie.wire.headersSent).toEqual({ cookie: cookieLine });
    expect(withCookie.wire.sent - bare.wire.sent).toBe(cookieLine);
    expect(bare.wire.headersSent).toEqual({});
    // Received: the Set-Cookie line as the server wrote it, case and all.
    expect(withCookie.wire.headersReceived).toEqual({
      'set-cookie': bytes(COOKIE_LINE),
    });
    expect(countedBytes(withCookie.wire)).toEqual({
      sent: cookieLine,
      received: bytes(COOKIE_LINE),
    });
    expect(headerLineBytes('Cookie', cookie)).toBe(cookieLine);
  });
});
