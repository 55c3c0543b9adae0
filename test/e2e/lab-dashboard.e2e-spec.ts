/// <reference lib="dom" />
// The page.evaluate callbacks below run in the browser.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { Dashboard } from '../../tools/dashboard/dashboard';
import { LocalStack } from '../../tools/lab/local-stack';
import { launchChromium } from '../support/browser';
import { secretsIn } from '../support/secrets-in-logs';

const ROOT = join(__dirname, '..', '..');
const LEGACY = '[data-cart="/legacy-cart"]';
const REDIS = '[data-cart="/cart"]';

/** The live lab dashboard, as a person uses it: Chromium on `GET /_lab/ui` of a local stack. */
describe('the lab dashboard (GET /_lab/ui)', () => {
  let stack: LocalStack;
  let browser: Browser | undefined;
  // Passwords nothing else in the logs could contain, so the secret scan below means something.
  const passwords = { alice: 'alice-pw-d4sh8q', bob: 'bob-pw-d4sh5z' };

  beforeAll(async () => {
    stack = await LocalStack.start({
      labPort: 0,
      replicas: { auth: 1, order: 2, cart: 2, 'cart-legacy': 2 },
      users: `alice:${passwords.alice},bob:${passwords.bob}`,
    });
    Dashboard.mount(stack, { virtualUsers: 2 });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const lab = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.url}/_lab/${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      body: (await response.json()) as Record<string, unknown>,
    };
  };

  it('answers bad input to its routes with a 4xx JSON error', async () => {
    const cases: Array<[string, string, unknown, number, RegExp]> = [
      ['PUT', 'load', { users: -1 }, 400, /users must be an integer/],
      ['PUT', 'load', { users: 'many' }, 400, /users must be an integer/],
      ['POST', 'kills', { pod: 'x' }, 400, /grace must be a whole number/],
      ['POST', 'kills', { grace: 0 }, 400, /say which/],
      ['POST', 'kills', { pod: 'x', oneOfEach: true, grace: 0 }, 400, /which/],
      ['POST', 'kills', { pod: 'no-such-pod', grace: 0 }, 404, /no running/],
      ['POST', 'kills', [1], 400, /JSON object/],
      ['DELETE', 'load', undefined, 405, /use GET or PUT/],
      ['GET', 'ui/../../package.json', undefined, 404, /no route|no file/],
      ['GET', 'ui/secrets.js', undefined, 404, /no file/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const answer = await lab(method, path, body);
      expect({ method, path, status: answer.status }).toEqual({
        method,
        path,
        status,
      });
      expect(answer.type).toMatch(/^application\/json/);
      expect(answer.body).toEqual({
        statusCode: status,
        error: expect.any(String),
        message: expect.stringMatching(message),
      });
    }
    const malformed = await fetch(`${stack.url}/_lab/kills`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(malformed.status).toBe(400);
    const notJson = await fetch(`${stack.url}/_lab/kills`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ oneOfEach: true, grace: 0 }),
    });
    expect(notJson.status).toBe(415);
  });

  it('shows both carts, kills the pod holding the legacy session, and the legacy cart alone is lost', async () => {
    browser = await launchChromium();
    const page = await browser.newPage({
      viewport: { width: 1280, height: 800 },
    });
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(`${stack.url}/_lab/ui`);

    // The "you" panel fills itself: both carts with their items, an order.
    await page.waitForSelector(`${LEGACY}[data-state="kept"] li`);
    await page.waitForSelector(`${REDIS}[data-state="kept"] li`);
    await page.waitForSelector('#orders li[data-order-id]');
    const orderIds = await page.$$eval('#orders li', (items) =>
      items.map((item) => item.getAttribute('data-order-id')),
    );
    // What your last requests carried: the credential and the rest add up to what was sent,
    // as the "you" API says (counted on the socket in the lab process), and the token's line
    // outweighs the cookie's.
    await page.waitForSelector('#carried [data-kind="cookie"][data-sent]');
    const carried = await page.$$eval('#carried [data-sent]', (entries) =>
      entries.map((entry) => ({
        kind: entry.getAttribute('data-kind'),
        sent: Number(entry.getAttribute('data-sent')),
        credential: Number(entry.getAttribute('data-credential')),
        rest: Number(entry.getAttribute('data-rest')),
        text: entry.textContent,
      })),
    );
    expect(carried.map((entry) => entry.kind)).toEqual(['token', 'cookie']);
    for (const entry of carried) {
      expect(entry.credential + entry.rest).toBe(entry.sent);
      expect(entry.text).toContain(`${entry.credential} B`);
    }
    const [token, cookie] = carried;
    expect(token.credential).toBeGreaterThan(cookie.credential);
    const api = (await lab('GET', 'you', undefined)).body as {
      carried: { token: { credential: number } };
    };
    expect(api.carried.token.credential).toBe(token.credential);

    // The pod card that holds the legacy session says so, and names the same pod as the panel.
    const holder = await page.getAttribute(
      '[data-holds-legacy-cart]',
      'data-pod-name',
    );
    expect(holder).toMatch(/^cart-legacy-/);
    expect(
      await page.getAttribute(`${LEGACY} [data-role=kill-holder]`, 'data-pod'),
    ).toBe(holder);
    expect(stack.supervisor.find(holder as string)).toBeDefined();
    // One column per app, each with its live chart (uPlot draws on a canvas).
    for (const app of ['auth', 'order', 'cart', 'cart-legacy']) {
      expect(
        await page.locator(`.app[data-app="${app}"] canvas`).count(),
      ).toBeGreaterThan(0);
    }

    await page.click(`[data-pod-name="${holder}"] button[data-grace="0"]`);

    await page.waitForSelector(`${LEGACY}[data-state="lost"]`, {
      timeout: 15_000,
    });
    expect(await page.textContent(`${LEGACY} [data-role=state]`)).toMatch(
      /Lost/,
    );
    expect(await page.locator(`${LEGACY} li`).count()).toBe(0);
    // The Redis cart still lists its items, the orders are all still there.
    expect(await page.getAttribute(REDIS, 'data-state')).toBe('kept');
    expect(await page.locator(`${REDIS} li`).allTextContents()).toEqual([
      expect.stringMatching(/^2 × Americano/),
      expect.stringMatching(/^1 × Caffè latte/),
    ]);
    expect(
      await page.$$eval('#orders li', (items) =>
        items.map((item) => item.getAttribute('data-order-id')),
      ),
    ).toEqual(expect.arrayContaining(orderIds));
    expect(await page.textContent('#activity')).toMatch(
      /Your legacy cart is LOST/,
    );
    expect(stack.supervisor.find(holder as string)).toBeUndefined();

    // The replacement shows up as a new card and gets ready; the killed one is gone.
    await page.waitForFunction(
      (victim) => {
        const cards = [
          ...document.querySelectorAll('.pod[data-app="cart-legacy"]'),
        ];
        return (
          cards.length === 2 &&
          cards.every(
            (card) =>
              card.getAttribute('data-pod-name') !== victim &&
              card.getAttribute('data-ready') === 'true',
          )
        );
      },
      holder,
      { timeout: 15_000 },
    );

    // Plain and accessible: real buttons with names, status in words, a live region, no overflow.
    const page_ = await page.evaluate(() => ({
      unnamedButtons: [...document.querySelectorAll('button')].filter(
        (button) =>
          !button.hidden &&
          !(button.getAttribute('aria-label') || button.textContent?.trim()),
      ).length,
      clickableNonButtons: document.querySelectorAll(
        '[onclick], div[role=button]',
      ).length,
      statuses: [...document.querySelectorAll('.pod [data-role=status]')].map(
        (status) => status.textContent,
      ),
      liveRegion: document.querySelector('[aria-live]')?.id,
    }));
    expect(page_.unnamedButtons).toBe(0);
    expect(page_.clickableNonButtons).toBe(0);
    expect(page_.statuses.length).toBeGreaterThan(5);
    page_.statuses.forEach((status) =>
      expect(status).toMatch(/Ready|Not ready|Terminating|Restarting/),
    );
    expect(page_.liveRegion).toBe('activity');

    mkdirSync(join(ROOT, 'reports'), { recursive: true });
    await page.screenshot({
      path: join(ROOT, 'reports', 'lab-dashboard.png'),
      fullPage: true,
    });

    // Laptop to phone width: no sideways scrolling.
    await page.setViewportSize({ width: 700, height: 900 });
    expect(
      await page.evaluate(
        () => document.documentElement.scrollWidth <= window.innerWidth,
      ),
    ).toBe(true);

    // Nothing from outside the stack: no font, script, stylesheet or image from anywhere else.
    expect(
      requested.filter(
        (url) => !url.startsWith(`${stack.url}/`) && !url.startsWith('data:'),
      ),
    ).toEqual([]);
    expect(requested).toEqual(
      expect.arrayContaining([
        `${stack.url}/_lab/ui/vendor/uPlot.iife.min.js`,
        `${stack.url}/_lab/events`,
      ]),
    );
    await page.close();
  }, 60_000);

  it('leaves no token, session cookie or password in any pod log', () => {
    const lines = readdirSync(stack.logDirectory).flatMap((file) =>
      readFileSync(join(stack.logDirectory, file), 'utf8')
        .split('\n')
        .filter(Boolean),
    );
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.flatMap(secretsIn).slice(0, 3)).toEqual([]);
    const leaks = lines.filter((line) =>
      Object.values(passwords).some((password) => line.includes(password)),
    );
    expect(leaks.slice(0, 3)).toEqual([]);
  });
});
