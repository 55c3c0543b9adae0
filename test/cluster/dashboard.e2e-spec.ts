/// <reference lib="dom" />
// The page.evaluate callbacks below run in the browser.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { freePort } from '../../tools/lab/free-port';
import { launchChromium } from '../support/browser';
import { entryPoint, kubectlJson, NAMESPACE } from './cluster-kubectl';

const ROOT = join(__dirname, '..', '..');
const LEGACY = '[data-cart="/legacy-cart"]';
const REDIS = '[data-cart="/cart"]';

/**
 * `npm run dashboard -- --target k8s` against the real cluster, used as a person uses it:
 * Chromium clicks SIGKILL on the pod that holds the legacy session; only the legacy cart is lost.
 */
describe('the lab dashboard against the cluster (npm run dashboard -- --target k8s)', () => {
  let dashboard: ChildProcess;
  let url: string;
  let browser: Browser | undefined;

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    dashboard = spawn(
      'npm',
      [
        'run',
        'dashboard',
        '--',
        '--target',
        'k8s',
        '--url',
        entryPoint(),
        '--port',
        String(port),
        '--users',
        process.env.E2E_USERS ?? 'alice:alice,bob:bob',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], detached: true },
    );
    await new Promise<void>((resolve, reject) => {
      let output = '';
      dashboard.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('/_lab/ui')) resolve();
      });
      dashboard.once('exit', (code) =>
        reject(new Error(`npm run dashboard exited ${code}: ${output}`)),
      );
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    // npm and the dashboard under it: the process group this spec started.
    if (dashboard?.pid) process.kill(-dashboard.pid, 'SIGTERM');
  });

  it('kills the pod holding the legacy session with one click; the legacy cart alone is lost', async () => {
    browser = await launchChromium();
    const page = await browser.newPage({
      viewport: { width: 1280, height: 800 },
    });
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(`${url}/_lab/ui`);

    await page.waitForSelector(`${LEGACY}[data-state="kept"] li`, {
      timeout: 30_000,
    });
    await page.waitForSelector(`${REDIS}[data-state="kept"] li`, {
      timeout: 30_000,
    });
    await page.waitForSelector('#orders li[data-order-id]', {
      timeout: 30_000,
    });
    const orderIds = await page.$$eval('#orders li', (items) =>
      items.map((item) => item.getAttribute('data-order-id')),
    );
    const holder = await page.getAttribute(
      '[data-holds-legacy-cart]',
      'data-pod-name',
    );
    expect(holder).toMatch(/^cart-legacy-/);
    const podNames = async () =>
      (
        await kubectlJson<{
          items: Array<{
            metadata: { name: string; deletionTimestamp?: string };
          }>;
        }>(['-n', NAMESPACE, 'get', 'pods', '-l', 'app=cart-legacy'])
      ).items
        .filter((pod) => !pod.metadata.deletionTimestamp)
        .map((pod) => pod.metadata.name);
    // The card is a real pod, as the API server lists it.
    expect(await podNames()).toContain(holder);

    await page.click(`[data-pod-name="${holder}"] button[data-grace="0"]`);

    await page.waitForSelector(`${LEGACY}[data-state="lost"]`, {
      timeout: 30_000,
    });
    expect(await page.textContent(`${LEGACY} [data-role=state]`)).toMatch(
      /Lost/,
    );
    expect(await page.getAttribute(REDIS, 'data-state')).toBe('kept');
    expect(
      await page.$$eval('#orders li', (items) =>
        items.map((item) => item.getAttribute('data-order-id')),
      ),
    ).toEqual(expect.arrayContaining(orderIds));
    expect(await page.textContent('#activity')).toMatch(
      /Your legacy cart is LOST/,
    );
    // The ReplicaSet replaced it: another name, and the killed one is gone from the API.
    expect(await podNames()).not.toContain(holder);

    mkdirSync(join(ROOT, 'reports'), { recursive: true });
    await page.screenshot({
      path: join(ROOT, 'reports', 'cluster-dashboard.png'),
      fullPage: true,
    });
    // Nothing from outside the dashboard itself.
    expect(
      requested.filter(
        (request) =>
          !request.startsWith(`${url}/`) && !request.startsWith('data:'),
      ),
    ).toEqual([]);
    await page.close();
  }, 120_000);
});
