import { createServer, type Server } from 'node:http';
import type { ClusterDriver, PodSummary } from '../drivers/cluster-driver';
import { freePort } from '../lab/free-port';
import { accountsOf, Dashboard } from './dashboard';
import { decodeJwt } from './demo-user';

const pod = (
  name: string,
  app: string,
  extra: Partial<PodSummary> = {},
): PodSummary => ({
  name,
  app,
  ready: true,
  restarts: 0,
  startedAt: '2026-11-27T00:00:00.000Z',
  status: 'Running',
  ...extra,
});

/** A cluster that only answers the driver's calls: no stack, no traffic. */
class FakeCluster implements ClusterDriver {
  readonly target = 'k8s';
  readonly baseUrl = 'http://127.0.0.1:1';
  readonly deleted: Array<[string, number]> = [];
  pods = [
    pod('redis-0', 'redis'),
    pod('auth-a', 'auth', { status: 'Terminating', ready: false }),
    pod('auth-b', 'auth'),
    pod('order-a', 'order', { ready: false }),
    pod('order-b', 'order'),
    pod('cart-a', 'cart'),
    pod('cart-legacy-a', 'cart-legacy'),
    pod('cart-legacy-b', 'cart-legacy'),
  ];
  async listPods(app?: string) {
    return this.pods.filter((candidate) => !app || candidate.app === app);
  }
  async deletePod(name: string, grace: number) {
    this.deleted.push([name, grace]);
  }
  readonly restarted: string[] = [];
  readonly scaled: Array<[string, number]> = [];
  async rolloutRestart(app: string) {
    this.restarted.push(app);
  }
  async scale(app: string, replicas: number) {
    this.scaled.push([app, replicas]);
  }
  readonly crashed: string[] = [];
  async killProcess(name: string) {
    this.crashed.push(name);
  }
  async waitReady() {
    return 0;
  }
  async close() {}
}

describe('the dashboard routes (against a fake cluster)', () => {
  let cluster: FakeCluster;
  let dashboard: Dashboard;
  let server: Server;
  let url: string;

  beforeEach(async () => {
    cluster = new FakeCluster();
    dashboard = new Dashboard({
      driver: cluster,
      demoUser: { username: 'alice', password: 'x' },
      loadUser: { username: 'bob', password: 'y' },
    });
    server = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      if (!(await dashboard.handle(request, response, Buffer.concat(chunks))))
        response.writeHead(418).end();
    });
    const port = await freePort();
    await new Promise<void>((resolve) =>
      server.listen(port, '127.0.0.1', resolve),
    );
    url = `http://127.0.0.1:${port}`;
  });
  afterEach(async () => {
    await dashboard.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const post = (path: string, body: unknown) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('kills one running, ready pod of each app, never Redis, through the driver', async () => {
    const response = await post('/_lab/kills', { oneOfEach: true, grace: 0 });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({
      killed: ['auth-b', 'order-b', 'cart-a', 'cart-legacy-a'],
      grace: 0,
    });
    expect(cluster.deleted).toEqual([
      ['auth-b', 0],
      ['order-b', 0],
      ['cart-a', 0],
      ['cart-legacy-a', 0],
    ]);
  });

  it('deletes one pod with its grace period, and says 404 for a pod that is not running', async () => {
    expect(
      (await post('/_lab/kills', { pod: 'order-a', grace: 10 })).status,
    ).toBe(202);
    expect(cluster.deleted).toEqual([['order-a', 10]]);
    const missing = await post('/_lab/kills', { pod: 'auth-a', grace: 0 });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'no running pod "auth-a"',
    });
  });

  it('kills the process of one pod with "process": true (kill -9, restarted in place), and refuses it otherwise', async () => {
    const response = await post('/_lab/kills', {
      pod: 'redis-0',
      grace: 0,
      process: true,
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({
      killed: ['redis-0'],
      grace: 0,
      process: true,
    });
    expect(cluster.crashed).toEqual(['redis-0']);
    expect(cluster.deleted).toEqual([]);
    for (const body of [
      { pod: 'redis-0', grace: 10, process: true },
      { pod: 'redis-0', grace: 0, process: 'yes' },
      { oneOfEach: true, grace: 0, process: true },
    ]) {
      const refused = await post('/_lab/kills', body);
      expect({ body, status: refused.status }).toEqual({ body, status: 400 });
    }
    expect(cluster.crashed).toEqual(['redis-0']);
  });

  it('"Deploy a new version" and "Scale in" go through the driver, for the story\'s Deployments only', async () => {
    expect((await post('/_lab/deploys', { app: 'cart-legacy' })).status).toBe(
      202,
    );
    expect(
      (await post('/_lab/scales', { app: 'order', replicas: 1 })).status,
    ).toBe(200);
    expect(cluster.restarted).toEqual(['cart-legacy']);
    expect(cluster.scaled).toEqual([['order', 1]]);
    for (const [path, body] of [
      ['/_lab/deploys', { app: 'redis' }],
      ['/_lab/scales', { app: 'redis', replicas: 1 }],
      ['/_lab/scales', { app: 'order', replicas: 0 }],
      ['/_lab/scales', { app: 'order', replicas: 2.5 }],
      ['/_lab/scales', { app: 'order', replicas: 11 }],
    ] as const) {
      const refused = await post(path, body);
      expect({ path, body, status: refused.status }).toEqual({
        path,
        body,
        status: 400,
      });
      expect(await refused.json()).toMatchObject({
        statusCode: 400,
        error: 'Bad Request',
      });
    }
    const plain = await fetch(`${url}/_lab/deploys`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ app: 'order' }),
    });
    expect(plain.status).toBe(415);
    expect(cluster.restarted).toEqual(['cart-legacy']);
    expect(cluster.scaled).toEqual([['order', 1]]);
  });

  it('says the Redis roles are unknown when the driver cannot ask the nodes (a k8s driver), rather than guessing', async () => {
    const controller = new AbortController();
    const events = await fetch(`${url}/_lab/events`, {
      signal: controller.signal,
    });
    const reader = (events.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!/event: state\ndata: .*\n\n/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
    controller.abort();
    const state = JSON.parse(
      /event: state\ndata: (.*)\n\n/.exec(text)?.[1] ?? '{}',
    ) as { redis: Record<string, unknown>; pods: Array<{ name: string }> };
    expect(state.pods.map((one) => one.name)).toContain('redis-0');
    expect(state.redis).toMatchObject({
      available: false,
      reason: expect.stringMatching(
        /^the k8s driver cannot ask the Redis pods for their roles/,
      ),
      nodes: [],
      sentinels: [],
      failovers: [],
    });
    expect(state.redis.primary).toBeUndefined();
  });

  it('takes a load setting with no page open without starting any user', async () => {
    const response = await fetch(`${url}/_lab/load`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ users: 7 }),
    });
    expect(await response.json()).toEqual({ users: 7, running: 0, max: 20 });
  });

  it('takes JSON bodies as application/json only: a text/plain kill (a cross-site form can send one) deletes nothing', async () => {
    for (const type of [
      undefined,
      'text/plain',
      'application/x-www-form-urlencoded',
    ]) {
      const response = await fetch(`${url}/_lab/kills`, {
        method: 'POST',
        headers: type ? { 'content-type': type } : {},
        body: JSON.stringify({ oneOfEach: true, grace: 0 }),
      });
      expect({ type, status: response.status }).toEqual({ type, status: 415 });
      expect(await response.json()).toEqual({
        statusCode: 415,
        error: 'Unsupported Media Type',
        message: expect.stringMatching(/application\/json/),
      });
    }
    expect(cluster.deleted).toEqual([]);
  });

  it('serves the page with a policy that forbids anything from elsewhere, and leaves other routes alone', async () => {
    const page = await fetch(`${url}/_lab/ui`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(
      /^default-src 'self'/,
    );
    const html = await page.text();
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(
      (await fetch(`${url}/_lab/ui/vendor/uPlot.iife.min.js`)).status,
    ).toBe(200);
    expect((await fetch(`${url}/_lab/pods`)).status).toBe(418);
  });
});

describe('dashboard helpers', () => {
  it('reads the JWT header and claims without verifying, and refuses what is not a JWT', () => {
    const part = (value: object) =>
      Buffer.from(JSON.stringify(value)).toString('base64url');
    const token = `${part({ alg: 'EdDSA', kid: 'k1' })}.${part({ sub: 'alice', aud: 'api' })}.signature`;
    expect(decodeJwt(token)).toEqual({
      header: { alg: 'EdDSA', kid: 'k1' },
      claims: { sub: 'alice', aud: 'api' },
    });
    expect(() => decodeJwt('a.b')).toThrow(/3 parts/);
    expect(() => decodeJwt(`${part({})}.${part([1])}.x`)).toThrow(
      /JSON object/,
    );
  });

  it('takes "you" and the virtual users from the stack users, in order', () => {
    expect(accountsOf('alice:a:b,bob:bob,carol:c')).toEqual([
      { username: 'alice', password: 'a:b' },
      { username: 'bob', password: 'bob' },
    ]);
    expect(accountsOf('solo:pw')).toEqual([
      { username: 'solo', password: 'pw' },
      { username: 'solo', password: 'pw' },
    ]);
  });
});
