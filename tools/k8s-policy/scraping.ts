/**
 * Metrics: scraped by Prometheus, never public.
 */
import {
  ofKind,
  type Workload,
  workloadsOf,
  appContainersOf,
  selects,
  portOf,
} from './objects';
import { parsedEnvironment } from './environment';
import { type NetworkEndpoint, allowedConnections } from './network';
import { type KubernetesObject, nameOf } from './rendering';
import type { CodeFacts } from './code-facts';
import type { Service } from 'kubernetes-types/core/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import type { Ingress } from 'kubernetes-types/networking/v1';

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
