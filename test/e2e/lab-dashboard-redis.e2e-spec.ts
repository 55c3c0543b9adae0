/// <reference lib="dom" />
// The page.waitForFunction and $$eval callbacks below run in the browser.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { Dashboard } from '../../tools/dashboard/dashboard';
import { LocalStack } from '../../tools/lab/local-stack';
import type { PodInfo } from '../../tools/lab/pod';
import { redisInfo } from '../../tools/lab/redis-command';
import { launchChromium } from '../support/browser';

const ROOT = join(__dirname, '..', '..');
const COLUMN = '.app[data-app="redis"]';
/** Sentinel: 1 s down-after, a vote, a promotion (~2-3 s); a busy 2-core machine gets slack. */
const FAILOVER_BOUND_MS = 15_000;

interface Card {
  name: string | null;
  app: string | null;
  role: string | null;
  names: string | null;
  namedPrimary: boolean;
  promoted: boolean;
  text: string;
}

/** Every pod card in the Redis column, as the page shows it. */
const cardsOf = (page: Page): Promise<Card[]> =>
  page.$$eval(`${COLUMN} .pod`, (cards) =>
    cards.map((card) => ({
      name: card.getAttribute('data-pod-name'),
      app: card.getAttribute('data-app'),
      role: card.getAttribute('data-redis-role'),
      names: card.getAttribute('data-names'),
      namedPrimary: card.hasAttribute('data-named-primary'),
      promoted: card.classList.contains('promoted'),
      text: card.querySelector('[data-role=redis-role]')?.textContent ?? '',
    })),
  );

/** `page.waitForFunction`, failing with what the Redis column showed instead. */
async function until<T>(page: Page, waiting: Promise<T>): Promise<T> {
  try {
    return await waiting;
  } catch (error) {
    const shown = await page.textContent(COLUMN).catch(() => 'no Redis column');
    const log = await page.textContent('#activity').catch(() => '');
    throw new Error(
      `${(error as Error).message}\nThe Redis column showed: ${shown}\nWhat just happened: ${log}`,
      { cause: error },
    );
  }
}

/** The role each node gives itself, asked here on its own port (not through the dashboard). */
async function ownRoles(stack: LocalStack): Promise<Record<string, string>> {
  const pods = stack.supervisor
    .listPods('redis')
    .filter((pod: PodInfo) => pod.status === 'Running');
  const roles: Record<string, string> = {};
  for (const pod of pods)
    roles[pod.name] = await redisInfo(pod.port)
      .then((info) => info.role)
      .catch(() => 'unreachable');
  return roles;
}

/**
 * The dashboard's Redis column on a stack with Redis HA (`LAB_REDIS=sentinel`), in Chromium:
 * redis-0..2 each with the role it gives itself, exactly one primary, sentinel-0..2 naming it;
 * then the primary is SIGKILLed (as the experiment's redis-primary-kill does it, its pid from the
 * lab API) and the column shows another primary, highlighted, and a failover line with its time.
 */
describe('the lab dashboard Redis column (LAB_REDIS=sentinel)', () => {
  let stack: LocalStack;
  let browser: Browser | undefined;

  beforeAll(async () => {
    stack = await LocalStack.start({
      labPort: 0,
      redisMode: 'sentinel',
      replicas: { auth: 1, order: 1, cart: 1, 'cart-legacy': 1 },
    });
    Dashboard.mount(stack, { virtualUsers: 1 });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('lists the primary, its replicas and the Sentinels, and shows the failover when the primary is SIGKILLed', async () => {
    browser = await launchChromium();
    const page = await browser.newPage({
      viewport: { width: 1280, height: 900 },
    });
    await page.goto(`${stack.url}/_lab/ui`);

    // Every node has answered ROLE, every Sentinel names a primary.
    await until(
      page,
      page.waitForFunction(
        (column) => {
          const cards = [...document.querySelectorAll(`${column} .pod`)];
          const roles = cards.map((card) =>
            card.getAttribute('data-redis-role'),
          );
          return (
            cards.length === 6 &&
            roles.filter((role) => role === 'primary').length === 1 &&
            roles.filter((role) => role === 'replica').length === 2 &&
            roles.filter((role) => role === 'sentinel').length === 3 &&
            cards.every(
              (card) =>
                card.getAttribute('data-app') !== 'sentinel' ||
                card.getAttribute('data-names'),
            )
          );
        },
        COLUMN,
        { timeout: 20_000 },
      ),
    );
    const before = await cardsOf(page);
    expect(
      before
        .filter((card) => card.app === 'redis')
        .map((card) => card.name)
        .sort(),
    ).toEqual(['redis-0', 'redis-1', 'redis-2']);
    expect(
      before
        .filter((card) => card.app === 'sentinel')
        .map((card) => card.name)
        .sort(),
    ).toEqual(['sentinel-0', 'sentinel-1', 'sentinel-2']);
    // No separate Sentinel column: they are part of the Redis one.
    expect(await page.locator('.app[data-app="sentinel"]').count()).toBe(0);

    const primaries = before.filter((card) => card.role === 'primary');
    expect(primaries).toHaveLength(1);
    const oldPrimary = primaries[0].name as string;
    // The page says what the nodes and Sentinels say, asked here independently.
    expect(await stack.redisSentinel?.poll()).toBe(
      stack.redisSentinel?.nodePorts[Number(oldPrimary.split('-')[1])],
    );
    const roles = await ownRoles(stack);
    expect(roles[oldPrimary]).toBe('master');
    for (const card of before.filter((one) => one.role === 'replica')) {
      expect(roles[card.name as string]).toBe('slave');
      expect(card.text).toMatch(
        new RegExp(`^Replica of ${oldPrimary} · link up`),
      );
    }
    for (const card of before.filter((one) => one.app === 'sentinel'))
      expect(card.names).toBe(oldPrimary);
    expect(primaries[0].namedPrimary).toBe(true);
    expect(primaries[0].text).toMatch(/^★ Primary · 2 replicas connected/);
    expect(await page.textContent(`${COLUMN} [data-role=topology]`)).toBe(
      `★ Primary ${oldPrimary} · 2/2 replicas linked to it · 3/3 Sentinels name it`,
    );

    // kill -9 of the primary's process, from its card: the dashboard asks the driver, which
    // takes the pid from the lab API (as the experiment's redis-primary-kill does); the stack
    // holds a dead primary down 5 s, long enough for the Sentinels.
    const restartsBefore = stack.supervisor.find(oldPrimary)?.info().restarts;
    await page.click(
      `${COLUMN} .pod[data-pod-name="${oldPrimary}"] button[data-role=crash]`,
    );
    const killedAt = Date.now();

    await until(
      page,
      page.waitForFunction(
        ({ column, old }) => {
          const cards = [...document.querySelectorAll(`${column} .pod`)];
          const primary = cards.filter(
            (card) => card.getAttribute('data-redis-role') === 'primary',
          );
          return (
            primary.length === 1 &&
            primary[0].getAttribute('data-pod-name') !== old &&
            primary[0].classList.contains('promoted') &&
            !!document.querySelector('#activity [data-event="failover"]')
          );
        },
        { column: COLUMN, old: oldPrimary },
        { timeout: FAILOVER_BOUND_MS },
      ),
    );
    const shownAfterMs = Date.now() - killedAt;
    const after = await cardsOf(page);
    const newPrimary = after.find((card) => card.role === 'primary') as Card;
    expect(newPrimary.name).not.toBe(oldPrimary);
    expect(newPrimary.text).toMatch(
      new RegExp(
        `^★ Primary · \\d replicas? connected — promoted \\d+\\.\\d s after ${oldPrimary} stopped answering$`,
      ),
    );
    // The node itself says so, and so do the Sentinels.
    expect((await ownRoles(stack))[newPrimary.name as string]).toBe('master');
    expect(stack.redisSentinel?.primaryPod).toBe(newPrimary.name);

    // The failover line: from, to, and a time that fits in between the kill and the page.
    const line = page.locator('#activity [data-event="failover"]');
    expect(await line.count()).toBe(1);
    expect(await line.getAttribute('data-from')).toBe(oldPrimary);
    expect(await line.getAttribute('data-to')).toBe(newPrimary.name);
    const tookMs = Number(await line.getAttribute('data-took-ms'));
    expect(tookMs).toBeGreaterThan(0);
    expect(tookMs).toBeLessThan(shownAfterMs);
    expect(await line.textContent()).toMatch(
      new RegExp(
        `⇄ Failover: ${newPrimary.name} is the Redis primary, \\d+\\.\\d s after ${oldPrimary} stopped answering`,
      ),
    );
    // It went down first, as it happened.
    expect(
      await page
        .locator(
          `#activity [data-event="primary-down"][data-pod="${oldPrimary}"]`,
        )
        .count(),
    ).toBe(1);
    expect(
      await page.textContent(`${COLUMN} [data-role=last-failover]`),
    ).toMatch(
      new RegExp(`^Last failover .*: ${oldPrimary} → ${newPrimary.name} in `),
    );
    process.stdout.write(
      `dashboard redis: ${oldPrimary} SIGKILLed, ${newPrimary.name} shown as primary ${shownAfterMs} ms later (failover seen in ${tookMs} ms)\n`,
    );

    mkdirSync(join(ROOT, 'reports'), { recursive: true });
    await page.screenshot({
      path: join(ROOT, 'reports', 'lab-dashboard-redis.png'),
      fullPage: true,
    });

    // The old primary comes back (after its 5 s down) as a replica of the new one, on the page too
    // (its link may take a resync longer on a busy machine: the role is what counts here).
    await until(
      page,
      page.waitForFunction(
        ({ column, old, primary }) => {
          const card = document.querySelector(
            `${column} .pod[data-pod-name="${old}"]`,
          );
          return (
            card?.getAttribute('data-redis-role') === 'replica' &&
            (
              card.querySelector('[data-role=redis-role]')?.textContent ?? ''
            ).startsWith(`Replica of ${primary} · link`)
          );
        },
        { column: COLUMN, old: oldPrimary, primary: newPrimary.name },
        { timeout: 45_000 },
      ),
    );
    // A process kill, restarted in place (not a pod deleted and recreated).
    expect(stack.supervisor.find(oldPrimary)?.info().restarts).toBe(
      (restartsBefore ?? 0) + 1,
    );
    await page.close();
  }, 120_000);
});

/** One Redis (the default): the column shows it as the primary with no replicas, no Sentinels. */
describe('the lab dashboard Redis column (one Redis)', () => {
  let stack: LocalStack;
  let browser: Browser | undefined;

  beforeAll(async () => {
    stack = await LocalStack.start({
      labPort: 0,
      replicas: { auth: 1, order: 1, cart: 1, 'cart-legacy': 1 },
    });
    Dashboard.mount(stack, { virtualUsers: 0 });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('shows redis-0 as the primary, no replicas, no Sentinels', async () => {
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`${stack.url}/_lab/ui`);
    await page.waitForSelector(
      `${COLUMN} .pod[data-redis-role="primary"][data-named-primary]`,
    );
    const cards = await cardsOf(page);
    expect(cards.map((card) => [card.name, card.role])).toEqual([
      ['redis-0', 'primary'],
    ]);
    expect(cards[0].text).toBe('★ Primary · 0 replicas connected');
    expect(await page.textContent(`${COLUMN} [data-role=topology]`)).toBe(
      '★ Primary redis-0 · no replicas · no Sentinels (one Redis; LAB_REDIS=sentinel runs replicas)',
    );
    expect(await page.isHidden(`${COLUMN} .sentinels`)).toBe(true);
    await page.close();
  }, 60_000);
});
