import type { LocalStackOptions } from '../lab/local-stack';
import type { ClusterDriver } from './cluster-driver';
import { LocalDriver } from './local-driver';

/** E2E_TARGET=local (default) boots a fresh local stack; `k8s` needs the Kubernetes driver. */
export async function createDriver(
  options: LocalStackOptions = {},
): Promise<ClusterDriver> {
  const target = process.env.E2E_TARGET ?? 'local';
  if (target === 'local') {
    return process.env.E2E_URL
      ? LocalDriver.attach(process.env.E2E_URL)
      : LocalDriver.boot(options);
  }
  throw new Error(`E2E_TARGET=${target}: only the local driver exists so far`);
}
