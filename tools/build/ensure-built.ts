import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const BUILT_APPS = ['auth', 'order', 'cart'] as const;
export type BuiltApp = (typeof BUILT_APPS)[number];

/** The app in one file (tools/build/bundle.ts, the last step of `npm run build`). */
export function bundleOf(app: BuiltApp): string {
  return join(ROOT, 'dist', 'apps', app, 'main.cjs');
}

/** What runs an app, everywhere: the image, the local stack, the tests, the bench. */
export const entryPointOf = bundleOf;

function newestModification(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    newest = Math.max(
      newest,
      entry.isDirectory() ? newestModification(path) : statSync(path).mtimeMs,
    );
  }
  return newest;
}

/** True when an app's build is missing or older than any source under apps/ or libs/. */
export function buildIsStale(): boolean {
  const sourcesChanged = Math.max(
    ...['apps', 'libs'].map((directory) =>
      newestModification(join(ROOT, directory)),
    ),
  );
  return BUILT_APPS.map(entryPointOf).some(
    (entry) => !existsSync(entry) || statSync(entry).mtimeMs < sourcesChanged,
  );
}

/** Runs `npm run build` when the build is missing or stale (what `npm start` and tests need). */
export function ensureBuilt(
  log: (line: string) => void = () => undefined,
): void {
  if (!buildIsStale()) return;
  log('building the apps (npm run build)...');
  execFileSync('npm', ['run', 'build'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
