/**
 * Probes and ports: the kubelet probes the HealthController's routes on the port the app listens on.
 */
import { appContainersOf } from './objects';
import { parsedEnvironment } from './environment';
import type { KubernetesObject } from './rendering';
import type { CodeFacts } from './code-facts';
import type { Container, Probe } from 'kubernetes-types/core/v1';

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
