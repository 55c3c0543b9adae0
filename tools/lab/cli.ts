/**
 * `npm run lab -- <verb>`: kubectl for the local stack, with kubectl's verbs and flags.
 *   get pods [-l app=order] [-o json]
 *   delete pod NAME... [--grace-period=0] [--force] [--wait=false]
 *   delete pod -l app=cart-legacy
 *   scale order --replicas=5            (also: scale deployment/order --replicas=5)
 *   rollout restart deployment/cart-legacy   (a new version: pods replaced one by one)
 *   rollout status deployment/cart-legacy    (waits until the rollout is done)
 * Talks to the lab API at LAB_URL (default http://127.0.0.1:$LAB_PORT, port 8080).
 */
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PodInfo } from './pod';
import { formatPodTable } from './pod-table';

const server =
  process.env.LAB_URL ?? `http://127.0.0.1:${process.env.LAB_PORT ?? 8080}`;

class CliError extends Error {}

async function api<T>(
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${server}/_lab/${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new CliError(
      `cannot reach the local stack at ${server} (is \`npm start\` running?)`,
    );
  }
  const payload = (await response.json()) as T & { message?: string };
  if (!response.ok)
    throw new CliError(
      `Error from server: ${payload.message ?? response.status}`,
    );
  return payload;
}

function selectedApp(selector: string | undefined): string | undefined {
  if (!selector) return undefined;
  const match = /^app=([a-z0-9-]+)$/.exec(selector);
  if (!match)
    throw new CliError(
      `unsupported selector "${selector}" (use -l app=<name>)`,
    );
  return match[1];
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      selector: { type: 'string', short: 'l' },
      output: { type: 'string', short: 'o' },
      'grace-period': { type: 'string' },
      force: { type: 'boolean', default: false },
      wait: { type: 'string', default: 'true' },
      replicas: { type: 'string' },
    },
  });
  const [verb, resource, ...names] = positionals;
  const app = selectedApp(values.selector);

  if (verb === 'get' && ['pods', 'pod', 'po'].includes(resource ?? '')) {
    const pods = await api<PodInfo[]>('GET', `pods${app ? `?app=${app}` : ''}`);
    const shown = names.length
      ? pods.filter((pod) => names.includes(pod.name))
      : pods;
    console.log(
      values.output === 'json'
        ? JSON.stringify(shown, null, 2)
        : formatPodTable(shown),
    );
    return;
  }

  if (verb === 'delete' && ['pods', 'pod', 'po'].includes(resource ?? '')) {
    const grace = values['grace-period'] ?? (values.force ? '0' : undefined);
    if (grace !== undefined && !/^\d+$/.test(grace)) {
      throw new CliError('--grace-period must be a whole number of seconds');
    }
    const targets = app
      ? (await api<PodInfo[]>('GET', `pods?app=${app}`))
          .filter((pod) => pod.status !== 'Terminating')
          .map((pod) => pod.name)
      : names;
    if (targets.length === 0)
      throw new CliError('no pod named (give NAME... or -l app=<name>)');
    await Promise.all(
      targets.map(async (name) => {
        await api(
          'DELETE',
          `pods/${encodeURIComponent(name)}${grace !== undefined ? `?grace=${grace}` : ''}`,
        );
        console.log(`pod "${name}" deleted`);
      }),
    );
    if (values.wait !== 'false') {
      // Like kubectl: return once the deleted pods are gone.
      while (
        (await api<PodInfo[]>('GET', 'pods')).some(
          (pod) => targets.includes(pod.name) && pod.status === 'Terminating',
        )
      ) {
        await sleep(100);
      }
    }
    return;
  }

  if (verb === 'scale') {
    const target = (resource ?? '').replace(/^(deployment|deploy)\//, '');
    const replicas = Number(values.replicas);
    if (!target || !Number.isInteger(replicas)) {
      throw new CliError('usage: scale <app> --replicas=<n>');
    }
    await api('PATCH', `apps/${target}`, { replicas });
    console.log(`deployment/${target} scaled`);
    return;
  }

  if (verb === 'rollout' && ['restart', 'status'].includes(resource ?? '')) {
    const target = (names[0] ?? '').replace(/^(deployment|deploy)\//, '');
    if (!target)
      throw new CliError(`usage: rollout ${resource} deployment/<app>`);
    if (resource === 'restart') {
      await api('POST', `apps/${encodeURIComponent(target)}/restart`, {});
      console.log(`deployment/${target} restarted`);
      return;
    }
    // Like `kubectl rollout status`: waits until every pod is of the new version and ready.
    for (;;) {
      const apps = await api<Array<{ app: string; rollingOut: boolean }>>(
        'GET',
        'apps',
      );
      const state = apps.find((candidate) => candidate.app === target);
      if (!state) throw new CliError(`Error from server: no app "${target}"`);
      if (!state.rollingOut) break;
      await sleep(200);
    }
    console.log(`deployment "${target}" successfully rolled out`);
    return;
  }

  throw new CliError(
    'usage: rollout restart|status deployment/APP | get pods [-l app=X] [-o json] | delete pod NAME... [--grace-period=N] [--force] | delete pod -l app=X | scale APP --replicas=N',
  );
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(
    error instanceof CliError ? error.message : `lab: ${error.message}`,
  );
  process.exit(1);
});
