import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson, type GatewaySettings } from './gateway';
import {
  decodePathSegment,
  jsonObjectBody,
  LabHttpError,
  labUrlOf,
} from './lab-request';
import { UnknownPodError, type Supervisor } from './supervisor';

const DEFAULT_GRACE_PERIOD_SECONDS = 10;

/**
 * The kubectl of the local stack, over HTTP:
 * `GET /_lab/pods[?app=]`, `DELETE /_lab/pods/:name[?grace=seconds]`, `GET /_lab/apps`,
 * `PATCH /_lab/apps/:app {replicas}`, `POST /_lab/apps/:app/restart {}` (`kubectl rollout
 * restart`), `GET|PATCH /_lab/gateway {legacyCartAffinity}`.
 * Bad input throws a LabHttpError; the stack's fallback answers it (and checks the origin first).
 */
export function createLabApi(supervisor: Supervisor, gateway: GatewaySettings) {
  return async (
    request: IncomingMessage,
    response: ServerResponse,
    body: Buffer,
  ) => {
    const url = labUrlOf(request);
    const [, prefix, collection, encodedName, action, ...rest] =
      url.pathname.split('/');
    const name =
      encodedName === undefined ? undefined : decodePathSegment(encodedName);
    const noRoute = () =>
      new LabHttpError(404, `no route for ${request.method} ${url.pathname}`);
    if (prefix !== '_lab' || rest.length) throw noRoute();
    if (collection === 'apps' && name && action === 'restart') {
      if (request.method !== 'POST') throw noRoute();
      jsonObjectBody(request, body, '{}');
      if (supervisor.replicasOf(name) === undefined)
        throw new LabHttpError(404, `no app "${name}"`);
      if (supervisor.kindOf(name) !== 'Deployment')
        throw new LabHttpError(
          400,
          `${name} is a ${supervisor.kindOf(name)}: only a Deployment rolls out here`,
        );
      if (supervisor.isRollingOut(name))
        throw new LabHttpError(409, `a rollout of ${name} is in progress`);
      // Like `kubectl rollout restart`: answers at once; `GET /_lab/apps` says when it is done.
      void supervisor.rolloutRestart(name).catch(() => undefined);
      return sendJson(response, 202, { app: name, rollingOut: true });
    }
    if (action !== undefined) throw noRoute();

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
        throw new LabHttpError(400, 'grace must be a number of seconds ≥ 0');
      }
      try {
        const pod = await supervisor.deletePod(name, grace * 1000);
        return sendJson(response, 202, pod);
      } catch (error) {
        if (error instanceof UnknownPodError)
          throw new LabHttpError(404, error.message);
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
          rollingOut: supervisor.isRollingOut(app),
        })),
      );
    }
    if (collection === 'apps' && name && request.method === 'PATCH') {
      const { replicas } = jsonObjectBody(request, body, '{"replicas": n}');
      if (
        !Number.isInteger(replicas) ||
        (replicas as number) < 0 ||
        (replicas as number) > 20
      ) {
        throw new LabHttpError(400, 'replicas must be an integer from 0 to 20');
      }
      if (supervisor.replicasOf(name) === undefined)
        throw new LabHttpError(404, `no app "${name}"`);
      await supervisor.scale(name, replicas as number);
      return sendJson(response, 200, { app: name, replicas });
    }
    if (collection === 'gateway' && !name && request.method === 'GET') {
      return sendJson(response, 200, gateway);
    }
    if (collection === 'gateway' && !name && request.method === 'PATCH') {
      const { legacyCartAffinity } = jsonObjectBody(
        request,
        body,
        '{"legacyCartAffinity": true|false}',
      );
      if (typeof legacyCartAffinity !== 'boolean')
        throw new LabHttpError(400, 'legacyCartAffinity must be a boolean');
      gateway.legacyCartAffinity = legacyCartAffinity;
      return sendJson(response, 200, gateway);
    }
    throw noRoute();
  };
}
