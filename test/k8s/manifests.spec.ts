import { join } from 'node:path';
import {
  type CodeFacts,
  codeFacts,
  allowedConnections,
  checkAutoscalers,
  checkDisruptionBudgets,
  checkEntryPoint,
  checkEnvironment,
  checkGeneratedConfiguration,
  checkMetricsNotPublic,
  checkMetricsScraping,
  checkNames,
  checkPorts,
  checkProbes,
  checkReferences,
  checkResources,
  checkSecurity,
  checkSelectorsAndLabels,
  checkServices,
  checkShutdownAndSpread,
  type NetworkEndpoint,
  workloadsOf,
  ensureDevSecrets,
  fromRoot,
  K8S_DIR,
  type KubernetesObject,
  kustomizations,
  renderKustomization,
  renderKustomizations,
  schemaErrors,
  unknownFields,
} from '../../tools/k8s-policy';
import {
  brokenCopy,
  oneFinding,
  type Mutation,
} from '../support/broken-objects';

/**
 * Offline verification of k8s/: every kustomization rendered by `kubectl kustomize`, validated
 * against the Kubernetes schemas (strictly: unknown fields fail), and held to policies tied to the
 * code. Then the same checks shown failing on deliberately broken manifests.
 */

const facts = codeFacts();
const BASE = join(K8S_DIR, 'base');
const DEV = join(K8S_DIR, 'overlays', 'dev');
/** dev + k8s/components/metrics: the one kustomization Prometheus scrapes. */
const DEV_METRICS = join(K8S_DIR, 'overlays', 'dev-metrics');
const SCRAPED = new Set([DEV_METRICS]);
/** dev + k8s/components/redis-sentinel: Redis as 3 nodes with a Sentinel beside each. */
const REDIS_SENTINEL = join(K8S_DIR, 'overlays', 'redis-sentinel');
const SENTINEL_CLIENTS = ['auth', 'order', 'cart'];
const APPS = ['auth', 'order', 'cart', 'cart-legacy'];

/** Outside the namespace: what docs/kubernetes.md installs, and the cluster DNS. */
const ENTRY_POINT: NetworkEndpoint = {
  name: 'traefik',
  namespace: 'traefik',
  namespaceLabels: { 'kubernetes.io/metadata.name': 'traefik' },
  labels: { 'app.kubernetes.io/name': 'traefik' },
  ports: [{ name: 'web', port: 8000, protocol: 'TCP' }],
};
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
/** Prometheus as docs/kubernetes.md installs it (kube-prometheus-stack, namespace monitoring). */
const PROMETHEUS: NetworkEndpoint = {
  name: 'prometheus',
  namespace: 'monitoring',
  namespaceLabels: { 'kubernetes.io/metadata.name': 'monitoring' },
  labels: { 'app.kubernetes.io/name': 'prometheus' },
  ports: [{ name: 'http-web', port: 9090, protocol: 'TCP' }],
};
const OUTSIDE = [ENTRY_POINT, KUBE_DNS, PROMETHEUS];

/** Exactly the calls the code makes (docs/DESIGN.md); everything else must be denied. */
const EXPECTED_CONNECTIONS = [
  'traefik -> auth:http/TCP',
  'traefik -> order:http/TCP',
  'traefik -> cart:http/TCP',
  'traefik -> cart-legacy:http/TCP',
  'order -> auth:http/TCP', // JWKS
  'cart -> auth:http/TCP', // JWKS
  'cart-legacy -> auth:http/TCP', // JWKS
  'cart -> order:http/TCP', // checkout
  'cart-legacy -> order:http/TCP', // checkout
  'auth -> redis:redis/TCP',
  'order -> redis:redis/TCP',
  'cart -> redis:redis/TCP',
  ...APPS.flatMap((app) => [
    `${app} -> kube-dns:dns/UDP`,
    `${app} -> kube-dns:dns-tcp/TCP`,
  ]),
].sort();

/**
 * With Sentinel, the apps that use Redis also ask the Sentinels, and the set talks to itself
 * (replication, Sentinels watching nodes and each other) and to kube-dns (it finds its members
 * by name).
 */
const SENTINEL_CONNECTIONS = [
  ...SENTINEL_CLIENTS.map((app) => `${app} -> redis:sentinel/TCP`),
  'redis -> redis:redis/TCP',
  'redis -> redis:sentinel/TCP',
  'redis -> kube-dns:dns/UDP',
  'redis -> kube-dns:dns-tcp/TCP',
];

/** Where metrics are on, Prometheus scrapes every app pod too (and nothing else). */
const expectedConnections = (directory: string) =>
  SCRAPED.has(directory)
    ? [
        ...EXPECTED_CONNECTIONS,
        ...APPS.map((app) => `prometheus -> ${app}:http/TCP`),
      ].sort()
    : directory === REDIS_SENTINEL
      ? [...EXPECTED_CONNECTIONS, ...SENTINEL_CONNECTIONS].sort()
      : EXPECTED_CONNECTIONS;

const REPLICAS: Record<string, number> = {
  auth: 2,
  order: 3,
  cart: 3,
  'cart-legacy': 3,
  redis: 1,
};
/** One primary and two replicas, a Sentinel beside each. */
const replicasOf = (directory: string) =>
  directory === REDIS_SENTINEL ? { ...REPLICAS, redis: 3 } : REPLICAS;

let rendered = new Map<string, KubernetesObject[]>();

beforeAll(async () => {
  // The dev overlay's secretGenerator reads git-ignored files; make them if this clone has none.
  ensureDevSecrets();
  rendered = await renderKustomizations(kustomizations());
});

describe.each(
  kustomizations().map((directory) => [fromRoot(directory), directory]),
)('kustomization %s', (_name, directory) => {
  const objects = () => rendered.get(directory) ?? [];

  it('renders with kubectl kustomize', () => {
    expect(objects().length).toBeGreaterThan(0);
  });

  it('matches the Kubernetes schemas (types, required fields, enums)', () => {
    expect(schemaErrors(objects())).toEqual([]);
  });

  it('has no field the Kubernetes API does not define', () => {
    expect(unknownFields(objects())).toEqual([]);
  });

  it('uses names and labels the API server accepts', () => {
    expect(checkNames(objects())).toEqual([]);
  });

  it('selects its own pods, labelled app=<name>', () => {
    expect(checkSelectorsAndLabels(objects())).toEqual([]);
  });

  it('runs the replica counts of the design', () => {
    expect(
      Object.fromEntries(
        workloadsOf(objects()).map((workload) => [
          workload.name,
          workload.replicas,
        ]),
      ),
    ).toEqual(replicasOf(directory));
  });

  it('probes routes that exist in HealthController', () => {
    expect(checkProbes(objects(), facts)).toEqual([]);
  });

  it('gives every container CPU and memory requests and limits', () => {
    expect(checkResources(objects())).toEqual([]);
  });

  it('runs every container non-root, read-only, without capabilities', () => {
    expect(checkSecurity(objects())).toEqual([]);
  });

  it('backs every Service and Ingress backend with pods and ports', () => {
    expect(checkServices(objects())).toEqual([]);
  });

  it('has one PodDisruptionBudget per Deployment, still allowing a drain', () => {
    expect(checkDisruptionBudgets(objects())).toEqual([]);
  });

  it('allows exactly the connections the code makes', () => {
    expect(allowedConnections(objects(), OUTSIDE)).toEqual(
      expectedConnections(directory),
    );
  });

  it('autoscales order only', () => {
    expect(
      objects()
        .filter((object) => object.kind === 'HorizontalPodAutoscaler')
        .map((object) => object.metadata.name),
    ).toEqual(['order']);
  });

  if (!SCRAPED.has(directory))
    it('needs no Prometheus Operator CRDs (applies on a plain cluster)', () => {
      expect(
        objects()
          .filter((object) =>
            object.apiVersion.startsWith('monitoring.coreos.com/'),
          )
          .map((object) => `${object.kind}/${object.metadata.name}`),
      ).toEqual([]);
    });

  // The base carries no Secrets (each overlay brings its own): only overlays can start.
  if (directory === BASE) return;

  it('produces every Secret and ConfigMap key the pods refer to', () => {
    expect(checkReferences(objects())).toEqual([]);
  });

  it('generates every Secret and ConfigMap (hash-named, never committed)', () => {
    expect(checkGeneratedConfiguration(objects())).toEqual([]);
  });

  it('starts every app: its zod schema accepts the rendered environment', () => {
    expect(checkEnvironment(objects(), facts)).toEqual([]);
  });

  it('exposes the port each app listens on (PORT)', () => {
    expect(checkPorts(objects(), facts)).toEqual([]);
  });

  it('shuts down within the grace period and spreads replicas', () => {
    expect(checkShutdownAndSpread(objects(), facts)).toEqual([]);
  });

  it('routes each controller path to its app, with affinity for memory sessions', () => {
    expect(checkEntryPoint(objects(), facts)).toEqual([]);
  });

  it('autoscales only workloads that can lose a pod for free', () => {
    expect(checkAutoscalers(objects(), facts)).toEqual([]);
  });

  it('never routes /metrics (or where an app serves it) through the entry point', () => {
    expect(checkMetricsNotPublic(objects(), facts)).toEqual([]);
  });

  if (SCRAPED.has(directory))
    it('lets Prometheus scrape every app pod at /metrics (annotations, ServiceMonitor, NetworkPolicy)', () => {
      expect(checkMetricsScraping(objects(), facts, PROMETHEUS)).toEqual([]);
    });
});

// ---------------------------------------------------------------------------------------------

const find = (objects: KubernetesObject[], kind: string, name: string) => {
  const object = objects.find(
    (candidate) => candidate.kind === kind && candidate.metadata.name === name,
  );
  if (!object) throw new Error(`fixture needs ${kind}/${name}`);
  return object as KubernetesObject & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
};
const podOf = (objects: KubernetesObject[], name: string) =>
  find(objects, 'Deployment', name).spec.template.spec;
const containerOf = (objects: KubernetesObject[], name: string) =>
  podOf(objects, name).containers[0];
const envOf = (objects: KubernetesObject[], name: string) =>
  containerOf(objects, name).env as { name: string; value?: string }[];

describe('deliberately broken manifests are caught by the same checks', () => {
  const broken = (mutate: Mutation) =>
    brokenCopy(rendered.get(DEV) ?? [], mutate);

  it.each<
    [string, Mutation, (objects: KubernetesObject[]) => string[], RegExp]
  >([
    [
      'a misspelt field (readinesProbe)',
      (objects) => {
        const container = containerOf(objects, 'cart-legacy');
        container.readinesProbe = container.readinessProbe;
        delete container.readinessProbe;
      },
      unknownFields,
      /containers\[0\]\.readinesProbe: unknown field \(did you mean "readinessProbe"\?\)/,
    ],
    [
      'the same misspelling, seen as a missing probe',
      (objects) => {
        const container = containerOf(objects, 'cart-legacy');
        container.readinesProbe = container.readinessProbe;
        delete container.readinessProbe;
      },
      (objects) => checkProbes(objects, facts),
      /cart-legacy container cart-legacy: no readinessProbe/,
    ],
    [
      'a wrong type (replicas: "3")',
      (objects) => {
        find(objects, 'Deployment', 'order').spec.replicas = '3';
      },
      schemaErrors,
      /Deployment\/order: .*replicas must be integer/,
    ],
    [
      'a probe path the app does not serve',
      (objects) => {
        containerOf(objects, 'order').livenessProbe.httpGet.path =
          '/healthz/alive';
      },
      (objects) => checkProbes(objects, facts),
      /livenessProbe path \/healthz\/alive is not a route of HealthController/,
    ],
    [
      'readiness probing the liveness route',
      (objects) => {
        containerOf(objects, 'auth').readinessProbe.httpGet.path =
          '/healthz/live';
      },
      (objects) => checkProbes(objects, facts),
      /readinessProbe path \/healthz\/live \(expected \/healthz\/ready\)/,
    ],
    [
      'a Deployment selector that misses its pods',
      (objects) => {
        find(objects, 'Deployment', 'order').spec.selector.matchLabels[
          'app.kubernetes.io/name'
        ] = 'orders';
      },
      checkSelectorsAndLabels,
      /Deployment\/order: selector .* does not select its own pod template/,
    ],
    [
      'a Service selector that matches nothing',
      (objects) => {
        find(objects, 'Service', 'cart').spec.selector[
          'app.kubernetes.io/name'
        ] = 'carts';
      },
      checkServices,
      /Service\/cart: selector .* matches no pod template/,
    ],
    [
      'a Service targetPort no container has',
      (objects) => {
        find(objects, 'Service', 'auth').spec.ports[0].targetPort = 'web';
      },
      checkServices,
      /Service\/auth: port http targets web, which Deployment\/auth does not expose/,
    ],
    [
      'a container without limits',
      (objects) => {
        delete containerOf(objects, 'cart').resources.limits;
      },
      checkResources,
      /Deployment\/cart container cart: no memory limit/,
    ],
    [
      'a container port other than PORT',
      (objects) => {
        containerOf(objects, 'order').ports[0].containerPort = 8080;
      },
      (objects) => checkPorts(objects, facts),
      /containerPort 8080 but the app listens on PORT 3000/,
    ],
    [
      'a required variable missing (ORDER_URL)',
      (objects) => {
        containerOf(objects, 'cart').env = envOf(objects, 'cart').filter(
          ({ name }) => name !== 'ORDER_URL',
        );
      },
      (objects) => checkEnvironment(objects, facts),
      /Deployment\/cart container cart: cart would not start: ORDER_URL/,
    ],
    [
      'a misspelt variable name (REDIS_ULR)',
      (objects) => {
        const variable = envOf(objects, 'order').find(
          ({ name }) => name === 'REDIS_URL',
        );
        if (variable) variable.name = 'REDIS_ULR';
      },
      (objects) => checkEnvironment(objects, facts),
      /sets REDIS_ULR \(from ConfigMap\/redis-connection-\w+\), which order does not read/,
    ],
    [
      'POD_NAME written as a literal',
      (objects) => {
        const variable = envOf(objects, 'auth').find(
          ({ name }) => name === 'POD_NAME',
        ) as Record<string, unknown>;
        delete variable.valueFrom;
        variable.value = 'auth';
      },
      (objects) => checkEnvironment(objects, facts),
      /POD_NAME must come from the downward API/,
    ],
    [
      'a Secret key nobody generates',
      (objects) => {
        const variable = envOf(objects, 'auth').find(
          ({ name }) => name === 'AUTH_USERS',
        ) as unknown as { valueFrom: { secretKeyRef: { key: string } } };
        variable.valueFrom.secretKeyRef.key = 'AUTH_USER';
      },
      checkReferences,
      /AUTH_USERS: key AUTH_USER of Secret\/auth-users-\w+ is not rendered/,
    ],
    [
      'a hand-written Secret',
      (objects) => {
        objects.push({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'auth-users', namespace: 'what-survives' },
          stringData: { AUTH_USERS: 'alice:alice' },
        });
      },
      checkGeneratedConfiguration,
      /Secret\/auth-users: not from a generator .* a committed secret/,
    ],
    [
      'a writable root filesystem',
      (objects) => {
        delete containerOf(objects, 'order').securityContext
          .readOnlyRootFilesystem;
      },
      checkSecurity,
      /Deployment\/order container order: readOnlyRootFilesystem is not true/,
    ],
    [
      'a grace period shorter than preStop + drain + in-flight',
      (objects) => {
        podOf(objects, 'cart').terminationGracePeriodSeconds = 15;
      },
      (objects) => checkShutdownAndSpread(objects, facts),
      /terminationGracePeriodSeconds 15 ≤ preStop 5 s \+ drain 3 s \+ in-flight 10 s/,
    ],
    [
      'a drain raised in the ConfigMap beyond the grace period',
      (objects) => {
        const config = objects.find((object) =>
          object.metadata.name.startsWith('platform-config'),
        ) as { data: Record<string, string> } | undefined;
        if (config) config.data.SHUTDOWN_DRAIN_MS = '20000';
      },
      (objects) => checkShutdownAndSpread(objects, facts),
      /terminationGracePeriodSeconds 30 ≤ preStop 5 s \+ drain 20 s/,
    ],
    [
      'no preStop drain',
      (objects) => {
        delete containerOf(objects, 'order').lifecycle;
      },
      (objects) => checkShutdownAndSpread(objects, facts),
      /Deployment\/order container order: no preStop sleep/,
    ],
    [
      'a Service name that is not a DNS label',
      (objects) => {
        find(objects, 'Service', 'cart-legacy').metadata.name = 'cart_legacy';
      },
      checkNames,
      /Service\/cart_legacy: name "cart_legacy" is not a DNS-1035 label/,
    ],
    [
      'a disruption budget that blocks every drain',
      (objects) => {
        find(objects, 'PodDisruptionBudget', 'auth').spec.minAvailable = 2;
      },
      checkDisruptionBudgets,
      /Deployment\/auth: PodDisruptionBudget auth allows no eviction at 2 replicas/,
    ],
    [
      'an autoscaler on the memory-session cart',
      (objects) => {
        const autoscaler = find(objects, 'HorizontalPodAutoscaler', 'order');
        autoscaler.spec.scaleTargetRef.name = 'cart-legacy';
      },
      (objects) => checkAutoscalers(objects, facts),
      /scales cart-legacy, whose sessions live in process memory/,
    ],
    [
      'memory sessions without cookie affinity',
      (objects) => {
        delete find(objects, 'Service', 'cart-legacy').metadata.annotations;
      },
      (objects) => checkEntryPoint(objects, facts),
      /Deployment\/cart-legacy keeps sessions in memory but its Service has no cookie affinity/,
    ],
    [
      'a controller path the entry point forgot (/menu)',
      (objects) => {
        const rule = find(objects, 'Ingress', 'what-survives').spec.rules[0];
        rule.http.paths = rule.http.paths.filter(
          (path: { path: string }) => path.path !== '/menu',
        );
      },
      (objects) => checkEntryPoint(objects, facts),
      /the entry point does not route \/menu \(served by order\)/,
    ],
    [
      'a ROUTE_PREFIX the entry point does not route',
      (objects) => {
        const variable = envOf(objects, 'cart-legacy').find(
          ({ name }) => name === 'ROUTE_PREFIX',
        );
        if (variable) variable.value = '/old-cart';
      },
      (objects) => checkEntryPoint(objects, facts),
      /the entry point does not route \/old-cart \(served by cart-legacy\)/,
    ],
    [
      'health routes exposed through the entry point',
      (objects) => {
        find(objects, 'Ingress', 'what-survives').spec.rules[0].http.paths.push(
          {
            path: '/healthz',
            pathType: 'Prefix',
            backend: { service: { name: 'order', port: { name: 'http' } } },
          },
        );
      },
      (objects) => checkEntryPoint(objects, facts),
      /the entry point routes \/healthz, which exposes the health routes/,
    ],
  ])('%s', (_case, mutate, check, finding) => {
    expect(check(broken(mutate))).toEqual(oneFinding(finding));
  });

  it('a missing default deny lets Redis open connections', () => {
    const connections = allowedConnections(
      broken((objects) => {
        objects.splice(
          objects.indexOf(find(objects, 'NetworkPolicy', 'default-deny')),
          1,
        );
      }),
      OUTSIDE,
    );
    // Every app has egress rules of its own; Redis relies on the default deny for its egress.
    expect(connections).not.toEqual(EXPECTED_CONNECTIONS);
    expect(connections).toContain('redis -> kube-dns:dns/UDP');
  });

  it('a missing DNS rule cuts every app off from kube-dns', () => {
    const connections = allowedConnections(
      broken((objects) => {
        objects.splice(
          objects.indexOf(find(objects, 'NetworkPolicy', 'allow-dns')),
          1,
        );
      }),
      OUTSIDE,
    );
    expect(connections.filter((line) => line.includes('kube-dns'))).toEqual([]);
  });

  it('an overlay without `namespace:` leaves the pods pointing at Secrets that do not exist', () => {
    // A real kustomization on disk (the first dev overlay had this bug): rendered, then checked.
    const objects = renderKustomization(
      join(__dirname, 'fixtures', 'overlay-without-namespace'),
    );
    expect(checkReferences(objects)).toEqual(
      oneFinding(
        /Deployment\/auth container auth: AUTH_USERS: key AUTH_USERS of Secret\/auth-users is not rendered/,
      ),
    );
    expect(checkReferences(objects)).toEqual(
      oneFinding(
        /Deployment\/auth volume signing-keys: Secret\/auth-signing-keys is not rendered/,
      ),
    );
  });
});

describe('deliberately broken scrape configuration is caught by the same checks', () => {
  const broken = (mutate: Mutation) =>
    brokenCopy(rendered.get(DEV_METRICS) ?? [], mutate);
  const monitor = (objects: KubernetesObject[]) =>
    find(objects, 'ServiceMonitor', 'apps');
  const scraping = (objects: KubernetesObject[]) =>
    checkMetricsScraping(objects, facts, PROMETHEUS);
  const notPublic = (objects: KubernetesObject[]) =>
    checkMetricsNotPublic(objects, facts);
  const route =
    (path: string, pathType = 'Prefix') =>
    (objects: KubernetesObject[]) => {
      find(objects, 'Ingress', 'what-survives').spec.rules[0].http.paths.push({
        path,
        pathType,
        backend: { service: { name: 'order', port: { name: 'http' } } },
      });
    };

  it.each<
    [string, Mutation, (objects: KubernetesObject[]) => string[], RegExp]
  >([
    [
      'a ServiceMonitor port the Services do not have',
      (objects) => {
        monitor(objects).spec.endpoints[0].port = 'metrics';
      },
      scraping,
      /ServiceMonitor\/apps endpoints\[0\]: port "metrics" is not a port of Service\/auth \(it has http\)/,
    ],
    [
      'a misspelt ServiceMonitor field (endpoint)',
      (objects) => {
        const spec = monitor(objects).spec;
        spec.endpoint = spec.endpoints;
        delete spec.endpoints;
      },
      unknownFields,
      /ServiceMonitor\/apps\.spec\.endpoint: unknown field \(did you mean "endpoints"\?\)/,
    ],
    [
      'the same misspelling, seen as a missing required field',
      (objects) => {
        const spec = monitor(objects).spec;
        spec.endpoint = spec.endpoints;
        delete spec.endpoints;
      },
      schemaErrors,
      /ServiceMonitor\/apps: \.spec must have required property 'endpoints'/,
    ],
    [
      'a misspelt endpoint field (intervall)',
      (objects) => {
        const endpoint = monitor(objects).spec.endpoints[0];
        endpoint.intervall = endpoint.interval;
        delete endpoint.interval;
      },
      unknownFields,
      /ServiceMonitor\/apps\.spec\.endpoints\[0\]\.intervall: unknown field \(did you mean "interval"\?\)/,
    ],
    [
      'a misspelt ServiceMonitor metadata field (label)',
      (objects) => {
        const metadata = monitor(objects).metadata as Record<string, unknown>;
        metadata.label = metadata.labels;
        delete metadata.labels;
      },
      unknownFields,
      /ServiceMonitor\/apps\.metadata\.label: unknown field \(did you mean "labels"\?\)/,
    ],
    [
      'an interval Prometheus cannot read',
      (objects) => {
        monitor(objects).spec.endpoints[0].interval = '15 seconds';
      },
      schemaErrors,
      /ServiceMonitor\/apps: \.spec\.endpoints\[0\]\.interval must match pattern/,
    ],
    [
      'a scrape timeout longer than the interval',
      (objects) => {
        monitor(objects).spec.endpoints[0].scrapeTimeout = '1m';
      },
      scraping,
      /endpoints\[0\]: scrapeTimeout 1m exceeds interval 15s/,
    ],
    [
      'a scrape path the apps do not serve',
      (objects) => {
        monitor(objects).spec.endpoints[0].path = '/prometheus';
      },
      scraping,
      /endpoints\[0\]: path \/prometheus, but the apps serve their metrics at \/metrics/,
    ],
    [
      'a ServiceMonitor selecting by a label the Services lack',
      (objects) => {
        monitor(objects).spec.selector = {
          matchLabels: { 'app.kubernetes.io/component': 'api' },
        };
      },
      scraping,
      /Service\/cart-legacy: no ServiceMonitor selects it/,
    ],
    [
      'a ServiceMonitor that also selects Redis',
      (objects) => {
        monitor(objects).spec.selector = {
          matchExpressions: [
            { key: 'app.kubernetes.io/name', operator: 'Exists' },
          ],
        };
      },
      scraping,
      /ServiceMonitor\/apps: selects Service\/redis, whose pods serve no \/metrics/,
    ],
    [
      "a ServiceMonitor outside the apps' namespace (an overlay without `namespace:`)",
      (objects) => {
        delete monitor(objects).metadata.namespace;
      },
      scraping,
      /ServiceMonitor\/apps: selector .* selects no Service \(by Service labels\) in namespace \(unset: wherever kubectl applies it\)/,
    ],
    [
      'an annotation port other than the container port',
      (objects) => {
        find(objects, 'Deployment', 'order').spec.template.metadata.annotations[
          'prometheus.io/port'
        ] = '8080';
      },
      scraping,
      /Deployment\/order container order: pod annotation prometheus\.io\/port is 8080 but \/metrics is served on containerPort 3000 \(http\)/,
    ],
    [
      'a Deployment without the scrape annotations',
      (objects) => {
        delete find(objects, 'Deployment', 'cart-legacy').spec.template.metadata
          .annotations;
      },
      scraping,
      /Deployment\/cart-legacy container cart-legacy: pod annotation prometheus\.io\/scrape is undefined/,
    ],
    [
      'no NetworkPolicy admitting Prometheus (the default deny drops the scrapes)',
      (objects) => {
        objects.splice(
          objects.indexOf(
            find(objects, 'NetworkPolicy', 'allow-metrics-scrape'),
          ),
          1,
        );
      },
      scraping,
      /Deployment\/auth: the NetworkPolicies do not admit prometheus \(namespace monitoring\) to port http/,
    ],
    [
      'the entry point routing /metrics',
      route('/metrics'),
      notPublic,
      /Ingress\/what-survives path \/metrics \(Prefix\) routes \/metrics to Service\/order: metrics are for Prometheus/,
    ],
    [
      'a catch-all route (/)',
      route('/'),
      notPublic,
      /Ingress\/what-survives path \/ \(Prefix\) routes \/metrics/,
    ],
    [
      'an ImplementationSpecific /m route (a string prefix of /metrics for Traefik)',
      route('/m', 'ImplementationSpecific'),
      notPublic,
      /path \/m \(ImplementationSpecific\) routes \/metrics/,
    ],
    [
      'a default backend',
      (objects) => {
        find(objects, 'Ingress', 'what-survives').spec.defaultBackend = {
          service: { name: 'order', port: { name: 'http' } },
        };
      },
      notPublic,
      /Ingress\/what-survives: a default backend routes every unmatched path, \/metrics included/,
    ],
  ])('%s', (_case, mutate, check, finding) => {
    expect(check(broken(mutate))).toEqual(oneFinding(finding));
  });

  it('a global prefix that swallows /metrics: 404 for Prometheus, public under /cart', () => {
    // The code facts as if apps/cart/src/main.ts left `metrics` out of the prefix's exclusions.
    const cart = facts.apps.cart;
    const swallowed: CodeFacts = {
      ...facts,
      apps: {
        ...facts.apps,
        cart: {
          ...cart,
          globalPrefixExclusions: (cart.globalPrefixExclusions ?? []).filter(
            (route) => route !== facts.metricsRoute,
          ),
        },
      },
    };
    const objects = rendered.get(DEV_METRICS) ?? [];
    expect(checkMetricsNotPublic(objects, swallowed)).toEqual(
      oneFinding(
        /Ingress\/what-survives path \/cart \(Prefix\) routes \/cart\/metrics to cart, which serves its metrics there/,
      ),
    );
    expect(checkMetricsNotPublic(objects, swallowed)).toEqual(
      oneFinding(
        /path \/legacy-cart \(Prefix\) routes \/legacy-cart\/metrics to cart-legacy/,
      ),
    );
    expect(checkMetricsScraping(objects, swallowed, PROMETHEUS)).toEqual(
      oneFinding(
        /apps\/cart\/src\/main\.ts: the global prefix does not exclude \/metrics, so the app serves its metrics under the prefix/,
      ),
    );
  });

  it('a ServiceMonitor port that does not exist, in a real kustomization on disk', () => {
    const objects = renderKustomization(
      join(__dirname, 'fixtures', 'metrics-wrong-port'),
    );
    expect(checkMetricsScraping(objects, facts, PROMETHEUS)).toEqual(
      oneFinding(
        /ServiceMonitor\/apps endpoints\[0\]: port "metrics" is not a port of Service\/order \(it has http\), so Prometheus finds no target there/,
      ),
    );
    // A valid object all the same: only the cross-check with the Services sees it.
    expect(schemaErrors(objects)).toEqual([]);
    expect(unknownFields(objects)).toEqual([]);
  });
});
