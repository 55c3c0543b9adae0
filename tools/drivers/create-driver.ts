import type { LocalStackOptions } from '../lab/local-stack';
import type { ClusterDriver } from './cluster-driver';
import { localNodeProcessKiller } from '../cluster/node-access';
import { KubernetesDriver } from './k8s-driver';
import { LocalDriver } from './local-driver';

/**
 * The driver the e2e suite runs against:
 * - `E2E_TARGET=local` (default): a fresh local stack on free ports, or `E2E_URL` of a running one;
 * - `E2E_TARGET=k8s`: the current kube-context (`K8S_CONTEXT`, `K8S_NAMESPACE` to override),
 *   with traffic through the entry point at `E2E_URL` (the Ingress/Gateway address).
 */
export async function createDriver(
  options: LocalStackOptions = {},
): Promise<ClusterDriver> {
  const target = process.env.E2E_TARGET ?? 'local';
  if (target === 'local') {
    return process.env.E2E_URL
      ? LocalDriver.attach(process.env.E2E_URL)
      : LocalDriver.boot(options);
  }
  if (target === 'k8s') {
    if (!process.env.E2E_URL)
      throw new Error(
        'E2E_TARGET=k8s needs E2E_URL: the entry point (Ingress/Gateway) URL',
      );
    return KubernetesDriver.connect({
      baseUrl: process.env.E2E_URL,
      context: process.env.K8S_CONTEXT,
      namespace: process.env.K8S_NAMESPACE,
      nodeAccess: localNodeProcessKiller,
    });
  }
  throw new Error(`E2E_TARGET must be local or k8s, not "${target}"`);
}
