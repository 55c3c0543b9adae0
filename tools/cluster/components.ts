import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The pinned versions (components.json): the one file that says what the cluster runs. */
export interface ComponentVersions {
  kubernetes: string;
  etcd: string;
  coredns: string;
  traefik: string;
  localPathProvisioner: string;
  skaffold: string;
  pause: string;
  criTools: string;
}

export const VERSIONS: ComponentVersions = JSON.parse(
  readFileSync(join(__dirname, 'components.json'), 'utf8'),
);

/**
 * Where built programs and Go's own caches live: outside the repository, shared by every clone
 * on the machine (CI's included), keyed by version below it, so only the first run pays.
 */
export const CACHE_ROOT =
  process.env.CLUSTER_CACHE ?? '/var/cache/what-survives';

export const GO_ENVIRONMENT = {
  GOMODCACHE: join(CACHE_ROOT, 'go', 'mod'),
  GOCACHE: join(CACHE_ROOT, 'go', 'build'),
  // Every program here is a static binary: it runs in a scratch image as well as on the host.
  CGO_ENABLED: '0',
  // The machine's Go, never one fetched behind our back; a module that needs a newer Go fails
  // with go's own message naming the version.
  GOTOOLCHAIN: 'local',
  GOFLAGS: '-mod=mod -buildvcs=false',
};

/**
 * The image names the cluster's pods ask for. None can be pulled (no registry here): each is
 * made on this machine from the programs built above, under the name its upstream publishes,
 * so the manifests stay as users deploy them (`imagePullPolicy: IfNotPresent`).
 */
export const IMAGES = {
  pause: `registry.k8s.io/pause:${VERSIONS.pause}`,
  coredns: `registry.k8s.io/coredns/coredns:${VERSIONS.coredns}`,
  traefik: `docker.io/library/traefik:${VERSIONS.traefik}`,
  localPathProvisioner: `docker.io/rancher/local-path-provisioner:${VERSIONS.localPathProvisioner}`,
  // The provisioner's helper pod creates and removes volume directories with busybox's sh.
  busybox: 'docker.io/library/busybox:stand-in',
} as const;
