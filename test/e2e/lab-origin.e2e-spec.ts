/// <reference lib="dom" />
// The page.evaluate callback below runs in the browser.
import { execFile, spawn } from 'node:child_process';
import {
  createServer,
  request as httpRequest,
  type OutgoingHttpHeaders,
  type Server,
} from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { Dashboard } from '../../tools/dashboard/dashboard';
import { LocalDriver } from '../../tools/drivers/local-driver';
import { freePort } from '../../tools/lab/free-port';
import { LocalStack } from '../../tools/lab/local-stack';
import { launchChromium } from '../support/browser';

const ROOT = join(__dirname, '..', '..');
const execFileAsync = promisify(execFile);
const KILL_ONE_OF_EACH = JSON.stringify({ oneOfEach: true, grace: 0 });

interface Answer {
  status: number;
  type: string | undefined;
  body: unknown;
}

/**
 * One request exactly as written: fetch would not let a test set `Host`, `Origin` or
 * `Sec-Fetch-Site`, nor send a path it has not normalised. An event stream is cut after its head.
 */
function send(
  url: string,
  method: string,
  path: string,
  headers: OutgoingHttpHeaders = {},
  body?: string,
): Promise<Answer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: hostname, port, method, path, headers },
      (response) => {
        const type = response.headers['content-type'];
        if (type?.startsWith('text/event-stream')) {
          response.destroy();
          return resolve({ status: response.statusCode ?? 0, type, body: '' });
        }
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: the test says what it expected
          }
          resolve({ status: response.statusCode ?? 0, type, body: parsed });
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

const jsonError = (statusCode: number, message: RegExp) => ({
  status: statusCode,
  type: expect.stringMatching(/^application\/json/),
  body: {
    statusCode,
    error: expect.any(String),
    message: expect.stringMatching(message),
  },
});

/**
 * The lab API and the dashboard answer the stack's own origin only: a page on any other site
 * (or one that rebinds its DNS name to 127.0.0.1) must not kill, scale or reconfigure anything.
 */
describe('the lab API and dashboard answer only the stack they belong to', () => {
  let stack: LocalStack;
  let browser: Browser | undefined;
  let address: string;

  beforeAll(async () => {
    stack = await LocalStack.start({
      labPort: 0,
      replicas: { auth: 1, order: 1, cart: 1, 'cart-legacy': 1 },
    });
    Dashboard.mount(stack, { virtualUsers: 0 });
    address = new URL(stack.url).host;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** Every pod of the stack and whether it still runs: what an attack would change. */
  const pods = () =>
    stack.supervisor
      .listPods()
      .map((pod) => `${pod.name} ${pod.status}`)
      .sort();
  const settle = () => new Promise((resolve) => setTimeout(resolve, 500));

  it('a cross-site "simple" POST of text/plain to /_lab/kills is refused and kills no pod', async () => {
    const before = pods();
    const fromAPage = await send(
      stack.url,
      'POST',
      '/_lab/kills',
      {
        'content-type': 'text/plain;charset=UTF-8',
        origin: 'http://evil.example',
        'sec-fetch-site': 'cross-site',
        'sec-fetch-mode': 'no-cors',
      },
      KILL_ONE_OF_EACH,
    );
    expect(fromAPage).toEqual(jsonError(403, /origin/i));
    // With no browser headers at all (curl), text/plain is still not JSON.
    const plain = await send(
      stack.url,
      'POST',
      '/_lab/kills',
      { 'content-type': 'text/plain' },
      KILL_ONE_OF_EACH,
    );
    expect(plain).toEqual(jsonError(415, /application\/json/));
    const form = await send(
      stack.url,
      'PATCH',
      '/_lab/gateway',
      { 'content-type': 'application/x-www-form-urlencoded' },
      '{"legacyCartAffinity":false}',
    );
    expect(form).toEqual(jsonError(415, /application\/json/));
    await settle();
    expect(pods()).toEqual(before);
    expect(stack.gatewaySettings.legacyCartAffinity).toBe(true);
  });

  it('a page on another site, in Chromium, cannot kill pods, scale or switch affinity off', async () => {
    const before = pods();
    // The attacker's page: another origin (localhost is another site than 127.0.0.1).
    const evilPort = await freePort();
    const evil: Server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<!doctype html><title>cat pictures</title>');
    });
    await new Promise<void>((resolve) =>
      evil.listen(evilPort, '127.0.0.1', resolve),
    );
    try {
      browser = await launchChromium();
      const page = await browser.newPage();
      await page.goto(`http://localhost:${evilPort}/`);
      const outcomes = await page.evaluate(
        async ({ lab, kill }) => {
          const attempts: Array<[string, RequestInit]> = [
            // "Simple" requests: no preflight, the browser sends them as they are.
            [
              `${lab}/_lab/kills`,
              {
                method: 'POST',
                mode: 'no-cors',
                headers: { 'content-type': 'text/plain' },
                body: kill,
              },
            ],
            [`${lab}/_lab/you/reset`, { method: 'POST', mode: 'no-cors' }],
            // Preflighted: the OPTIONS is refused, so the PATCH is never sent.
            [
              `${lab}/_lab/gateway`,
              {
                method: 'PATCH',
                headers: { 'content-type': 'application/json' },
                body: '{"legacyCartAffinity":false}',
              },
            ],
          ];
          return Promise.all(
            attempts.map(([url, init]) =>
              fetch(url, init).then(
                (response) => response.type,
                (error: Error) => error.name,
              ),
            ),
          );
        },
        { lab: stack.url, kill: KILL_ONE_OF_EACH },
      );
      expect(outcomes).toEqual(['opaque', 'opaque', 'TypeError']);
      await page.close();
    } finally {
      evil.closeAllConnections();
      await new Promise((resolve) => evil.close(resolve));
    }
    await settle();
    expect(pods()).toEqual(before);
    expect(stack.gatewaySettings.legacyCartAffinity).toBe(true);
  }, 60_000);

  it('Host: evil.example (DNS rebinding) gets 421 on every lab and dashboard route; the product routes still answer', async () => {
    const before = pods();
    const victim = stack.supervisor.listPods('order')[0].name;
    const rebound = {
      host: 'evil.example',
      'content-type': 'application/json',
    };
    const cases: Array<[string, string, string?]> = [
      ['GET', '/_lab/pods'],
      ['GET', '/_lab/apps'],
      ['GET', '/_lab/gateway'],
      ['GET', '/_lab/ui'],
      ['GET', '/_lab/events'],
      ['GET', '/_lab/you'],
      ['PATCH', '/_lab/apps/order', '{"replicas":0}'],
      ['POST', '/_lab/apps/order/restart', '{}'],
      ['PATCH', '/_lab/gateway', '{"legacyCartAffinity":false}'],
      ['DELETE', `/_lab/pods/${victim}?grace=0`],
      ['POST', '/_lab/kills', KILL_ONE_OF_EACH],
      ['PUT', '/_lab/load', '{"users":20}'],
    ];
    for (const [method, path, body] of cases) {
      const answer = await send(stack.url, method, path, rebound, body);
      expect({ method, path, ...answer }).toEqual({
        method,
        path,
        ...jsonError(421, /host/i),
      });
    }
    // The port must match too: another port's name is another origin.
    const otherPort = await send(stack.url, 'GET', '/_lab/pods', {
      host: '127.0.0.1:1',
    });
    expect(otherPort).toEqual(jsonError(421, /host/i));
    // The product's API is for any client, whatever name it used.
    const menu = await send(stack.url, 'GET', '/menu', rebound);
    expect(menu.status).toBe(200);
    await settle();
    expect(pods()).toEqual(before);
    expect(stack.supervisor.replicasOf('order')).toBe(1);
    expect(stack.gatewaySettings.legacyCartAffinity).toBe(true);
  });

  it('a state-changing request from another origin or site is 403, whatever it sends', async () => {
    const before = pods();
    const victim = stack.supervisor.listPods('order')[0].name;
    const json = { 'content-type': 'application/json' };
    const cases: Array<[string, string, OutgoingHttpHeaders, string?]> = [
      [
        'PATCH',
        '/_lab/gateway',
        { ...json, origin: 'http://evil.example' },
        '{"legacyCartAffinity":false}',
      ],
      [
        'PATCH',
        '/_lab/apps/order',
        { ...json, origin: 'null' },
        '{"replicas":0}',
      ],
      [
        'POST',
        '/_lab/apps/order/restart',
        { ...json, origin: 'http://evil.example' },
        '{}',
      ],
      // localhost and 127.0.0.1 are two origins: a page must use the one it was served from.
      [
        'POST',
        '/_lab/kills',
        { ...json, origin: `http://localhost:${new URL(stack.url).port}` },
        KILL_ONE_OF_EACH,
      ],
      // Another port of 127.0.0.1 is the same site, not the same origin.
      [
        'DELETE',
        `/_lab/pods/${victim}?grace=0`,
        { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' },
      ],
      [
        'PUT',
        '/_lab/load',
        { ...json, 'sec-fetch-site': 'cross-site' },
        '{"users":20}',
      ],
      ['POST', '/_lab/you/reset', { origin: 'http://evil.example' }],
      // Opening the event stream starts the virtual users: an <img> elsewhere must not.
      [
        'GET',
        '/_lab/events',
        { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' },
      ],
    ];
    for (const [method, path, headers, body] of cases) {
      const answer = await send(stack.url, method, path, headers, body);
      expect({ method, path, headers, ...answer }).toEqual({
        method,
        path,
        headers,
        ...jsonError(403, /origin|site/i),
      });
    }
    await settle();
    expect(pods()).toEqual(before);
    expect(stack.supervisor.replicasOf('order')).toBe(1);
    expect(stack.gatewaySettings.legacyCartAffinity).toBe(true);
  });

  it('`npm run dashboard` on its own port applies the same rule', async () => {
    const before = pods();
    const port = await freePort();
    const dashboard = spawn(
      process.execPath,
      [
        ...['--import', 'tsx', 'tools/dashboard/main.ts'],
        ...['--target', 'local', '--url', stack.url, '--port', String(port)],
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      let output = '';
      await new Promise<void>((resolve, reject) => {
        const listen = (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('Ctrl-C stops it')) resolve();
        };
        dashboard.stdout.on('data', listen);
        dashboard.stderr.on('data', listen);
        dashboard.once('exit', (code) =>
          reject(new Error(`npm run dashboard exited ${code}: ${output}`)),
        );
      });
      const url = `http://127.0.0.1:${port}`;
      expect(
        await send(url, 'GET', '/_lab/ui', { host: 'evil.example' }),
      ).toEqual(jsonError(421, /host/i));
      expect(
        await send(
          url,
          'POST',
          '/_lab/kills',
          {
            'content-type': 'text/plain',
            origin: 'http://evil.example',
            'sec-fetch-site': 'cross-site',
          },
          KILL_ONE_OF_EACH,
        ),
      ).toEqual(jsonError(403, /origin/i));
      expect(
        await send(
          url,
          'POST',
          '/_lab/kills',
          { 'content-type': 'text/plain' },
          KILL_ONE_OF_EACH,
        ),
      ).toEqual(jsonError(415, /application\/json/));
      expect(
        await send(
          url,
          'PUT',
          '/_lab/load',
          { 'content-type': 'application/json' },
          '{"users":0}',
        ),
      ).toMatchObject({ status: 200, body: { users: 0 } });
      await settle();
      expect(pods()).toEqual(before);
    } finally {
      if (dashboard.exitCode === null) dashboard.kill('SIGKILL');
    }
  }, 60_000);

  it('the stack itself still drives it: its own page, the driver and the CLI', async () => {
    const port = new URL(stack.url).port;
    for (const host of [address, `localhost:${port}`]) {
      const switched = await send(
        stack.url,
        'PATCH',
        '/_lab/gateway',
        {
          host,
          origin: `http://${host}`,
          'sec-fetch-site': 'same-origin',
          'sec-fetch-mode': 'cors',
          'content-type': 'application/json; charset=utf-8',
        },
        '{"legacyCartAffinity":false}',
      );
      expect({ host, ...switched }).toEqual({
        host,
        status: 200,
        type: expect.stringMatching(/^application\/json/),
        body: { legacyCartAffinity: false },
      });
      stack.gatewaySettings.legacyCartAffinity = true;
    }
    // A link from elsewhere to the page is a navigation: it opens the dashboard.
    const linked = await send(stack.url, 'GET', '/_lab/ui', {
      'sec-fetch-site': 'cross-site',
      'sec-fetch-mode': 'navigate',
    });
    expect(linked.status).toBe(200);

    const driver = LocalDriver.attach(stack.url);
    await driver.setLegacyCartAffinity(false);
    expect(stack.gatewaySettings.legacyCartAffinity).toBe(false);
    await driver.setLegacyCartAffinity(true);
    expect((await driver.listPods('order')).length).toBe(1);

    const cli = (...args: string[]) =>
      execFileAsync(
        process.execPath,
        ['--import', 'tsx', 'tools/lab/cli.ts', ...args],
        { cwd: ROOT, env: { ...process.env, LAB_URL: stack.url } },
      );
    expect((await cli('get', 'pods')).stdout).toMatch(/^NAME\s+READY/);
    await cli('scale', 'order', '--replicas=2');
    expect(stack.supervisor.replicasOf('order')).toBe(2);
    await cli('scale', 'order', '--replicas=1');
    const legacy = stack.supervisor.listPods('cart-legacy')[0].name;
    const deletion = await cli('delete', 'pod', legacy, '--grace-period=0');
    expect(deletion.stdout).toContain(`pod "${legacy}" deleted`);
    expect(stack.supervisor.find(legacy)).toBeUndefined();
  }, 60_000);

  it('a malformed path is a 400 JSON error, never a 500 with the error text', async () => {
    expect(
      await send(stack.url, 'DELETE', '/_lab/pods/%E0%A4%A?grace=0'),
    ).toEqual(jsonError(400, /path|encoded/i));
    // A path the URL parser reads as a host (`//[`) is a path that names no route.
    expect(await send(stack.url, 'GET', '//[')).toEqual(
      jsonError(404, /no route/),
    );
    expect(await send(stack.url, 'OPTIONS', '*')).toEqual(
      jsonError(400, /path/),
    );
  });
});
