/// <reference lib="dom" />
import type { Browser } from 'playwright-core';
import { Dashboard } from '../../tools/dashboard/dashboard';
import { LocalStack } from '../../tools/lab/local-stack';
import { launchChromium } from '../support/browser';

const AFTER_LOGOUT = '#token [data-role=after-logout]';

/**
 * The dashboard's "Log out", as a person uses it (Chromium on `GET /_lab/ui` of a real local
 * stack): without the denylist the "you" panel says the old token is still accepted by order and
 * for how many more seconds; with AUTH_REVOCATION=denylist, that it was refused at once.
 */
describe.each(['none', 'denylist'] as const)(
  'the dashboard after "Log out" (AUTH_REVOCATION=%s)',
  (revocation) => {
    let stack: LocalStack;
    let browser: Browser | undefined;

    beforeAll(async () => {
      stack = await LocalStack.start({
        labPort: 0,
        replicas: { auth: 1, order: 2, cart: 1, 'cart-legacy': 1 },
        authRevocation: revocation,
      });
      Dashboard.mount(stack, { virtualUsers: 0 });
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await stack?.stop();
    });

    it(`shows the old token ${revocation === 'none' ? 'still accepted, with the seconds until exp' : 'refused at once'}`, async () => {
      browser = await launchChromium();
      const page = await browser.newPage();
      await page.goto(`${stack.url}/_lab/ui`);
      await page.waitForSelector('#token[data-state="accepted"]');
      expect(await page.isHidden(AFTER_LOGOUT)).toBe(true);

      await page.click('#you-logout');
      const expected = revocation === 'none' ? 'accepted' : 'refused';
      await page.waitForSelector(
        `${AFTER_LOGOUT}[data-after-logout="${expected}"]`,
      );
      const text = (await page.textContent(AFTER_LOGOUT)) ?? '';
      const view = (await (await fetch(`${stack.url}/_lab/you`)).json()) as {
        logout: {
          detail: string;
          oldToken: {
            accepted: boolean;
            secondsLeft: number;
            refusedAtOnce: boolean;
          };
        };
      };
      expect(view.logout.detail).toBe('POST /auth/logout → 204');
      if (revocation === 'none') {
        const seconds = Number(/for (\d+) more seconds/.exec(text)?.[1]);
        // A 15-minute token, logged out seconds after login: most of its life is left.
        expect(seconds).toBeGreaterThan(800);
        expect(seconds).toBeLessThanOrEqual(900);
        expect(view.logout.oldToken).toMatchObject({
          accepted: true,
          refusedAtOnce: false,
        });
      } else {
        expect(text).toMatch(
          /refused at once \(GET \/orders → 401 token revoked\)/,
        );
        expect(view.logout.oldToken).toEqual(
          expect.objectContaining({
            accepted: false,
            secondsLeft: 0,
            refusedAtOnce: true,
          }),
        );
      }
      // "Start over" logs in again: a new token, nothing to say about the old one.
      await page.click('#you-reset');
      await page.waitForSelector(`${AFTER_LOGOUT}[hidden]`, {
        state: 'attached',
      });
      await page.close();
    }, 60_000);
  },
);
