import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  allowedConnections,
  checkDisruptionBudgets,
  checkEnvironment,
  checkReferences,
  checkResources,
  checkSecurity,
  checkRedisSentinel,
  codeFacts,
  ensureDevSecrets,
  K8S_DIR,
  type KubernetesObject,
  type NetworkEndpoint,
  parseYamlDocuments,
  renderKustomizations,
} from '../../tools/k8s-policy';
import {
  brokenCopy,
  oneFinding,
  type Mutation,
} from '../support/broken-objects';

/**
 * k8s/overlays/redis-sentinel (dev + k8s/components/redis-sentinel), rendered by
 * `kubectl kustomize`: every piece a failover needs is there (checkRedisSentinel), and each one
 * removed or bent is caught. manifests.spec.ts holds this overlay to every other check too
 * (schemas, security, resources, the connection matrix).
 */

const facts = codeFacts();
const DEV = join(K8S_DIR, 'overlays', 'dev');
const OVERLAY = join(K8S_DIR, 'overlays', 'redis-sentinel');
const COMPONENT = join(K8S_DIR, 'components', 'redis-sentinel');
const KUBE_DNS: NetworkEndpoint = {
  name: 'kube-dns',
  namespace: 'kube-system',
  namespaceLabels: { 'kubernetes.io/metadata.name': 'kube-system' },
  labels: { 'k8s-app': 'kube-dns' },
  ports: [
    { name: 'dns', port: 53, protocol: 'UDP' },
    { name: 'dns-tcp', port: 53, protocol: 'TCP' },
  ],
};
const check = (objects: KubernetesObject[]) =>
  checkRedisSentinel(objects, facts, KUBE_DNS);

let rendered = new Map<string, KubernetesObject[]>();

beforeAll(async () => {
  ensureDevSecrets();
  rendered = await renderKustomizations([DEV, OVERLAY]);
});

const overlay = () => rendered.get(OVERLAY) ?? [];
const find = (objects: KubernetesObject[], kind: string, name: string) => {
  const object = objects.find(
    (candidate) => candidate.kind === kind && candidate.metadata.name === name,
  );
  if (!object) throw new Error(`fixture needs ${kind}/${name}`);
  return object as KubernetesObject & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
};
const podOf = (objects: KubernetesObject[]) =>
  find(objects, 'StatefulSet', 'redis').spec.template.spec;
const containerOf = (objects: KubernetesObject[], name: string) =>
  podOf(objects).containers.find(
    (container: { name: string }) => container.name === name,
  );
const envOf = (objects: KubernetesObject[], deployment: string) =>
  find(objects, 'Deployment', deployment).spec.template.spec.containers[0]
    .env as { name: string; value?: string; valueFrom?: unknown }[];
const remove = (objects: KubernetesObject[], kind: string, name: string) =>
  objects.splice(objects.indexOf(find(objects, kind, name)), 1);
const configMap = (objects: KubernetesObject[], prefix: string) => {
  const object = objects.find(
    (candidate) =>
      candidate.kind === 'ConfigMap' &&
      candidate.metadata.name.startsWith(`${prefix}-`),
  ) as { data: Record<string, string> } | undefined;
  if (!object) throw new Error(`fixture needs ConfigMap ${prefix}-<hash>`);
  return object;
};

describe('k8s/overlays/redis-sentinel', () => {
  it('runs 3 Redis pods, each with a Sentinel beside it, from the base image', () => {
    const statefulSet = find(overlay(), 'StatefulSet', 'redis');
    expect(statefulSet.spec.replicas).toBe(3);
    expect(
      podOf(overlay()).containers.map(
        (container: { name: string; image: string }) =>
          `${container.name} ${container.image}`,
      ),
    ).toEqual(['redis redis:7.4.6-alpine', 'sentinel redis:7.4.6-alpine']);
    // The image tools/cluster stands in for is the base's: the component never names another.
    const base = parseYamlDocuments(
      readFileSync(join(K8S_DIR, 'base', 'redis', 'statefulset.yaml'), 'utf8'),
    )[0] as {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    expect(base.spec.template.spec.containers[0].image).toBe(
      'redis:7.4.6-alpine',
    );
  });

  it('holds together: quorum, claims, probes, budget, names, policies, the apps through the Sentinels', () => {
    expect(check(overlay())).toEqual([]);
  });

  it('points auth, order and cart at the Sentinels (cart-legacy keeps sessions in memory)', () => {
    for (const app of ['auth', 'order', 'cart'])
      expect(envOf(overlay(), app).map(({ name }) => name)).toEqual(
        expect.arrayContaining(['REDIS_SENTINELS', 'REDIS_SENTINEL_NAME']),
      );
    expect(
      envOf(overlay(), 'cart-legacy').map(({ name }) => name),
    ).not.toContain('REDIS_SENTINELS');
    expect(configMap(overlay(), 'redis-connection').data).toMatchObject({
      REDIS_SENTINELS:
        'redis-0.redis-headless:26379,redis-1.redis-headless:26379,redis-2.redis-headless:26379',
      REDIS_SENTINEL_NAME: 'what-survives',
    });
  });

  it('lets the apps reach the Sentinels on 26379 and every node on 6379', () => {
    const connections = allowedConnections(overlay(), [KUBE_DNS]);
    for (const app of ['auth', 'order', 'cart'])
      expect(connections).toEqual(
        expect.arrayContaining([
          `${app} -> redis:sentinel/TCP`,
          `${app} -> redis:redis/TCP`,
        ]),
      );
    expect(connections).not.toContain('cart-legacy -> redis:sentinel/TCP');
    // The Service port apps would use is the container port the policy names.
    const headless = find(overlay(), 'Service', 'redis-headless');
    expect(headless.spec.ports).toEqual(
      expect.arrayContaining([
        { name: 'sentinel', port: 26379, targetPort: 'sentinel' },
      ]),
    );
  });

  it('finds nothing to say about the single-Redis dev overlay', () => {
    expect(check(rendered.get(DEV) ?? [])).toEqual([]);
  });

  it('ships scripts a POSIX sh parses (the image has busybox sh, no bash)', () => {
    const scripts = configMap(overlay(), 'redis-sentinel-scripts').data;
    expect(Object.keys(scripts).sort()).toEqual([
      'primary.sh',
      'redis-prestop.sh',
      'redis-ready.sh',
      'redis-start.sh',
      'sentinel-ready.sh',
      'sentinel-start.sh',
    ]);
    // Rendered from the component's own files, byte for byte.
    for (const [name, text] of Object.entries(scripts)) {
      expect(text).toBe(readFileSync(join(COMPONENT, 'scripts', name), 'utf8'));
      // `sh -n`: read, never run.
      expect(() =>
        execFileSync('sh', ['-n', '-c', text], { stdio: 'pipe' }),
      ).not.toThrow();
    }
  });
});

describe('a piece of the Sentinel set removed or bent is caught', () => {
  const broken = (mutate: Mutation) => brokenCopy(overlay(), mutate);

  it.each<
    [string, Mutation, (objects: KubernetesObject[]) => string[], RegExp]
  >([
    [
      'no Sentinel container',
      (objects) => {
        const pod = podOf(objects);
        pod.containers = pod.containers.filter(
          (container: { name: string }) => container.name !== 'sentinel',
        );
      },
      check,
      /Deployment\/order container order: REDIS_SENTINELS names redis-0\.redis-headless:26379, which is no Sentinel pod/,
    ],
    [
      'one Redis pod',
      (objects) => {
        find(objects, 'StatefulSet', 'redis').spec.replicas = 1;
      },
      check,
      /StatefulSet\/redis: 1 Redis node\(s\) with a Sentinel each: a failover needs at least 3/,
    ],
    [
      'REDIS_NODES out of step with the replicas',
      (objects) => {
        find(objects, 'StatefulSet', 'redis').spec.replicas = 5;
      },
      check,
      /StatefulSet\/redis: REDIS_NODES 3 but 5 replicas/,
    ],
    [
      'a quorum of 1 (one Sentinel alone could fail over)',
      (objects) => {
        for (const name of ['redis', 'sentinel'])
          containerOf(objects, name).env.find(
            (variable: { name: string }) => variable.name === 'SENTINEL_QUORUM',
          ).value = '1';
      },
      check,
      /SENTINEL_QUORUM 1 \(expected a majority of 3: 2\.\.3\)/,
    ],
    [
      'the Sentinels monitoring another name than the apps ask for',
      (objects) => {
        for (const name of ['redis', 'sentinel']) {
          const variable = containerOf(objects, name).env.find(
            (candidate: { name: string }) =>
              candidate.name === 'SENTINEL_MASTER_NAME',
          );
          delete variable.valueFrom;
          variable.value = 'mymaster';
        }
      },
      check,
      /Deployment\/auth container auth: asks for master "what-survives" \(REDIS_SENTINEL_NAME\), the Sentinels of StatefulSet\/redis monitor "mymaster"/,
    ],
    [
      'no min-replicas-to-write',
      (objects) => {
        const redis = containerOf(objects, 'redis');
        const index = redis.args.indexOf('--min-replicas-to-write');
        redis.args.splice(index, 2);
      },
      check,
      /container redis: no --min-replicas-to-write ≥ 1/,
    ],
    [
      'a TCP readiness probe (ready as a replica with no primary)',
      (objects) => {
        containerOf(objects, 'redis').readinessProbe = {
          tcpSocket: { port: 'redis' },
        };
      },
      check,
      /container redis: readinessProbe does not ask the node its role/,
    ],
    [
      'a readiness script the ConfigMap does not hold',
      (objects) => {
        delete configMap(objects, 'redis-sentinel-scripts').data[
          'redis-ready.sh'
        ];
      },
      check,
      /container redis: its readinessProbe runs \/scripts\/redis-ready\.sh, but ConfigMap\/redis-sentinel-scripts-\w+ has no key redis-ready\.sh/,
    ],
    [
      'a start script the ConfigMap does not hold',
      (objects) => {
        delete configMap(objects, 'redis-sentinel-scripts').data[
          'sentinel-start.sh'
        ];
      },
      check,
      /container sentinel: its start runs \/scripts\/sentinel-start\.sh, but ConfigMap/,
    ],
    [
      'no preStop handover',
      (objects) => {
        delete containerOf(objects, 'redis').lifecycle;
      },
      check,
      /StatefulSet\/redis container redis: no preStop handover/,
    ],
    [
      'a preStop script the ConfigMap does not hold',
      (objects) => {
        delete configMap(objects, 'redis-sentinel-scripts').data[
          'redis-prestop.sh'
        ];
      },
      check,
      /container redis: its preStop runs \/scripts\/redis-prestop\.sh, but ConfigMap/,
    ],
    [
      'no claim for the data',
      (objects) => {
        delete find(objects, 'StatefulSet', 'redis').spec.volumeClaimTemplates;
      },
      check,
      /StatefulSet\/redis: \/data is not a volumeClaimTemplate's claim/,
    ],
    [
      'unready pods without a name (publishNotReadyAddresses off)',
      (objects) => {
        delete find(objects, 'Service', 'redis-headless').spec
          .publishNotReadyAddresses;
      },
      check,
      /Service\/redis-headless: publishNotReadyAddresses is not true/,
    ],
    [
      "the base's redis Service back (writes balanced over replicas)",
      (objects) => {
        objects.push({
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'redis', namespace: 'what-survives' },
          spec: {
            selector: { 'app.kubernetes.io/name': 'redis' },
            ports: [{ name: 'redis', port: 6379, targetPort: 'redis' }],
          },
        });
      },
      check,
      /Service\/redis: balances port redis over every node of StatefulSet\/redis, replicas included/,
    ],
    [
      'no PodDisruptionBudget',
      (objects) => remove(objects, 'PodDisruptionBudget', 'redis'),
      check,
      /StatefulSet\/redis: 0 PodDisruptionBudgets select its pods \(expected 1\)/,
    ],
    [
      'the same, seen by the general budget check',
      (objects) => remove(objects, 'PodDisruptionBudget', 'redis'),
      checkDisruptionBudgets,
      /StatefulSet\/redis: 0 PodDisruptionBudgets select its pods \(expected 1\)/,
    ],
    [
      'a budget that lets a drain take two of three',
      (objects) => {
        find(objects, 'PodDisruptionBudget', 'redis').spec.maxUnavailable = 2;
      },
      check,
      /PodDisruptionBudget redis lets a drain take 2 of 3 pods, leaving fewer Sentinels than the quorum/,
    ],
    [
      'no anti-affinity',
      (objects) => {
        delete podOf(objects).affinity;
      },
      check,
      /StatefulSet\/redis: no preferred pod anti-affinity over kubernetes\.io\/hostname/,
    ],
    [
      'required anti-affinity (Pending on a one-node cluster)',
      (objects) => {
        const antiAffinity = podOf(objects).affinity.podAntiAffinity;
        antiAffinity.requiredDuringSchedulingIgnoredDuringExecution =
          antiAffinity.preferredDuringSchedulingIgnoredDuringExecution.map(
            (term: { podAffinityTerm: unknown }) => term.podAffinityTerm,
          );
      },
      check,
      /StatefulSet\/redis: required pod anti-affinity leaves pods Pending/,
    ],
    [
      'an app still on REDIS_URL alone',
      (objects) => {
        const container = find(objects, 'Deployment', 'order').spec.template
          .spec.containers[0];
        container.env = envOf(objects, 'order').filter(
          ({ name }) => !name.startsWith('REDIS_SENTINEL'),
        );
      },
      check,
      /Deployment\/order container order: connects to one Redis node \(REDIS_URL, no REDIS_SENTINELS\)/,
    ],
    [
      'REDIS_SENTINELS listing only one Sentinel',
      (objects) => {
        configMap(objects, 'redis-connection').data.REDIS_SENTINELS =
          'redis-0.redis-headless:26379';
      },
      check,
      /Deployment\/cart container cart: REDIS_SENTINELS lists 1 of the 3 Sentinels/,
    ],
    [
      'REDIS_SENTINELS naming a pod the set does not have',
      (objects) => {
        configMap(objects, 'redis-connection').data.REDIS_SENTINELS =
          'redis-0.redis-headless:26379,redis-1.redis-headless:26379,redis-3.redis-headless:26379';
      },
      check,
      /REDIS_SENTINELS names redis-3\.redis-headless:26379, which is no Sentinel pod/,
    ],
    [
      'REDIS_SENTINELS on the Redis port',
      (objects) => {
        configMap(objects, 'redis-connection').data.REDIS_SENTINELS =
          'redis-0.redis-headless:6379,redis-1.redis-headless:6379,redis-2.redis-headless:6379';
      },
      check,
      /REDIS_SENTINELS names redis-0\.redis-headless:6379, which is no Sentinel pod/,
    ],
    [
      'no egress to the Sentinels from the apps',
      (objects) => remove(objects, 'NetworkPolicy', 'redis-sentinel-clients'),
      check,
      /Deployment\/auth container auth: the NetworkPolicies do not let auth reach redis:sentinel/,
    ],
    [
      "no policy for the set's own traffic",
      (objects) => remove(objects, 'NetworkPolicy', 'redis-sentinel'),
      check,
      /StatefulSet\/redis: the NetworkPolicies do not let its pods reach each other on port redis/,
    ],
    [
      'the same: nor reach kube-dns',
      (objects) => remove(objects, 'NetworkPolicy', 'redis-sentinel'),
      check,
      /StatefulSet\/redis: the NetworkPolicies do not let it reach kube-dns/,
    ],
    [
      'a Sentinel with a writable root filesystem',
      (objects) => {
        containerOf(
          objects,
          'sentinel',
        ).securityContext.readOnlyRootFilesystem = false;
      },
      checkSecurity,
      /StatefulSet\/redis container sentinel: readOnlyRootFilesystem is not true/,
    ],
    [
      'a Sentinel without limits',
      (objects) => {
        delete containerOf(objects, 'sentinel').resources.limits;
      },
      checkResources,
      /StatefulSet\/redis container sentinel: no memory limit/,
    ],
    [
      'a Sentinel list the app cannot parse',
      (objects) => {
        configMap(objects, 'redis-connection').data.REDIS_SENTINELS =
          'redis-0.redis-headless';
      },
      (objects) => checkEnvironment(objects, facts),
      /Deployment\/auth container auth: auth would not start: REDIS_SENTINELS/,
    ],
    [
      "the Sentinels' master name from a ConfigMap key nobody renders",
      (objects) => {
        containerOf(objects, 'sentinel').env.find(
          (variable: { name: string }) =>
            variable.name === 'SENTINEL_MASTER_NAME',
        ).valueFrom.configMapKeyRef.key = 'SENTINEL_NAME';
      },
      checkReferences,
      /StatefulSet\/redis container sentinel: SENTINEL_MASTER_NAME: key SENTINEL_NAME of ConfigMap\/redis-connection-\w+ is not rendered/,
    ],
  ])('%s', (_case, mutate, checkOf, finding) => {
    expect(checkOf(broken(mutate))).toEqual(oneFinding(finding));
  });
});
