/**
 * Policy checks over rendered manifests: what no schema knows, tied to the code where the code
 * decides (routes, ports, environment, shutdown timing). Each check returns its findings as
 * readable lines (`Deployment/cart container cart: ...`); none means it holds. The real manifests
 * and the deliberately broken ones in broken-manifests.spec.ts go through these same functions.
 */
import type { Deployment, StatefulSet } from 'kubernetes-types/apps/v1';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2';
import type {
  Container,
  ContainerPort,
  PodSpec,
  PodTemplateSpec,
  Probe,
  Service,
} from 'kubernetes-types/core/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import type {
  Ingress,
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
} from 'kubernetes-types/networking/v1';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import { appOfImage, type AppFacts, type CodeFacts } from './code-facts';
import { type KubernetesObject, nameOf } from './rendering';

type Labels = Record<string, string>;

// ---------------------------------------------------------------------------------------------
// Looking things up in a rendered set

const ofKind = <T>(objects: KubernetesObject[], kind: string) =>
  objects.filter((object) => object.kind === kind) as unknown as (T &
    KubernetesObject)[];

export interface Workload {
  object: KubernetesObject;
  name: string;
  replicas: number;
  selector?: LabelSelector;
  template: PodTemplateSpec;
  pod: PodSpec;
  namespace?: string;
}

export function workloadsOf(objects: KubernetesObject[]): Workload[] {
  return [
    ...ofKind<Deployment>(objects, 'Deployment'),
    ...ofKind<StatefulSet>(objects, 'StatefulSet'),
  ].map((object) => ({
    object,
    name: object.metadata.name,
    namespace: object.metadata.namespace,
    replicas: object.spec?.replicas ?? 1,
    selector: object.spec?.selector,
    template: object.spec?.template ?? {},
    pod: object.spec?.template?.spec ?? { containers: [] },
  }));
}

interface AppContainer {
  workload: Workload;
  container: Container;
  app: AppFacts;
  where: string;
}

/** Containers that run one of our apps (by image), with the app's facts. */
function appContainersOf(
  objects: KubernetesObject[],
  facts: CodeFacts,
): AppContainer[] {
  return workloadsOf(objects).flatMap((workload) =>
    workload.pod.containers.flatMap((container) => {
      const app = appOfImage(facts, container.image);
      return app
        ? [
            {
              workload,
              container,
              app,
              where: `${nameOf(workload.object)} container ${container.name}`,
            },
          ]
        : [];
    }),
  );
}

function allContainersOf(objects: KubernetesObject[]) {
  return workloadsOf(objects).flatMap((workload) =>
    [...(workload.pod.initContainers ?? []), ...workload.pod.containers].map(
      (container) => ({
        workload,
        container,
        where: `${nameOf(workload.object)} container ${container.name}`,
      }),
    ),
  );
}

/** Does a label selector select these labels? (matchLabels and matchExpressions, as the API.) */
export function selects(
  selector: LabelSelector | undefined,
  labels: Labels = {},
): boolean {
  if (!selector) return false;
  const matchLabels = Object.entries(selector.matchLabels ?? {}).every(
    ([key, value]) => labels[key] === value,
  );
  const matchExpressions = (selector.matchExpressions ?? []).every(
    ({ key, operator, values = [] }) => {
      switch (operator) {
        case 'In':
          return key in labels && values.includes(labels[key]);
        case 'NotIn':
          return !(key in labels) || !values.includes(labels[key]);
        case 'Exists':
          return key in labels;
        case 'DoesNotExist':
          return !(key in labels);
        default:
          return false;
      }
    },
  );
  return matchLabels && matchExpressions;
}

const isEmptySelector = (selector: LabelSelector | undefined) =>
  !selector ||
  (Object.keys(selector.matchLabels ?? {}).length === 0 &&
    (selector.matchExpressions ?? []).length === 0);

// ---------------------------------------------------------------------------------------------
// Names: what the API server validates and no offline schema does

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const IANA_SERVICE_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9]|-(?=[a-z0-9]))*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function labelProblems(labels: Labels | undefined, where: string): string[] {
  return Object.entries(labels ?? {}).flatMap(([key, value]) => {
    const problems: string[] = [];
    const [prefix, name] = key.includes('/')
      ? key.split('/', 2)
      : [undefined, key];
    if (
      !LABEL_NAME.test(name) ||
      name.length > 63 ||
      (prefix !== undefined &&
        (!DNS1123_SUBDOMAIN.test(prefix) || prefix.length > 253))
    )
      problems.push(`${where}: invalid label key "${key}"`);
    if (
      typeof value !== 'string' ||
      !LABEL_VALUE.test(value) ||
      value.length > 63
    )
      problems.push(`${where}: invalid label value ${key}=${String(value)}`);
    return problems;
  });
}

/** Names the API server would refuse: DNS-1123/1035 names, port names, label syntax. */
export function checkNames(objects: KubernetesObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const name = object.metadata?.name ?? '';
    const where = nameOf(object);
    // Namespaces and Services become DNS labels; a Service name must also start with a letter.
    const [pattern, limit, rule] =
      object.kind === 'Service'
        ? [DNS1035_LABEL, 63, 'a DNS-1035 label']
        : object.kind === 'Namespace'
          ? [DNS1123_LABEL, 63, 'a DNS-1123 label']
          : [DNS1123_SUBDOMAIN, 253, 'a DNS-1123 subdomain'];
    if (!pattern.test(name) || name.length > limit)
      problems.push(`${where}: name "${name}" is not ${rule}`);
    if (
      object.metadata?.namespace !== undefined &&
      !DNS1123_LABEL.test(object.metadata.namespace)
    )
      problems.push(
        `${where}: namespace "${object.metadata.namespace}" is not a DNS-1123 label`,
      );
    problems.push(...labelProblems(object.metadata?.labels, where));
  }
  for (const workload of workloadsOf(objects)) {
    problems.push(
      ...labelProblems(
        workload.template.metadata?.labels,
        `${nameOf(workload.object)} pod template`,
      ),
    );
    // Pod names are `<workload>-<hash>-<suffix>` and end up as DNS labels (hostnames).
    if (workload.name.length > 52)
      problems.push(
        `${nameOf(workload.object)}: name longer than 52 characters leaves no room for pod suffixes`,
      );
  }
  for (const { container, where } of allContainersOf(objects)) {
    if (!DNS1123_LABEL.test(container.name))
      problems.push(`${where}: container name is not a DNS-1123 label`);
    for (const port of container.ports ?? [])
      if (
        port.name !== undefined &&
        (!IANA_SERVICE_NAME.test(port.name) || port.name.length > 15)
      )
        problems.push(
          `${where}: port name "${port.name}" is not an IANA service name (≤ 15 characters, a letter, no "--")`,
        );
  }
  for (const service of ofKind<Service>(objects, 'Service'))
    for (const port of service.spec?.ports ?? [])
      if (
        port.name !== undefined &&
        (!IANA_SERVICE_NAME.test(port.name) || port.name.length > 15)
      )
        problems.push(
          `${nameOf(service)}: port name "${port.name}" is not an IANA service name`,
        );
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Selectors and labels

/**
 * Every workload selects its own pod template (the API server refuses one that does not), and
 * every pod carries `app` and `app.kubernetes.io/name` equal to the workload's name, which is
 * what `kubectl delete pod -l app=<name>` in the docs relies on.
 */
export function checkSelectorsAndLabels(objects: KubernetesObject[]): string[] {
  const problems: string[] = [];
  for (const workload of workloadsOf(objects)) {
    const where = nameOf(workload.object);
    const labels = workload.template.metadata?.labels ?? {};
    if (isEmptySelector(workload.selector))
      problems.push(`${where}: empty selector`);
    else if (!selects(workload.selector, labels))
      problems.push(
        `${where}: selector ${JSON.stringify(workload.selector)} does not select its own pod template labels ${JSON.stringify(labels)}`,
      );
    for (const key of ['app', 'app.kubernetes.io/name'])
      if (labels[key] !== workload.name)
        problems.push(
          `${where}: pod label ${key}=${labels[key]} (expected ${workload.name})`,
        );
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Probes and ports

function probeProblems(
  probe: Probe | undefined,
  kind: string,
  expectedPath: string | undefined,
  container: Container,
  where: string,
  routes: string[],
): string[] {
  if (!probe) return [`${where}: no ${kind}`];
  const httpGet = probe.httpGet;
  if (!httpGet) return [`${where}: ${kind} is not an HTTP GET on /healthz`];
  const problems: string[] = [];
  if (httpGet.port !== 'http')
    problems.push(
      `${where}: ${kind} port ${httpGet.port} (expected the named port "http")`,
    );
  if (!(container.ports ?? []).some((port) => port.name === httpGet.port))
    problems.push(
      `${where}: ${kind} port "${httpGet.port}" is not a port of the container`,
    );
  if (!httpGet.path || !routes.includes(httpGet.path))
    problems.push(
      `${where}: ${kind} path ${httpGet.path} is not a route of HealthController (${routes.join(', ')})`,
    );
  else if (expectedPath && httpGet.path !== expectedPath)
    problems.push(
      `${where}: ${kind} path ${httpGet.path} (expected ${expectedPath})`,
    );
  return problems;
}

/**
 * Liveness and startup probe the `live` handler, readiness the `ready` handler, on the named
 * port `http`; the paths come from HealthController's route metadata. An app with a global
 * prefix must leave those routes out of it, or the probe would miss by the prefix.
 */
export function checkProbes(
  objects: KubernetesObject[],
  facts: CodeFacts,
): string[] {
  const routes = Object.values(facts.healthRoutes);
  return appContainersOf(objects, facts).flatMap(
    ({ container, where, app }) => [
      ...probeProblems(
        container.startupProbe,
        'startupProbe',
        facts.healthRoutes.live,
        container,
        where,
        routes,
      ),
      ...probeProblems(
        container.livenessProbe,
        'livenessProbe',
        facts.healthRoutes.live,
        container,
        where,
        routes,
      ),
      ...probeProblems(
        container.readinessProbe,
        'readinessProbe',
        facts.healthRoutes.ready,
        container,
        where,
        routes,
      ),
      ...(app.globalPrefixExclusions === undefined
        ? []
        : routes
            .filter((route) => !app.globalPrefixExclusions?.includes(route))
            .map(
              (route) =>
                `apps/${app.app}/src/main.ts: the global prefix does not exclude ${route}, so the probe path would need the prefix`,
            )),
    ],
  );
}

// ---------------------------------------------------------------------------------------------
// Environment: resolved the way the kubelet resolves it

interface ResolvedEnvironment {
  values: Record<string, string>;
  /** Variable name → where its value comes from (`value`, `ConfigMap/x`, `fieldRef:...`, ...). */
  sources: Record<string, string>;
  problems: string[];
}

export function dataOf(
  objects: KubernetesObject[],
  kind: 'ConfigMap' | 'Secret',
  name: string,
): Record<string, string> | undefined {
  const object = objects.find(
    (candidate) => candidate.kind === kind && candidate.metadata?.name === name,
  );
  if (!object) return undefined;
  const data = (object.data ?? {}) as Record<string, string>;
  const decoded =
    kind === 'Secret'
      ? Object.fromEntries(
          Object.entries(data).map(([key, value]) => [
            key,
            Buffer.from(value, 'base64').toString('utf8'),
          ]),
        )
      : data;
  return {
    ...decoded,
    ...((object.stringData ?? {}) as Record<string, string>),
  };
}

export function resolveEnvironment(
  container: Container,
  objects: KubernetesObject[],
): ResolvedEnvironment {
  const values: Record<string, string> = {};
  const sources: Record<string, string> = {};
  const problems: string[] = [];
  for (const source of container.envFrom ?? []) {
    const reference = source.configMapRef ?? source.secretRef;
    const kind = source.configMapRef ? 'ConfigMap' : 'Secret';
    const data = reference?.name
      ? dataOf(objects, kind, reference.name)
      : undefined;
    if (!data) {
      if (!reference?.optional)
        problems.push(`envFrom ${kind}/${reference?.name} is not rendered`);
      continue;
    }
    for (const [key, value] of Object.entries(data)) {
      values[`${source.prefix ?? ''}${key}`] = value;
      sources[`${source.prefix ?? ''}${key}`] = `${kind}/${reference?.name}`;
    }
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (!from) {
      values[variable.name] = variable.value ?? '';
      sources[variable.name] = 'value';
      continue;
    }
    if (from.fieldRef) {
      values[variable.name] = `<${from.fieldRef.fieldPath}>`;
      sources[variable.name] = `fieldRef:${from.fieldRef.fieldPath}`;
      continue;
    }
    const reference = from.configMapKeyRef ?? from.secretKeyRef;
    const kind = from.configMapKeyRef ? 'ConfigMap' : 'Secret';
    if (!reference) {
      values[variable.name] = `<${Object.keys(from).join(',')}>`;
      sources[variable.name] = Object.keys(from).join(',');
      continue;
    }
    const value = dataOf(objects, kind, reference.name ?? '')?.[reference.key];
    if (value === undefined) {
      if (!reference.optional)
        problems.push(
          `${variable.name}: key ${reference.key} of ${kind}/${reference.name} is not rendered`,
        );
      continue;
    }
    values[variable.name] = value;
    sources[variable.name] = `${kind}/${reference.name}`;
  }
  return { values, sources, problems };
}

/** The app's own view of its configuration: the schema's parse of the resolved environment. */
export function parsedEnvironment(
  container: Container,
  app: AppFacts,
  objects: KubernetesObject[],
): Record<string, unknown> | undefined {
  const result = app.environmentSchema.safeParse(
    resolveEnvironment(container, objects).values,
  );
  return result.success ? (result.data as Record<string, unknown>) : undefined;
}

/**
 * The app starts with this environment: its own zod schema accepts the resolved values (every
 * required variable set, every value well-formed); every variable the manifest sets is one the
 * schema reads (a misspelt name would silently fall back to the default); POD_NAME comes from
 * the downward API; AUTH_KEYS_DIR, when used, is a mounted Secret.
 */
export function checkEnvironment(
  objects: KubernetesObject[],
  facts: CodeFacts,
): string[] {
  const problems: string[] = [];
  for (const { container, workload, where, app } of appContainersOf(
    objects,
    facts,
  )) {
    const environment = resolveEnvironment(container, objects);
    problems.push(...environment.problems.map((line) => `${where}: ${line}`));
    const result = app.environmentSchema.safeParse(environment.values);
    if (!result.success)
      for (const issue of result.error.issues)
        problems.push(
          `${where}: ${app.app} would not start: ${issue.path.join('.')}: ${issue.message}`,
        );
    for (const name of Object.keys(environment.values))
      if (!app.environmentVariables.includes(name))
        problems.push(
          `${where}: sets ${name} (from ${environment.sources[name]}), which ${app.app} does not read`,
        );
    if (environment.sources.POD_NAME !== 'fieldRef:metadata.name')
      problems.push(
        `${where}: POD_NAME must come from the downward API (metadata.name)`,
      );
    const keysDirectory = environment.values.AUTH_KEYS_DIR;
    if (keysDirectory !== undefined) {
      const mount = (container.volumeMounts ?? []).find(
        (candidate) => candidate.mountPath === keysDirectory,
      );
      const volume = workload.pod.volumes?.find(
        (candidate) => candidate.name === mount?.name,
      );
      const secret = volume?.secret?.secretName
        ? dataOf(objects, 'Secret', volume.secret.secretName)
        : undefined;
      if (!volume?.secret)
        problems.push(
          `${where}: AUTH_KEYS_DIR ${keysDirectory} is not a mounted Secret`,
        );
      else if (
        secret !== undefined &&
        !Object.keys(secret).some((key) => /\.(pem|jwk\.json)$/.test(key))
      )
        problems.push(
          `${where}: Secret ${volume.secret.secretName} mounted at AUTH_KEYS_DIR holds no <kid>.pem`,
        );
    }
  }
  return problems;
}

/** Every ConfigMap/Secret a pod refers to (env, envFrom, volumes) is rendered, with its keys. */
export function checkReferences(objects: KubernetesObject[]): string[] {
  const problems: string[] = [];
  for (const { container, where } of allContainersOf(objects))
    problems.push(
      ...resolveEnvironment(container, objects).problems.map(
        (line) => `${where}: ${line}`,
      ),
    );
  for (const workload of workloadsOf(objects))
    for (const volume of workload.pod.volumes ?? []) {
      const reference = volume.secret
        ? {
            kind: 'Secret' as const,
            name: volume.secret.secretName,
            items: volume.secret.items,
            optional: volume.secret.optional,
          }
        : volume.configMap
          ? {
              kind: 'ConfigMap' as const,
              name: volume.configMap.name,
              items: volume.configMap.items,
              optional: volume.configMap.optional,
            }
          : undefined;
      if (!reference || reference.optional) continue;
      const data = dataOf(objects, reference.kind, reference.name ?? '');
      const where = `${nameOf(workload.object)} volume ${volume.name}`;
      if (!data)
        problems.push(
          `${where}: ${reference.kind}/${reference.name} is not rendered`,
        );
      else
        for (const item of reference.items ?? [])
          if (!(item.key in data))
            problems.push(
              `${where}: key ${item.key} of ${reference.kind}/${reference.name} is not rendered`,
            );
    }
  return problems;
}

/**
 * Every Secret and ConfigMap comes from a kustomize generator: its name carries the content hash,
 * so a changed value rolls the pods that use it, and no Secret value sits in a committed manifest.
 */
export function checkGeneratedConfiguration(
  objects: KubernetesObject[],
): string[] {
  return objects
    .filter(
      (object) =>
        (object.kind === 'Secret' || object.kind === 'ConfigMap') &&
        !/-[a-z0-9]{10}$/.test(object.metadata.name),
    )
    .map(
      (object) =>
        `${nameOf(object)}: not from a generator (no content-hash suffix)${object.kind === 'Secret' ? '; a hand-written Secret means a committed secret' : ''}`,
    );
}

/** The container's `http` port is the port the app listens on (PORT, as the schema parses it). */
export function checkPorts(
  objects: KubernetesObject[],
  facts: CodeFacts,
): string[] {
  const problems: string[] = [];
  for (const { container, where, app } of appContainersOf(objects, facts)) {
    const http = (container.ports ?? []).find((port) => port.name === 'http');
    const environment = parsedEnvironment(container, app, objects);
    const listening = environment?.PORT;
    if (!environment)
      problems.push(
        `${where}: the environment does not parse, so the listening port is unknown`,
      );
    if (!http) problems.push(`${where}: no container port named "http"`);
    else if (listening !== undefined && http.containerPort !== listening)
      problems.push(
        `${where}: containerPort ${http.containerPort} but the app listens on PORT ${String(listening)}`,
      );
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Services and the entry point

function portOf(
  ports: ContainerPort[],
  target: number | string | undefined,
): ContainerPort | undefined {
  return ports.find((port) =>
    typeof target === 'string'
      ? port.name === target
      : port.containerPort === target,
  );
}

/**
 * Every Service selects pods of some workload (in its namespace) and its targetPort names a
 * port every selected pod has. Every Ingress backend is a rendered Service and one of its ports.
 */
export function checkServices(objects: KubernetesObject[]): string[] {
  const problems: string[] = [];
  const workloads = workloadsOf(objects);
  const services = ofKind<Service>(objects, 'Service');
  for (const service of services) {
    const where = nameOf(service);
    const selector = service.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) {
      problems.push(`${where}: no selector`);
      continue;
    }
    const selected = workloads.filter(
      (workload) =>
        workload.namespace === service.metadata.namespace &&
        selects({ matchLabels: selector }, workload.template.metadata?.labels),
    );
    if (selected.length === 0)
      problems.push(
        `${where}: selector ${JSON.stringify(selector)} matches no pod template`,
      );
    for (const port of service.spec?.ports ?? [])
      for (const workload of selected) {
        const target = port.targetPort ?? port.port;
        const containerPorts = workload.pod.containers.flatMap(
          (container) => container.ports ?? [],
        );
        if (!portOf(containerPorts, target))
          problems.push(
            `${where}: port ${port.name ?? port.port} targets ${target}, which ${nameOf(workload.object)} does not expose`,
          );
      }
  }
  for (const ingress of ofKind<Ingress>(objects, 'Ingress'))
    for (const rule of ingress.spec?.rules ?? [])
      for (const path of rule.http?.paths ?? []) {
        const backend = path.backend.service;
        const service = services.find(
          (candidate) => candidate.metadata.name === backend?.name,
        );
        const where = `${nameOf(ingress)} path ${path.path}`;
        if (!service) {
          problems.push(
            `${where}: backend Service ${backend?.name} is not rendered`,
          );
          continue;
        }
        const port = (service.spec?.ports ?? []).find((candidate) =>
          backend?.port?.name !== undefined
            ? candidate.name === backend.port.name
            : candidate.port === backend?.port?.number,
        );
        if (!port)
          problems.push(
            `${where}: Service ${service.metadata.name} has no port ${backend?.port?.name ?? backend?.port?.number}`,
          );
      }
  return problems;
}

/** The paths each workload must receive through the entry point, from its controllers. */
export function expectedRoutes(
  objects: KubernetesObject[],
  facts: CodeFacts,
): { path: string; workload: string }[] {
  return appContainersOf(objects, facts).flatMap(
    ({ container, workload, app }) => {
      const prefix = parsedEnvironment(container, app, objects)
        ?.ROUTE_PREFIX as string | undefined;
      return [
        ...new Set(
          app.controllerPaths.map((path) =>
            path === '/' ? (prefix ?? '/') : path,
          ),
        ),
      ].map((path) => ({ path, workload: workload.name }));
    },
  );
}

/**
 * The entry point routes every controller path (and each cart's ROUTE_PREFIX) to the Service of
 * the workload that serves it, nothing else, and never the health routes. A workload whose
 * sessions live in memory gets cookie affinity on its Service (else every request would land on
 * a random pod that has never seen the session).
 */
export function checkEntryPoint(
  objects: KubernetesObject[],
  facts: CodeFacts,
): string[] {
  const problems: string[] = [];
  const services = ofKind<Service>(objects, 'Service');
  const workloads = workloadsOf(objects);
  const serviceOf = (serviceName: string | undefined) =>
    services.find((service) => service.metadata.name === serviceName);
  const routed = ofKind<Ingress>(objects, 'Ingress').flatMap((ingress) =>
    (ingress.spec?.rules ?? []).flatMap((rule) =>
      (rule.http?.paths ?? []).map((path) => {
        const service = serviceOf(path.backend.service?.name);
        const workload = workloads.find((candidate) =>
          selects(
            { matchLabels: service?.spec?.selector ?? {} },
            candidate.template.metadata?.labels,
          ),
        );
        return {
          path: path.path ?? '/',
          pathType: path.pathType,
          workload: workload?.name,
        };
      }),
    ),
  );
  const expected = expectedRoutes(objects, facts);
  for (const route of expected) {
    const match = routed.find((candidate) => candidate.path === route.path);
    if (!match)
      problems.push(
        `the entry point does not route ${route.path} (served by ${route.workload})`,
      );
    else if (match.workload !== route.workload)
      problems.push(
        `the entry point routes ${route.path} to ${match.workload}, but ${route.workload} serves it`,
      );
    else if (match.pathType !== 'Prefix')
      problems.push(
        `the entry point routes ${route.path} as ${match.pathType}; ${route.workload} serves everything below it (Prefix)`,
      );
  }
  const healthRoutes = Object.values(facts.healthRoutes);
  for (const route of routed) {
    if (
      healthRoutes.some(
        (health) =>
          health === route.path || health.startsWith(`${route.path}/`),
      ) ||
      route.path === '/'
    )
      problems.push(
        `the entry point routes ${route.path}, which exposes the health routes`,
      );
    if (!expected.some((candidate) => candidate.path === route.path))
      problems.push(
        `the entry point routes ${route.path}, which no controller serves`,
      );
  }
  for (const { container, workload, app } of appContainersOf(objects, facts)) {
    if (parsedEnvironment(container, app, objects)?.SESSION_STORE !== 'memory')
      continue;
    const service = services.find((candidate) =>
      selects(
        { matchLabels: candidate.spec?.selector ?? {} },
        workload.template.metadata?.labels,
      ),
    );
    const annotations = service?.metadata?.annotations ?? {};
    if (
      annotations['traefik.ingress.kubernetes.io/service.sticky.cookie'] !==
      'true'
    )
      problems.push(
        `${nameOf(workload.object)} keeps sessions in memory but its Service has no cookie affinity`,
      );
    else if (
      annotations[
        'traefik.ingress.kubernetes.io/service.sticky.cookie.httponly'
      ] !== 'true'
    )
      problems.push(
        `${nameOf(workload.object)}: the affinity cookie must be HttpOnly like every cookie of the stack`,
      );
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Pod hygiene: resources, security, shutdown

const CPU = /^(\d+(\.\d+)?)(m?)$/;
const MEMORY = /^(\d+(\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

function quantity(
  resource: 'cpu' | 'memory',
  value: string | number | undefined,
): number | undefined {
  if (value === undefined) return undefined;
  const match = (resource === 'cpu' ? CPU : MEMORY).exec(String(value));
  if (!match) return Number.NaN;
  return resource === 'cpu'
    ? Number(match[1]) / (match[3] === 'm' ? 1000 : 1)
    : Number(match[1]) * MEMORY_UNITS[match[3] ?? ''];
}

/** Every container requests and limits CPU and memory, and requests no more than its limit. */
export function checkResources(objects: KubernetesObject[]): string[] {
  const problems: string[] = [];
  for (const { container, where } of allContainersOf(objects))
    for (const resource of ['cpu', 'memory'] as const) {
      const request = quantity(
        resource,
        container.resources?.requests?.[resource],
      );
      const limit = quantity(resource, container.resources?.limits?.[resource]);
      if (request === undefined)
        problems.push(`${where}: no ${resource} request`);
      if (limit === undefined) problems.push(`${where}: no ${resource} limit`);
      if (Number.isNaN(request) || Number.isNaN(limit))
        problems.push(`${where}: unreadable ${resource} quantity`);
      else if (request !== undefined && limit !== undefined && request > limit)
        problems.push(`${where}: ${resource} request above its limit`);
    }
  return problems;
}

/**
 * The restricted Pod Security profile and then some: non-root, no privilege escalation, a
 * read-only root filesystem, every capability dropped, the runtime's seccomp profile, no
 * service-account token, and /tmp as the one writable (emptyDir) place.
 */
export function checkSecurity(objects: KubernetesObject[]): string[] {
  const problems: string[] = [];
  for (const { workload, container, where } of allContainersOf(objects)) {
    const pod = workload.pod.securityContext ?? {};
    const own = container.securityContext ?? {};
    if ((own.runAsNonRoot ?? pod.runAsNonRoot) !== true)
      problems.push(`${where}: runAsNonRoot is not true`);
    if ((own.runAsUser ?? pod.runAsUser) === 0)
      problems.push(`${where}: runs as uid 0`);
    if (own.allowPrivilegeEscalation !== false)
      problems.push(`${where}: allowPrivilegeEscalation is not false`);
    if (own.readOnlyRootFilesystem !== true)
      problems.push(`${where}: readOnlyRootFilesystem is not true`);
    if (!(own.capabilities?.drop ?? []).includes('ALL'))
      problems.push(`${where}: capabilities.drop does not include ALL`);
    if ((own.capabilities?.add ?? []).length > 0)
      problems.push(`${where}: adds capabilities`);
    if ((own.privileged ?? false) !== false)
      problems.push(`${where}: privileged`);
    if ((own.seccompProfile ?? pod.seccompProfile)?.type !== 'RuntimeDefault')
      problems.push(`${where}: seccompProfile is not RuntimeDefault`);
    const tmp = (container.volumeMounts ?? []).find(
      (mount) => mount.mountPath === '/tmp',
    );
    const tmpVolume = workload.pod.volumes?.find(
      (volume) => volume.name === tmp?.name,
    );
    if (!tmpVolume?.emptyDir)
      problems.push(`${where}: no emptyDir mounted at /tmp`);
  }
  for (const workload of workloadsOf(objects)) {
    const where = nameOf(workload.object);
    if (workload.pod.automountServiceAccountToken !== false)
      problems.push(`${where}: automountServiceAccountToken is not false`);
    if (
      workload.pod.hostNetwork ||
      workload.pod.hostPID ||
      workload.pod.hostIPC
    )
      problems.push(`${where}: shares a host namespace`);
  }
  return problems;
}

/**
 * Graceful shutdown fits the grace period: terminationGracePeriodSeconds exceeds the preStop
 * sleep + the app's drain (SHUTDOWN_DRAIN_MS as the app parses it, default included) + the
 * in-flight budget of libs/platform's shutdown. Otherwise the kubelet's SIGKILL cuts requests.
 * Also: replicas spread across nodes (a node loss must not take every replica).
 */
export function checkShutdownAndSpread(
  objects: KubernetesObject[],
  facts: CodeFacts,
): string[] {
  const problems: string[] = [];
  for (const { container, workload, where, app } of appContainersOf(
    objects,
    facts,
  )) {
    const preStop = container.lifecycle?.preStop;
    const preStopSeconds =
      preStop?.sleep?.seconds ??
      Number(
        /^sleep (\d+)$/.exec((preStop?.exec?.command ?? []).join(' '))?.[1] ??
          Number.NaN,
      );
    if (!preStop || Number.isNaN(preStopSeconds))
      problems.push(
        `${where}: no preStop sleep (endpoint removal needs time to reach the entry point)`,
      );
    const environment = parsedEnvironment(container, app, objects);
    if (!environment)
      problems.push(
        `${where}: the environment does not parse, so the drain time is unknown`,
      );
    const drainMs = environment?.SHUTDOWN_DRAIN_MS as number | undefined;
    const grace = workload.pod.terminationGracePeriodSeconds ?? 30;
    const needed =
      (Number.isNaN(preStopSeconds) ? 0 : preStopSeconds) +
      (drainMs ?? 0) / 1000 +
      facts.inFlightBudgetSeconds;
    if (grace <= needed)
      problems.push(
        `${where}: terminationGracePeriodSeconds ${grace} ≤ preStop ${preStopSeconds} s + drain ${(drainMs ?? 0) / 1000} s + in-flight ${facts.inFlightBudgetSeconds} s`,
      );
    const spread = workload.pod.topologySpreadConstraints ?? [];
    if (
      !spread.some(
        (constraint) =>
          constraint.topologyKey === 'kubernetes.io/hostname' &&
          selects(constraint.labelSelector, workload.template.metadata?.labels),
      )
    )
      problems.push(
        `${nameOf(workload.object)}: no topology spread over kubernetes.io/hostname selecting its own pods`,
      );
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Disruption budgets and autoscaling

/**
 * Every Deployment has exactly one PodDisruptionBudget, and that budget still lets a drain evict
 * one pod at the declared replica count (a budget that allows nothing blocks node maintenance).
 */
export function checkDisruptionBudgets(objects: KubernetesObject[]): string[] {
  const problems: string[] = [];
  const budgets = ofKind<PodDisruptionBudget>(objects, 'PodDisruptionBudget');
  for (const workload of workloadsOf(objects)) {
    if (workload.object.kind !== 'Deployment') continue;
    const where = nameOf(workload.object);
    const matching = budgets.filter((budget) =>
      selects(budget.spec?.selector, workload.template.metadata?.labels),
    );
    if (matching.length !== 1) {
      problems.push(
        `${where}: ${matching.length} PodDisruptionBudgets select its pods (expected 1)`,
      );
      continue;
    }
    const { minAvailable, maxUnavailable } = matching[0].spec ?? {};
    const absolute = (value: number | string | undefined) =>
      typeof value === 'string' && value.endsWith('%')
        ? Math.ceil((workload.replicas * Number(value.slice(0, -1))) / 100)
        : Number(value);
    const evictable =
      maxUnavailable !== undefined
        ? absolute(maxUnavailable)
        : workload.replicas - absolute(minAvailable);
    if (!(evictable >= 1))
      problems.push(
        `${where}: PodDisruptionBudget ${matching[0].metadata?.name} allows no eviction at ${workload.replicas} replicas`,
      );
  }
  for (const budget of budgets)
    if (
      !workloadsOf(objects).some((workload) =>
        selects(budget.spec?.selector, workload.template.metadata?.labels),
      )
    )
      problems.push(`${nameOf(budget)}: selects no pods`);
  return problems;
}

/**
 * Autoscalers target a rendered workload whose containers request CPU (utilisation is measured
 * against the request), never scale below the workload's replicas, and never scale a workload
 * whose sessions live in process memory (scale-in would destroy the sessions on removed pods).
 */
export function checkAutoscalers(
  objects: KubernetesObject[],
  facts: CodeFacts,
): string[] {
  const problems: string[] = [];
  for (const autoscaler of ofKind<HorizontalPodAutoscaler>(
    objects,
    'HorizontalPodAutoscaler',
  )) {
    const where = nameOf(autoscaler);
    const target = autoscaler.spec?.scaleTargetRef;
    const workload = workloadsOf(objects).find(
      (candidate) =>
        candidate.object.kind === target?.kind &&
        candidate.name === target?.name,
    );
    if (!workload) {
      problems.push(
        `${where}: scale target ${target?.kind}/${target?.name} is not rendered`,
      );
      continue;
    }
    if ((autoscaler.spec?.minReplicas ?? 1) < workload.replicas)
      problems.push(
        `${where}: minReplicas ${autoscaler.spec?.minReplicas} below the Deployment's ${workload.replicas}`,
      );
    for (const container of workload.pod.containers) {
      if (container.resources?.requests?.cpu === undefined)
        problems.push(
          `${where}: ${container.name} requests no CPU, so utilisation is undefined`,
        );
      const app = appOfImage(facts, container.image);
      if (
        app &&
        parsedEnvironment(container, app, objects)?.SESSION_STORE === 'memory'
      )
        problems.push(
          `${where}: scales ${workload.name}, whose sessions live in process memory`,
        );
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Network policies: the connection matrix they allow

/** A pod (template) or an outside peer a connection can start from or go to. */
export interface NetworkEndpoint {
  name: string;
  namespace: string;
  namespaceLabels: Labels;
  labels: Labels;
  ports: { name?: string; port: number; protocol: string }[];
}

function endpointsOf(objects: KubernetesObject[]): NetworkEndpoint[] {
  return workloadsOf(objects).map((workload) => ({
    name: workload.name,
    namespace: workload.namespace ?? 'default',
    namespaceLabels: {
      'kubernetes.io/metadata.name': workload.namespace ?? 'default',
    },
    labels: workload.template.metadata?.labels ?? {},
    ports: workload.pod.containers.flatMap((container) =>
      (container.ports ?? []).map((port) => ({
        name: port.name,
        port: port.containerPort,
        protocol: port.protocol ?? 'TCP',
      })),
    ),
  }));
}

function peerMatches(
  peer: NetworkPolicyPeer,
  policyNamespace: string,
  endpoint: NetworkEndpoint,
): boolean {
  if (peer.ipBlock) return false;
  const namespaceMatches = peer.namespaceSelector
    ? selects(peer.namespaceSelector, endpoint.namespaceLabels) ||
      isEmptySelector(peer.namespaceSelector)
    : endpoint.namespace === policyNamespace;
  const podMatches = peer.podSelector
    ? isEmptySelector(peer.podSelector) ||
      selects(peer.podSelector, endpoint.labels)
    : true;
  return namespaceMatches && podMatches;
}

function portMatches(
  ports: NetworkPolicyPort[] | undefined,
  port: NetworkEndpoint['ports'][number],
): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some(
    (candidate) =>
      (candidate.protocol ?? 'TCP') === port.protocol &&
      (candidate.port === undefined ||
        candidate.port === port.port ||
        (typeof candidate.port === 'string' && candidate.port === port.name)),
  );
}

function policiesSelecting(
  policies: NetworkPolicy[],
  endpoint: NetworkEndpoint,
  direction: 'Ingress' | 'Egress',
) {
  return policies.filter(
    (policy) =>
      (policy.metadata?.namespace ?? 'default') === endpoint.namespace &&
      (isEmptySelector(policy.spec?.podSelector) ||
        selects(policy.spec?.podSelector, endpoint.labels)) &&
      (
        policy.spec?.policyTypes ??
        (policy.spec?.egress ? ['Ingress', 'Egress'] : ['Ingress'])
      ).includes(direction),
  );
}

/**
 * Every connection the NetworkPolicies allow between the rendered pods and the given outside
 * peers, as `from -> to:port/protocol`, computed the way a policy-enforcing CNI decides:
 * a connection needs the source's egress and the destination's ingress to allow it, and a pod
 * no policy selects for a direction is open in that direction. Only pods of the rendered
 * namespace(s) are governed; outside peers are taken as they are.
 */
export function allowedConnections(
  objects: KubernetesObject[],
  outside: NetworkEndpoint[],
): string[] {
  const policies = ofKind<NetworkPolicy>(objects, 'NetworkPolicy');
  const inside = endpointsOf(objects);
  const governed = new Set(inside.map((endpoint) => endpoint.namespace));
  const allows = (
    from: NetworkEndpoint,
    to: NetworkEndpoint,
    port: NetworkEndpoint['ports'][number],
  ) => {
    const egress = governed.has(from.namespace)
      ? policiesSelecting(policies, from, 'Egress')
      : [];
    const ingress = governed.has(to.namespace)
      ? policiesSelecting(policies, to, 'Ingress')
      : [];
    const egressAllowed =
      !governed.has(from.namespace) ||
      egress.length === 0 ||
      egress.some((policy) =>
        (policy.spec?.egress ?? []).some(
          (rule) =>
            (!rule.to ||
              rule.to.length === 0 ||
              rule.to.some((peer) => peerMatches(peer, from.namespace, to))) &&
            portMatches(rule.ports, port),
        ),
      );
    const ingressAllowed =
      !governed.has(to.namespace) ||
      ingress.length === 0 ||
      ingress.some((policy) =>
        (policy.spec?.ingress ?? []).some(
          (rule) =>
            (!rule.from ||
              rule.from.length === 0 ||
              rule.from.some((peer) =>
                peerMatches(peer, to.namespace, from),
              )) &&
            portMatches(rule.ports, port),
        ),
      );
    return egressAllowed && ingressAllowed;
  };
  const connections: string[] = [];
  for (const from of [...inside, ...outside])
    for (const to of [...inside, ...outside]) {
      if (!governed.has(from.namespace) && !governed.has(to.namespace))
        continue;
      for (const port of to.ports)
        if (allows(from, to, port))
          connections.push(
            `${from.name} -> ${to.name}:${port.name ?? port.port}/${port.protocol}`,
          );
    }
  return connections.sort();
}

// ---------------------------------------------------------------------------------------------
// Metrics: scraped by Prometheus, never public

/** monitoring.coreos.com/v1 ServiceMonitor, the fields the checks read (the CRD has more). */
export interface ServiceMonitor {
  apiVersion: string;
  kind: string;
  metadata: KubernetesObject['metadata'];
  spec?: {
    selector?: LabelSelector;
    namespaceSelector?: { any?: boolean; matchNames?: string[] };
    endpoints?: {
      port?: string;
      targetPort?: number | string;
      path?: string;
      scheme?: string;
      interval?: string;
      scrapeTimeout?: string;
    }[];
  };
}

/** A Prometheus duration (`1m30s`, `500ms`) in milliseconds; NaN when unreadable. */
function durationMs(duration: string): number {
  const units: Record<string, number> = {
    ms: 1,
    s: 1e3,
    m: 6e4,
    h: 3.6e6,
    d: 8.64e7,
    w: 6.048e8,
    y: 3.1536e10,
  };
  if (duration === '0') return 0;
  const parts = [...duration.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  if (parts.map(([part]) => part).join('') !== duration) return Number.NaN;
  return parts.reduce(
    (total, [, amount, unit]) => total + Number(amount) * units[unit],
    0,
  );
}

/** The workloads a Service sends traffic to (same namespace, non-empty selector). */
function workloadsBehind(
  service: Service & KubernetesObject,
  workloads: Workload[],
): Workload[] {
  const selector = service.spec?.selector ?? {};
  if (Object.keys(selector).length === 0) return [];
  return workloads.filter(
    (workload) =>
      workload.namespace === service.metadata.namespace &&
      selects({ matchLabels: selector }, workload.template.metadata?.labels),
  );
}

const httpPortOf = (workload: Workload) =>
  workload.pod.containers
    .flatMap((container) => container.ports ?? [])
    .find((port) => port.name === 'http');

/** Does an Ingress path of this type send a request for `request` to its backend? */
function ingressPathRoutes(
  path: string,
  pathType: string | undefined,
  request: string,
): boolean {
  if (pathType === 'Exact') return request === path;
  if (pathType === 'Prefix') {
    // Element-wise: /cart matches /cart and /cart/..., never /cart-legacy.
    const prefix = path.replace(/\/+$/, '');
    return (
      prefix === '' || request === prefix || request.startsWith(`${prefix}/`)
    );
  }
  // ImplementationSpecific: Traefik matches a plain string prefix, the widest reading.
  return request.startsWith(path);
}

/**
 * Prometheus can scrape every app pod at the route MetricsController serves, both ways the
 * metrics component offers, and the network lets it:
 * - the app serves that route where it is scraped (a global prefix must exclude it, like the
 *   health routes, or a scrape of /metrics gets 404);
 * - pod annotations `prometheus.io/scrape: "true"`, `prometheus.io/port` = the `http`
 *   containerPort, `prometheus.io/path` = the route (annotation-driven Prometheus);
 * - ServiceMonitors (Prometheus Operator) select, by Service labels and in their namespace, every
 *   app Service and nothing else; each endpoint names a port those Services have, leading to the
 *   container port `http`, at the route, over http, with a scrape timeout within the interval;
 * - the NetworkPolicies admit `scraper` (Prometheus as installed) to every app pod's `http` port.
 */
export function checkMetricsScraping(
  objects: KubernetesObject[],
  facts: CodeFacts,
  scraper: NetworkEndpoint,
): string[] {
  const problems: string[] = [];
  const route = facts.metricsRoute;
  const workloads = workloadsOf(objects);
  const appContainers = appContainersOf(objects, facts);
  // workloadsOf() builds fresh records on every call: compare workloads by their objects.
  const appObjects = new Set(
    appContainers.map(({ workload }) => workload.object),
  );
  const appWorkloads = workloads.filter((workload) =>
    appObjects.has(workload.object),
  );

  for (const { container, workload, where, app } of appContainers) {
    if (
      app.globalPrefixExclusions !== undefined &&
      !app.globalPrefixExclusions.includes(route)
    )
      problems.push(
        `apps/${app.app}/src/main.ts: the global prefix does not exclude ${route}, so the app serves its metrics under the prefix and a scrape of ${route} gets 404`,
      );
    const annotations = workload.template.metadata?.annotations ?? {};
    const http = (container.ports ?? []).find((port) => port.name === 'http');
    if (annotations['prometheus.io/scrape'] !== 'true')
      problems.push(
        `${where}: pod annotation prometheus.io/scrape is ${annotations['prometheus.io/scrape']} (expected "true")`,
      );
    if (!http) problems.push(`${where}: no container port named "http"`);
    else if (annotations['prometheus.io/port'] !== String(http.containerPort))
      problems.push(
        `${where}: pod annotation prometheus.io/port is ${annotations['prometheus.io/port']} but ${route} is served on containerPort ${http.containerPort} (http)`,
      );
    if (annotations['prometheus.io/path'] !== route)
      problems.push(
        `${where}: pod annotation prometheus.io/path is ${annotations['prometheus.io/path']} (expected ${route})`,
      );
  }

  const services = ofKind<Service>(objects, 'Service');
  const appServices = services.filter((service) =>
    workloadsBehind(service, workloads).some((workload) =>
      appWorkloads.includes(workload),
    ),
  );
  const scraped = new Set<Service>();
  for (const monitor of ofKind<ServiceMonitor>(objects, 'ServiceMonitor')) {
    const where = nameOf(monitor);
    const scope = monitor.spec?.namespaceSelector;
    const namespaces = scope?.matchNames?.length
      ? scope.matchNames
      : [monitor.metadata.namespace];
    const selected = services.filter(
      (service) =>
        (scope?.any === true ||
          namespaces.includes(service.metadata.namespace)) &&
        selects(monitor.spec?.selector, service.metadata.labels),
    );
    if (selected.length === 0)
      problems.push(
        `${where}: selector ${JSON.stringify(monitor.spec?.selector)} selects no Service (by Service labels) in namespace ${scope?.any ? '(any)' : namespaces.map((namespace) => namespace ?? '(unset: wherever kubectl applies it)').join(', ')}`,
      );
    for (const service of selected)
      if (appServices.includes(service)) scraped.add(service);
      else
        problems.push(
          `${where}: selects ${nameOf(service)}, whose pods serve no ${route}`,
        );
    (monitor.spec?.endpoints ?? []).forEach((endpoint, index) => {
      const at = `${where} endpoints[${index}]`;
      // Prometheus scrapes /metrics when no path is given.
      const path = endpoint.path || '/metrics';
      if (path !== route)
        problems.push(
          `${at}: path ${path}, but the apps serve their metrics at ${route}`,
        );
      if (endpoint.scheme !== undefined && endpoint.scheme !== 'http')
        problems.push(
          `${at}: scheme ${endpoint.scheme}, but the pods serve plain HTTP`,
        );
      if (
        endpoint.interval !== undefined &&
        endpoint.scrapeTimeout !== undefined &&
        !(durationMs(endpoint.scrapeTimeout) <= durationMs(endpoint.interval))
      )
        problems.push(
          `${at}: scrapeTimeout ${endpoint.scrapeTimeout} exceeds interval ${endpoint.interval} (the operator rejects it)`,
        );
      if (endpoint.port === undefined) {
        problems.push(
          `${at}: no port (name the Service port that leads to the container port "http")`,
        );
        return;
      }
      for (const service of selected.filter((candidate) =>
        appServices.includes(candidate),
      )) {
        const ports = service.spec?.ports ?? [];
        const port = ports.find(
          (candidate) => candidate.name === endpoint.port,
        );
        if (!port) {
          problems.push(
            `${at}: port "${endpoint.port}" is not a port of ${nameOf(service)} (it has ${ports.map((candidate) => candidate.name ?? candidate.port).join(', ')}), so Prometheus finds no target there`,
          );
          continue;
        }
        for (const workload of workloadsBehind(service, workloads)) {
          const target = port.targetPort ?? port.port;
          const reached = portOf(
            workload.pod.containers.flatMap(
              (container) => container.ports ?? [],
            ),
            target,
          );
          const http = httpPortOf(workload);
          if (!reached || !http || reached.containerPort !== http.containerPort)
            problems.push(
              `${at}: ${nameOf(service)} port ${endpoint.port} leads to ${target} of ${nameOf(workload.object)}, not to the container port "http" that serves ${route}`,
            );
        }
      }
    });
  }
  for (const service of appServices)
    if (!scraped.has(service))
      problems.push(
        `${nameOf(service)}: no ServiceMonitor selects it, so the Prometheus Operator never scrapes its pods`,
      );

  const connections = allowedConnections(objects, [scraper]);
  for (const workload of appWorkloads)
    if (!connections.includes(`${scraper.name} -> ${workload.name}:http/TCP`))
      problems.push(
        `${nameOf(workload.object)}: the NetworkPolicies do not admit ${scraper.name} (namespace ${scraper.namespace}) to port http, so every scrape times out`,
      );
  return [...new Set(problems)];
}

/**
 * The metrics are for Prometheus, not the public: no Ingress path (nor a default backend) routes
 * the metrics route, and none routes the path where a workload actually serves its metrics
 * (under its global prefix, when the prefix does not exclude the route, as with the health
 * routes; cart's prefix is its ROUTE_PREFIX).
 */
export function checkMetricsNotPublic(
  objects: KubernetesObject[],
  facts: CodeFacts,
): string[] {
  const problems: string[] = [];
  const route = facts.metricsRoute;
  const services = ofKind<Service>(objects, 'Service');
  const workloads = workloadsOf(objects);
  const served = appContainersOf(objects, facts).map(
    ({ container, workload, app }) => {
      const excluded =
        app.globalPrefixExclusions === undefined ||
        app.globalPrefixExclusions.includes(route);
      const prefix = excluded
        ? ''
        : String(
            parsedEnvironment(container, app, objects)?.ROUTE_PREFIX ?? '',
          ).replace(/\/+$/, '');
      return { workload: workload.name, path: `${prefix}${route}` };
    },
  );
  for (const ingress of ofKind<Ingress>(objects, 'Ingress')) {
    if (ingress.spec?.defaultBackend)
      problems.push(
        `${nameOf(ingress)}: a default backend routes every unmatched path, ${route} included`,
      );
    for (const rule of ingress.spec?.rules ?? [])
      for (const path of rule.http?.paths ?? []) {
        const where = `${nameOf(ingress)} path ${path.path} (${path.pathType})`;
        const backend = path.backend.service?.name;
        if (ingressPathRoutes(path.path ?? '/', path.pathType, route))
          problems.push(
            `${where} routes ${route} to Service/${backend}: metrics are for Prometheus, not the public`,
          );
        const service = services.find(
          (candidate) => candidate.metadata.name === backend,
        );
        const behind = service
          ? workloadsBehind(service, workloads).map((workload) => workload.name)
          : [];
        for (const { workload, path: metricsPath } of served)
          if (
            metricsPath !== route &&
            behind.includes(workload) &&
            ingressPathRoutes(path.path ?? '/', path.pathType, metricsPath)
          )
            problems.push(
              `${where} routes ${metricsPath} to ${workload}, which serves its metrics there (its global prefix does not exclude ${route}): public metrics`,
            );
      }
  }
  return [...new Set(problems)];
}
