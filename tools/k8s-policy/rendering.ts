import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import {
  DEV_SECRETS_DIR,
  generateDevSecrets,
} from '../secrets/generate-dev-secrets';

export const ROOT = join(__dirname, '..', '..');
export const K8S_DIR = join(ROOT, 'k8s');

/** One rendered Kubernetes object, as `kubectl kustomize` prints it. */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** `Kind/name`, the way kubectl names an object in its messages. */
export const nameOf = (object: KubernetesObject) =>
  `${object.kind}/${object.metadata?.name}`;

/** The dev overlay's secretGenerator reads git-ignored files: create them when missing. */
export function ensureDevSecrets(): void {
  generateDevSecrets(DEV_SECRETS_DIR);
}

/** Every kustomization that deploys something: the base and each overlay. */
export function kustomizations(): string[] {
  const overlays = readdirSync(join(K8S_DIR, 'overlays'), {
    withFileTypes: true,
  })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(K8S_DIR, 'overlays', entry.name))
    .filter((directory) => existsSync(join(directory, 'kustomization.yaml')));
  return [join(K8S_DIR, 'base'), ...overlays];
}

/** Repository-relative path, for test names and messages. */
export const fromRoot = (path: string) => relative(ROOT, path);

/** Renders a kustomization exactly as skaffold and `kubectl apply -k` would. */
export function renderKustomization(directory: string): KubernetesObject[] {
  try {
    const output = execFileSync('kubectl', ['kustomize', directory], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return parseYamlDocuments(output) as KubernetesObject[];
  } catch (error) {
    throw explainKubectlFailure(error, directory);
  }
}

/** kubectl missing, or kustomize refusing the kustomization: say which, with its message. */
function explainKubectlFailure(error: unknown, directory: string): Error {
  const failure = error as NodeJS.ErrnoException & { stderr?: string };
  if (failure.code === 'ENOENT')
    return new Error(
      'kubectl is not on the PATH: the manifest checks render with `kubectl kustomize` (kubectl ≥ 1.30)',
    );
  return new Error(
    `kubectl kustomize ${fromRoot(directory)} failed: ${failure.stderr?.trim() || failure.message}`,
  );
}

/** Several kustomizations rendered side by side (kubectl is the slow part). */
export async function renderKustomizations(
  directories: string[],
): Promise<Map<string, KubernetesObject[]>> {
  const outputs = await Promise.all(
    directories.map((directory) =>
      promisify(execFile)('kubectl', ['kustomize', directory], {
        cwd: ROOT,
        encoding: 'utf8',
        maxBuffer: 16 * 1024 * 1024,
      }).catch((error: unknown) => {
        throw explainKubectlFailure(error, directory);
      }),
    ),
  );
  return new Map(
    directories.map((directory, index) => [
      directory,
      parseYamlDocuments(outputs[index].stdout) as KubernetesObject[],
    ]),
  );
}

/** Every document of a multi-document YAML text; a syntax error throws. */
export function parseYamlDocuments(text: string): unknown[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw document.errors[0];
      return document.toJS() as unknown;
    })
    .filter((value) => value !== null && value !== undefined);
}

/** A deep copy to break on purpose, leaving the rendered original intact. */
export function copyOf<T>(value: T): T {
  return structuredClone(value);
}
