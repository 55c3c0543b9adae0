import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { ROOT } from '../build/ensure-built';

/** `strategy.rollingUpdate` of a Deployment: a count or a percentage of the replicas. */
export interface RollingUpdateStrategy {
  maxSurge: number | string;
  maxUnavailable: number | string;
}

/** Kubernetes' own default when a Deployment names no strategy. */
const DEFAULT_STRATEGY: RollingUpdateStrategy = {
  maxSurge: '25%',
  maxUnavailable: '25%',
};

interface DeploymentFields {
  spec?: {
    strategy?: { rollingUpdate?: Partial<RollingUpdateStrategy> };
    template?: {
      spec?: {
        containers?: Array<{ resources?: { limits?: { memory?: string } } }>;
      };
    };
  };
}

/**
 * The base Deployment of an app (k8s/base/<app>/deployment.yaml): the local stack takes its
 * rollout rules and memory limit from the manifest itself, so the two cannot drift apart.
 */
function readDeployment(app: string): DeploymentFields {
  const file = join(ROOT, 'k8s', 'base', app, 'deployment.yaml');
  return parseDocument(readFileSync(file, 'utf8')).toJS() as DeploymentFields;
}

export function rolloutStrategyOf(app: string): RollingUpdateStrategy {
  const rolling = readDeployment(app).spec?.strategy?.rollingUpdate ?? {};
  return { ...DEFAULT_STRATEGY, ...rolling };
}

const BINARY_SUFFIXES: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  '': 1,
};

/** A memory quantity (`256Mi`, `1G`, `134217728`) in bytes. */
export function memoryQuantityBytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G|)$/.exec(quantity.trim());
  if (!match) throw new Error(`unsupported memory quantity "${quantity}"`);
  return Math.round(Number(match[1]) * BINARY_SUFFIXES[match[2]]);
}

/** The first container's `resources.limits.memory`, in bytes (undefined: no limit). */
export function memoryLimitBytesOf(app: string): number | undefined {
  const limit =
    readDeployment(app).spec?.template?.spec?.containers?.[0]?.resources?.limits
      ?.memory;
  return limit === undefined ? undefined : memoryQuantityBytes(String(limit));
}
