import { ensureBuilt } from '../../tools/build/ensure-built';

/**
 * The e2e specs run the services as real processes from `dist/`, exactly as a pod runs them;
 * build first when the build is missing or older than the sources.
 */
export default function globalSetup(): void {
  ensureBuilt((line) => process.stdout.write(`\nglobal setup: ${line}\n`));
}
