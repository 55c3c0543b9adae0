import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson, type GatewaySettings } from './gateway';
import { UnknownPodError, type Supervisor } from './supervisor';

const DEFAULT_GRACE_PERIOD_SECONDS = 10;

function notFound(response: ServerResponse, message: string) {
  sendJson(response, 404, { statusCode: 404, error: 'Not Found', message });
}

function badRequest(response: ServerResponse, message: string) {
  sendJson(response, 400, { statusCode: 400, error: 'Bad Request', message });
}

/**
 * The kubectl of the local stack, over HTTP:
 * `GET /_lab/pods[?app=]`, `DELETE /_lab/pods/:name[?grace=seconds]`, `GET /_lab/apps`,
 * `PATCH /_lab/apps/:app {replicas}`, `GET|PATCH /_lab/gateway {legacyCartAffinity}`.
 */
export function createLabApi(supervisor: Supervisor, gateway: GatewaySettings) {
  return async (
    request: IncomingMessage,
    response: ServerResponse,
    body: Buffer,
  ) => {
    const url = new URL(request.url ?? '/', 'http://lab');
    const [, prefix, collection, name] = url.pathname.split('/');
    if (prefix !== '_lab')
      return notFound(
        response,
        `no route for ${request.method} ${url.pathname}`,
      );

    if (collection === 'pods' && !name && request.method === 'GET') {
      return sendJson(
        response,
        200,
        supervisor.listPods(url.searchParams.get('app') ?? undefined),
      );
    }
    if (collection === 'pods' && name && request.method === 'DELETE') {
      const grace = Number(
        url.searchParams.get('grace') ?? DEFAULT_GRACE_PERIOD_SECONDS,
      );
      if (!Number.isFinite(grace) || grace < 0) {
        return badRequest(response, 'grace must be a number of seconds ≥ 0');
      }
      try {
        const pod = await supervisor.deletePod(
          decodeURIComponent(name),
          grace * 1000,
        );
        return sendJson(response, 202, pod);
      } catch (error) {
        if (error instanceof UnknownPodError)
          return notFound(response, error.message);
        throw error;
      }
    }
    if (collection === 'apps' && !name && request.method === 'GET') {
      return sendJson(
        response,
        200,
        supervisor.apps.map((app) => ({
          app,
          replicas: supervisor.replicasOf(app),
          ready: supervisor.readyPods(app).length,
        })),
      );
    }
    if (collection === 'apps' && name && request.method === 'PATCH') {
      let replicas: unknown;
      try {
        replicas = (
          JSON.parse(body.toString() || '{}') as { replicas?: unknown }
        ).replicas;
      } catch {
        return badRequest(response, 'body must be JSON: {"replicas": n}');
      }
      if (
        !Number.isInteger(replicas) ||
        (replicas as number) < 0 ||
        (replicas as number) > 20
      ) {
        return badRequest(response, 'replicas must be an integer from 0 to 20');
      }
      if (supervisor.replicasOf(name) === undefined)
        return notFound(response, `no app "${name}"`);
      await supervisor.scale(name, replicas as number);
      return sendJson(response, 200, { app: name, replicas });
    }
    if (collection === 'gateway' && !name && request.method === 'GET') {
      return sendJson(response, 200, gateway);
    }
    if (collection === 'gateway' && !name && request.method === 'PATCH') {
      let affinity: unknown;
      try {
        affinity = (
          JSON.parse(body.toString() || '{}') as {
            legacyCartAffinity?: unknown;
          }
        ).legacyCartAffinity;
      } catch {
        return badRequest(
          response,
          'body must be JSON: {"legacyCartAffinity": true|false}',
        );
      }
      if (typeof affinity !== 'boolean')
        return badRequest(response, 'legacyCartAffinity must be a boolean');
      gateway.legacyCartAffinity = affinity;
      return sendJson(response, 200, gateway);
    }
    notFound(response, `no route for ${request.method} ${url.pathname}`);
  };
}
