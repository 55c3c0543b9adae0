import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { Dashboard } from '../../tools/dashboard/dashboard';
import { LocalStack } from '../../tools/lab/local-stack';
import { launchChromium } from '../support/browser';

const ROOT = join(__dirname, '..', '..');
const execFileAsync = promisify(execFile);

/** A new version and a scale-in, the ways people cause them: the lab CLI, the API, the dashboard. */
describe('rollout restart and scale-in on the local stack', () => {
  let stack: LocalStack;
  let browser: Browser | undefined;

  beforeAll(async () => {
    stack = await LocalStack.start({
      labPort: 0,
      replicas: { auth: 1, order: 2, cart: 1, 'cart-legacy': 2 },
    });
    Dashboard.mount(stack, { virtualUsers: 0 });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const names = (app: string) =>
    stack.supervisor
      .listPods(app)
      .filter((pod) => pod.status !== 'Terminating')
      .map((pod) => pod.name);
  const lab = (args: string[]) =>
    execFileAsync(
      process.execPath,
      ['--import', 'tsx', 'tools/lab/cli.ts', ...args],
      { cwd: ROOT, env: { ...process.env, LAB_URL: stack.url } },
    );

  it('`npm run lab -- rollout restart deployment/order` replaces every pod; `rollout status` waits for it', async () => {
    const before = names('order');
    const restarted = await lab(['rollout', 'restart', 'deployment/order']);
    expect(restarted.stdout.trim()).toBe('deployment/order restarted');
    const status = await lab(['rollout', 'status', 'deployment/order']);
    expect(status.stdout.trim()).toBe(
      'deployment "order" successfully rolled out',
    );
    const after = names('order');
    expect(after).toHaveLength(2);
    expect(after.filter((name) => before.includes(name))).toEqual([]);
    expect(stack.supervisor.readyPods('order')).toHaveLength(2);
  }, 60_000);

  it('answers bad rollout requests with a 4xx JSON error', async () => {
    const post = (path: string, type = 'application/json', body = '{}') =>
      fetch(`${stack.url}/_lab/${path}`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      }).then(async (response) => ({
        status: response.status,
        body: (await response.json()) as Record<string, unknown>,
      }));
    const cases: Array<[string, string | undefined, number, RegExp]> = [
      ['apps/order/restart', 'text/plain', 415, /application\/json/],
      ['apps/nope/restart', undefined, 404, /no app "nope"/],
      ['apps/redis/restart', undefined, 400, /StatefulSet/],
      ['apps/order/restart/now', undefined, 404, /no route/],
    ];
    for (const [path, type, status, message] of cases) {
      const answer = await post(path, type);
      expect({ path, status: answer.status }).toEqual({ path, status });
      expect(answer.body).toEqual({
        statusCode: status,
        error: expect.any(String),
        message: expect.stringMatching(message),
      });
    }
    // One rollout at a time, like a Deployment's single rollout in progress.
    expect((await post('apps/cart-legacy/restart')).status).toBe(202);
    expect(await post('apps/cart-legacy/restart')).toEqual({
      status: 409,
      body: {
        statusCode: 409,
        error: 'Conflict',
        message: 'a rollout of cart-legacy is in progress',
      },
    });
    while (stack.supervisor.isRollingOut('cart-legacy')) await sleep(100);
    const pods = await lab(['get', 'pods', '-l', 'app=cart-legacy']);
    expect(pods.stdout).toMatch(/^NAME\s+READY\s+STATUS/);
  }, 60_000);

  it('the dashboard deploys a new version and scales in from its buttons', async () => {
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`${stack.url}/_lab/ui`);
    await page.waitForSelector('.app[data-app="cart"] .pod');

    const before = names('cart');
    await page.click('.app[data-app="cart"] button[data-role=deploy]');
    await page.waitForSelector(
      '#activity li:has-text("Deploying a new version of cart")',
    );
    for (let waited = 0; waited < 30_000; waited += 100) {
      if (
        !stack.supervisor.isRollingOut('cart') &&
        names('cart').every((name) => !before.includes(name))
      )
        break;
      await sleep(100);
    }
    expect(names('cart').filter((name) => before.includes(name))).toEqual([]);

    const scale = '.app[data-app="cart-legacy"] button[data-role=scale]';
    expect(await page.textContent(scale)).toBe('Scale in');
    await page.click(scale);
    await page.waitForSelector(`${scale}:has-text("Scale out to 2")`);
    expect(stack.supervisor.replicasOf('cart-legacy')).toBe(1);
    await page.click(scale);
    await page.waitForSelector(`${scale}:has-text("Scale in")`);
    expect(stack.supervisor.replicasOf('cart-legacy')).toBe(2);
    await page.close();
  }, 60_000);
});
