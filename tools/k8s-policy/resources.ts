/**
 * Resources: every container requests and limits CPU and memory.
 */
import { allContainersOf } from './objects';
import type { KubernetesObject } from './rendering';

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
