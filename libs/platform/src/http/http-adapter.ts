import type { AbstractHttpAdapter } from '@nestjs/core';
import { z } from 'zod';
import { earlyEnvironmentValue } from '../config/early-environment';
import { platformEnvironmentSchema } from '../config/platform-environment';

/**
 * The two Nest HTTP adapters the platform serves with. `order` and `auth` run on Fastify (they
 * are stateless and need nothing Express-only); `cart` stays on Express, because express-session
 * is an Express middleware and the legacy app is the old Express app.
 */
export const HTTP_ADAPTERS = ['express', 'fastify'] as const;
export type HttpAdapterName = (typeof HTTP_ADAPTERS)[number];

/**
 * `HTTP_ADAPTER`, read by `order` only and meant for the bench: one build of order on either
 * adapter, so that a row shows what the framework costs apart from what the state costs.
 */
export const httpAdapterFromEnvironment = z.enum(HTTP_ADAPTERS);

/**
 * HTTP_ADAPTER before the app exists (the adapter is chosen first). A malformed value starts
 * nothing on its own: the app's configuration check refuses it, naming the variable.
 */
export function httpAdapterChosen(fallback: HttpAdapterName): HttpAdapterName {
  return earlyEnvironmentValue(
    'HTTP_ADAPTER',
    httpAdapterFromEnvironment,
    fallback,
  );
}

/** Request bodies are small JSON documents; anything bigger is a mistake or an attack. */
export const REQUEST_BODY_LIMIT = '100kb';
const REQUEST_BODY_LIMIT_BYTES = 100 * 1024;

/**
 * Node's own defaults, which Express keeps: Fastify's (72 s keep-alive, no request timeout)
 * would make a Fastify pod behave differently towards the gateway's keep-alive agents.
 */
const NODE_KEEP_ALIVE_TIMEOUT_MS = 5_000;
const NODE_REQUEST_TIMEOUT_MS = 300_000;

/**
 * TRUST_PROXY as the platform schema parses it, read before the app exists (Fastify takes it at
 * construction). A malformed value trusts nobody here; the configuration check then refuses to
 * start, naming the variable, as it always did.
 */
function trustedProxiesFromEnvironment(): false | string[] {
  return earlyEnvironmentValue(
    'TRUST_PROXY',
    platformEnvironmentSchema.shape.TRUST_PROXY,
    false,
  );
}

/**
 * The adapter, loaded only when chosen: each pod initialises one framework, not both (the
 * bundle holds both; esbuild initialises a module on its first import).
 */
export async function createHttpAdapter(
  name: HttpAdapterName,
): Promise<AbstractHttpAdapter> {
  if (name === 'express') {
    const { ExpressAdapter } = await import('@nestjs/platform-express');
    return new ExpressAdapter();
  }
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  return new FastifyAdapter({
    bodyLimit: REQUEST_BODY_LIMIT_BYTES,
    // proxy-addr's `compile`, as Express's `trust proxy` uses it: the same list (addresses,
    // CIDRs, loopback/linklocal/uniquelocal) gives the same client address, the last
    // X-Forwarded-For hop added by a trusted peer. `false` believes no header.
    trustProxy: trustedProxiesFromEnvironment(),
    keepAliveTimeout: NODE_KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: NODE_REQUEST_TIMEOUT_MS,
    // The request id is the platform's (request-id.ts), not Fastify's counter.
    requestIdHeader: false,
    // As on Express: `/orders/` is `/orders`, and a long path parameter reaches the route's
    // own validation (a 400) instead of the router's 414.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 8192 },
    // Express serves requests that arrive on open keep-alive connections while the server
    // closes; so does this (the graceful shutdown closes idle connections itself).
    return503OnClosing: false,
  });
}
