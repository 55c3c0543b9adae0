import { ensureBuilt } from '../../tools/build/ensure-built';
import { preflight } from '../../tools/preflight/preflight';

/**
 * The e2e specs start their own redis-server, open pages in Chromium and render k8s/ with
 * `kubectl kustomize`: check (and where it can, install) those first. Then they run the services
 * as real processes from `dist/`, exactly as a pod runs them: build when the build is missing or
 * older than the sources.
 */
export default function globalSetup(): void {
  preflight('npm test', ['redis-server', 'chromium', 'kubectl'], {
    log: (line) => process.stdout.write(`\nglobal setup: ${line}\n`),
  });
  ensureBuilt((line) => process.stdout.write(`\nglobal setup: ${line}\n`));
}
