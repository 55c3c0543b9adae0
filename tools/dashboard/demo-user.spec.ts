import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import { freePort } from '../lab/free-port';
import { DemoUser } from './demo-user';

const part = (value: object) =>
  Buffer.from(JSON.stringify(value)).toString('base64url');
const TOKEN = `${part({ alg: 'ES256', kid: 'k1' })}.${part({ sub: 'alice', jti: 'j1' })}.${'s'.repeat(86)}`;
const COOKIE = 'cart_sid=s%3Asession-1.signature';
const SET_COOKIE = `${COOKIE}; Path=/cart; Expires=Wed, 02 Dec 2026 08:00:00 GMT; HttpOnly; SameSite=Lax`;
const bytes = (text: string) => Buffer.byteLength(text, 'latin1');

/**
 * An entry point that answers every route the demo user takes with a plausible body, and notes
 * for each request the bytes it took and sent — computed on the server's side of the connection:
 * the request rebuilt from its raw request line and headers plus its body; the response from the
 * server socket's bytesWritten. Neither goes through the client's counter.
 */
class FakeEntryPoint {
  readonly requested = new Map<string, number>();
  readonly answered = new Map<string, number>();
  private readonly server: Server;
  private readonly written = new WeakMap<Socket, number>();

  constructor() {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => this.answer(request, response, chunks));
    });
  }

  async listen(): Promise<string> {
    const port = await freePort();
    await new Promise<void>((resolve) =>
      this.server.listen(port, '127.0.0.1', resolve),
    );
    return `http://127.0.0.1:${port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private answer(
    request: IncomingMessage,
    response: ServerResponse,
    chunks: Buffer[],
  ) {
    const path = (request.url ?? '/').split('?')[0];
    const name = `${request.method} ${path}`;
    const raw = request.rawHeaders;
    let head = `${request.method} ${request.url} HTTP/${request.httpVersion}\r\n`;
    for (let index = 0; index < raw.length; index += 2)
      head += `${raw[index]}: ${raw[index + 1]}\r\n`;
    this.requested.set(
      name,
      bytes(`${head}\r\n`) + Buffer.concat(chunks).length,
    );
    const cart = {
      user: 'alice',
      items: [],
      total: 0,
      payment: null,
      sessionCreatedBy: 'cart-a',
    };
    const bodies: Record<string, unknown> = {
      'POST /auth/login': { access_token: TOKEN, refresh_token: 'r' },
      'POST /orders': { id: 'order-1', total: 9000 },
      'GET /orders': [],
    };
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-pod-name': 'pod-a',
    };
    // The Redis cart renews its cookie on every answer (rolling), as the real one does.
    if (path.startsWith('/cart')) headers['Set-Cookie'] = SET_COOKIE;
    response.writeHead(200, headers);
    response.end(JSON.stringify(bodies[name] ?? cart));
    const socket = response.socket as Socket;
    response.once('finish', () => {
      const before = this.written.get(socket) ?? 0;
      this.written.set(socket, socket.bytesWritten);
      this.answered.set(name, socket.bytesWritten - before);
    });
  }
}

describe('the "you" panel: what your last requests carried', () => {
  let entryPoint: FakeEntryPoint;
  let you: DemoUser;

  beforeEach(async () => {
    entryPoint = new FakeEntryPoint();
    you = new DemoUser(await entryPoint.listen(), 'alice', 'alice');
  });
  afterEach(async () => {
    you.close();
    await entryPoint.close();
  });

  it('splits the last token request and the last cookie request into the credential line and the rest, as the server received them', async () => {
    const view = await you.refresh();

    const tokenLine = bytes(`authorization: Bearer ${TOKEN}\r\n`);
    const cookieLine = bytes(`cookie: ${COOKIE}\r\n`);
    expect(view.carried.token).toEqual({
      request: 'GET /orders',
      sent: entryPoint.requested.get('GET /orders'),
      credential: tokenLine,
      rest: (entryPoint.requested.get('GET /orders') as number) - tokenLine,
      received: entryPoint.answered.get('GET /orders'),
      credentialReceived: 0,
    });
    expect(view.carried.cookie).toEqual({
      request: 'GET /cart',
      sent: entryPoint.requested.get('GET /cart'),
      credential: cookieLine,
      rest: (entryPoint.requested.get('GET /cart') as number) - cookieLine,
      received: entryPoint.answered.get('GET /cart'),
      credentialReceived: bytes(`Set-Cookie: ${SET_COOKIE}\r\n`),
    });
  });

  it('counts again after "Start over" (a new login on new connections)', async () => {
    await you.refresh();
    const view = await you.reset();
    expect(view.state).toBe('ready');
    expect(view.carried.token).toMatchObject({
      sent: entryPoint.requested.get('GET /orders'),
      credential: bytes(`authorization: Bearer ${TOKEN}\r\n`),
    });
  });
});
