/**
 * What an API server's schema validation would say about rendered objects, offline.
 *
 * 1. kubernetes-models: types, required fields and enums, by path.
 * 2. Unknown fields, which kubernetes-models lets through (a misspelt `readinesProbe` is silently
 *    dropped by a lenient client, and the pod runs without the probe). The field catalogue comes
 *    from the Kubernetes OpenAPI definitions as generated into @kubernetes/client-node's models
 *    (every model lists its fields and their types); every field of every object is looked up.
 * 3. Custom resources (the ServiceMonitor of k8s/components/metrics), which neither knows: held
 *    to hand-written JSON schemas (custom-resource-schemas.ts) with ajv, their metadata to the
 *    ObjectMeta catalogue of 2.
 */
import { execFileSync } from 'node:child_process';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { CUSTOM_RESOURCE_SCHEMAS } from './custom-resource-schemas';
import { type KubernetesObject, nameOf, ROOT } from './rendering';

interface ValidatingModel {
  validate(): void;
}

/** Every kind the manifests may use. A new kind must be added here, on purpose. */
const MODELS: Record<string, new (data: never) => ValidatingModel> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/**
 * kustomize wraps the base64 of long Secret values over several lines; the API server's base64
 * decoder skips line breaks, kubernetes-models' "byte" format does not. Compare like the server.
 */
function withoutLineBreaksInSecretData(
  object: KubernetesObject,
): KubernetesObject {
  if (object.kind !== 'Secret' || typeof object.data !== 'object')
    return object;
  const data = Object.fromEntries(
    Object.entries(object.data as Record<string, unknown>).map(
      ([key, value]) => [
        key,
        typeof value === 'string' ? value.replace(/[\r\n]/g, '') : value,
      ],
    ),
  );
  return { ...object, data };
}

/** Types, required fields and enum values, as kubernetes-models' generated validators see them. */
export function schemaErrors(objects: KubernetesObject[]): string[] {
  const errors: string[] = [];
  for (const object of objects) {
    const custom = customResourceErrors(object);
    if (custom) {
      errors.push(
        ...custom
          .filter((error) => error.keyword !== 'additionalProperties')
          .map(
            (error) =>
              `${nameOf(object)}: ${pathOf(error) || '(root)'} ${error.message}`,
          ),
      );
      continue;
    }
    const Model = MODELS[`${object.apiVersion}/${object.kind}`];
    if (!Model) {
      errors.push(
        `${nameOf(object)}: no schema for ${object.apiVersion} ${object.kind} (add it to MODELS)`,
      );
      continue;
    }
    try {
      new Model(withoutLineBreaksInSecretData(object) as never).validate();
    } catch (error) {
      errors.push(`${nameOf(object)}: ${(error as Error).message}`);
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Custom resources

const ajv = new Ajv({ allErrors: true, verbose: true });
const customValidators = new Map<string, ValidateFunction>();

/** ajv's findings for a custom resource; undefined when the kind is not a known custom one. */
function customResourceErrors(
  object: KubernetesObject,
): ErrorObject[] | undefined {
  const key = `${object.apiVersion}/${object.kind}`;
  const schema = CUSTOM_RESOURCE_SCHEMAS[key];
  if (!schema) return undefined;
  let validate = customValidators.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    customValidators.set(key, validate);
  }
  validate(object);
  // anyOf repeats the complaints of its branches; report the branches only.
  return (validate.errors ?? []).filter((error) => error.keyword !== 'anyOf');
}

/** `/spec/endpoints/0/port` → `.spec.endpoints[0].port`, the way unknownFields writes paths. */
const pathOf = (error: ErrorObject) =>
  error.instancePath
    .split('/')
    .slice(1)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
    .join('');

/** Unknown fields of a custom resource: its schema's `additionalProperties: false`, metadata. */
function customResourceUnknownFields(
  object: KubernetesObject,
  errors: ErrorObject[],
  problems: string[],
): void {
  for (const error of errors) {
    if (error.keyword !== 'additionalProperties') continue;
    const key = String(error.params.additionalProperty);
    const known = Object.keys(
      (error.parentSchema as { properties?: object } | undefined)?.properties ??
        {},
    );
    problems.push(
      `${nameOf(object)}${pathOf(error)}.${key}: unknown field${didYouMean(key, known)}`,
    );
  }
  collectUnknownFields(
    object.metadata,
    'V1ObjectMeta',
    `${nameOf(object)}.metadata`,
    problems,
  );
}

// ---------------------------------------------------------------------------------------------
// Built-in kinds: the field catalogue

/** Model name → [field, type] pairs, e.g. V1Probe → [["httpGet", "V1HTTPGetAction"], ...]. */
type FieldCatalogue = Record<string, [string, string][]>;

// The models are ES modules, which Jest on Node 20 cannot load: read them in a child process.
const CATALOGUE_SCRIPT = `
import * as models from '@kubernetes/client-node/dist/gen/models/all.js';
const catalogue = {};
for (const [name, model] of Object.entries(models)) {
  if (typeof model?.getAttributeTypeMap !== 'function') continue;
  catalogue[name] = model.getAttributeTypeMap().map((field) => [field.baseName, field.type]);
}
process.stdout.write(JSON.stringify(catalogue));
`;

let catalogue: FieldCatalogue | undefined;

function fieldCatalogue(): FieldCatalogue {
  catalogue ??= JSON.parse(
    execFileSync(
      process.execPath,
      ['--input-type=module', '-e', CATALOGUE_SCRIPT],
      { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    ),
  ) as FieldCatalogue;
  return catalogue;
}

/** `apps/v1` + `Deployment` → `V1Deployment` (or a group-qualified name when kinds collide). */
function modelNameOf(object: KubernetesObject): string | undefined {
  const [group, version] = object.apiVersion.includes('/')
    ? object.apiVersion.split('/')
    : ['core', object.apiVersion];
  const versionName = version.charAt(0).toUpperCase() + version.slice(1);
  const groupName = group
    .split('.')[0]
    .replace(/^./, (letter) => letter.toUpperCase());
  const models = fieldCatalogue();
  return [
    `${versionName}${object.kind}`,
    `${groupName}${versionName}${object.kind}`,
  ].find((name) => name in models);
}

const OPAQUE_TYPES = new Set([
  'string',
  'number',
  'boolean',
  'Date',
  'any',
  'object',
  'IntOrString',
]);

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0];
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j];
      previous[j] = Math.min(
        previous[j] + 1,
        previous[j - 1] + 1,
        diagonal + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      diagonal = above;
    }
  }
  return previous[b.length];
}

function collectUnknownFields(
  value: unknown,
  type: string,
  path: string,
  problems: string[],
): void {
  if (value === null || value === undefined || OPAQUE_TYPES.has(type)) return;
  const arrayOf = /^Array<(.+)>$/.exec(type);
  if (arrayOf) {
    if (Array.isArray(value))
      value.forEach((item, index) =>
        collectUnknownFields(item, arrayOf[1], `${path}[${index}]`, problems),
      );
    return;
  }
  const mapOf = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (mapOf) {
    if (typeof value === 'object')
      for (const [key, item] of Object.entries(value))
        collectUnknownFields(item, mapOf[1], `${path}.${key}`, problems);
    return;
  }
  const fields = fieldCatalogue()[type];
  // Wrong shapes (a string where an object belongs) are schemaErrors' business.
  if (!fields || typeof value !== 'object' || Array.isArray(value)) return;
  const known = new Map(fields);
  for (const [key, item] of Object.entries(value)) {
    const fieldType = known.get(key);
    if (fieldType !== undefined) {
      collectUnknownFields(item, fieldType, `${path}.${key}`, problems);
      continue;
    }
    problems.push(
      `${path}.${key}: unknown field${didYouMean(key, [...known.keys()])}`,
    );
  }
}

/** ` (did you mean "readinessProbe"?)` when a known field is within three edits, else ''. */
function didYouMean(key: string, known: string[]): string {
  const closest = [...known].sort(
    (a, b) => editDistance(key, a) - editDistance(key, b),
  )[0];
  return closest && editDistance(key, closest) <= 3
    ? ` (did you mean "${closest}"?)`
    : '';
}

/** Every field no Kubernetes schema defines, by path; an API server would reject or drop them. */
export function unknownFields(objects: KubernetesObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const custom = customResourceErrors(object);
    if (custom) {
      customResourceUnknownFields(object, custom, problems);
      continue;
    }
    const model = modelNameOf(object);
    if (!model) {
      problems.push(
        `${nameOf(object)}: no field catalogue for ${object.apiVersion} ${object.kind}`,
      );
      continue;
    }
    collectUnknownFields(object, model, nameOf(object), problems);
  }
  return problems;
}
