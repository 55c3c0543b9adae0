import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const SOURCE_DIRECTORIES = ['apps', 'libs'].map((directory) =>
  join(ROOT, directory),
);
const BUILT_ENTRY_POINTS = ['auth', 'order', 'cart'].map((app) =>
  join(ROOT, 'dist', 'apps', app, 'apps', app, 'src', 'main.js'),
);

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

/**
 * The e2e specs run the services as real processes from `dist/`, exactly as a pod runs them;
 * build first when the build is missing or older than the sources.
 */
export default function globalSetup(): void {
  const sourcesChanged = Math.max(
    ...SOURCE_DIRECTORIES.map(newestModification),
  );
  const stale = BUILT_ENTRY_POINTS.some(
    (entry) => !existsSync(entry) || statSync(entry).mtimeMs < sourcesChanged,
  );
  if (!stale) return;
  process.stdout.write(
    '\nglobal setup: building the apps (npm run build)...\n',
  );
  execFileSync('npm', ['run', 'build'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}
