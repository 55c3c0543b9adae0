import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGES, VERSIONS } from './components';
import { moduleDirectory, recipeOf } from './go-build';
import { NODE, PATHS } from './layout';
import { CLUSTER_DOMAIN } from './node-config';

/** What the cluster runs besides the project: DNS, storage, the entry point (addons/*.yaml). */
export const ADDONS = ['coredns', 'local-path-storage', 'traefik'] as const;
export type Addon = (typeof ADDONS)[number];

const VALUES: Record<string, string> = {
  CLUSTER_DOMAIN,
  DNS_ADDRESS: NODE.dnsAddress,
  COREDNS_IMAGE: IMAGES.coredns,
  TRAEFIK_IMAGE: IMAGES.traefik,
  LOCAL_PATH_IMAGE: IMAGES.localPathProvisioner,
  LOCAL_PATH_VERSION: VERSIONS.localPathProvisioner,
  BUSYBOX_IMAGE: IMAGES.busybox,
  VOLUMES_DIR: PATHS.volumes,
  ENTRY_POINT_NODE_PORT: String(NODE.entryPointNodePort),
};

/**
 * Traefik's CustomResourceDefinitions (Middleware among them), from the Traefik module itself:
 * the file Traefik's documentation has users apply, at the version the cluster runs.
 */
export async function traefikCustomResourceDefinitions(): Promise<string> {
  const source = await moduleDirectory(recipeOf('traefik'));
  return readFileSync(
    join(
      source,
      'docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml',
    ),
    'utf8',
  );
}

/** An addon's manifest with this cluster's values in place of its ${NAME}s. */
export function renderAddon(addon: Addon): string {
  const text = readFileSync(join(__dirname, 'addons', `${addon}.yaml`), 'utf8');
  return text.replace(/\$\{([A-Z_]+)\}/g, (_, name: string) => {
    const value = VALUES[name];
    if (value === undefined)
      throw new Error(`addons/${addon}.yaml: unknown \${${name}}`);
    return value;
  });
}

/**
 * kubeadm's admin.conf (since 1.29) names the group kubeadm:cluster-admins, which only has
 * rights once this binding exists (kubeadm init makes it with super-admin.conf, as `up` does).
 * The API server's kubelet client certificate is in the same group.
 */
export const CLUSTER_ADMINS_BINDING = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: kubeadm:cluster-admins
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: Group
    name: kubeadm:cluster-admins
`;
