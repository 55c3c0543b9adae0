/**
 * Environment: resolved the way the kubelet resolves it, then parsed by the app's own schema.
 */
import { appContainersOf } from './objects';
import type { KubernetesObject } from './rendering';
import type { AppFacts, CodeFacts } from './code-facts';
import type { Container } from 'kubernetes-types/core/v1';

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
