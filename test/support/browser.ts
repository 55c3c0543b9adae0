import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { fileOf, PROGRAMS } from '../../tools/preflight/programs';

/** Debian's Chromium (`apt-get install chromium`); the preflight of `npm test` installs it. */
export const CHROMIUM = fileOf(PROGRAMS.chromium.find);

/** Headless Chromium with no background networking: pages here must need nothing from outside. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
