/**
 * What the manifests must agree with, taken from the code itself (route metadata, environment
 * schemas, build layout, and the constants the code runs with: the cart's global prefix
 * exclusions, the shutdown's in-flight budget), never restated here and never parsed out of
 * source text: when the code moves, the checks move.
 */
import 'reflect-metadata';
import { relative } from 'node:path';
import { RequestMethod, type DynamicModule, type Type } from '@nestjs/common';
import {
  METHOD_METADATA,
  MODULE_METADATA,
  PATH_METADATA,
} from '@nestjs/common/constants';
import { HealthController } from '@app/platform/health/health.controller';
import { MetricsController } from '@app/platform/observability/metrics.controller';
import { IN_FLIGHT_TIMEOUT_MS } from '@app/platform/shutdown/graceful-shutdown';
import { z } from 'zod';
import { AuthModule } from '../../apps/auth/src/auth.module';
import { authEnvironmentSchema } from '../../apps/auth/src/config/auth-environment';
import { CartModule } from '../../apps/cart/src/cart.module';
import { cartEnvironmentSchema } from '../../apps/cart/src/config/cart-environment';
import { GLOBAL_PREFIX_EXCLUSIONS } from '../../apps/cart/src/config/global-prefix';
import { orderEnvironmentSchema } from '../../apps/order/src/config/order-environment';
import { OrderModule } from '../../apps/order/src/order.module';
import { bundleOf, type BuiltApp } from '../build/ensure-built';
import { ROOT } from './rendering';

export interface AppFacts {
  app: BuiltApp;
  /** The image name the Deployments and skaffold use for this app. */
  image: string;
  /** The app's configuration schema: what it requires, what it defaults, what it reads. */
  environmentSchema: z.ZodType;
  /** Every variable name the schema knows (anything else in a manifest is a typo or dead). */
  environmentVariables: string[];
  /** Paths of the app's own controllers (health excluded: it is not routed); '' = at the prefix. */
  controllerPaths: string[];
  /**
   * Every route the app serves, its imported modules' controllers (health, metrics) included,
   * before any global prefix; `controller` names the class that declares it.
   */
  routes: Array<DeclaredRoute & { controller: string }>;
  /** Routes the app's global prefix leaves out (undefined: the app sets no global prefix). */
  globalPrefixExclusions?: string[];
  /** `node <this>` starts the app: nest-cli.json's entry file inside the tsc output folder. */
  builtEntryPoint: string;
}

export interface CodeFacts {
  /** GET routes of the HealthController, by handler: `{ live: '/healthz/live', ... }`. */
  healthRoutes: Record<string, string>;
  /** The Prometheus scrape route of MetricsController (every app's `GET /metrics`). */
  metricsRoute: string;
  apps: Record<BuiltApp, AppFacts>;
  /** How long the shutdown waits for in-flight requests after closing the listener (seconds). */
  inFlightBudgetSeconds: number;
}

const joinRoute = (...parts: (string | undefined)[]) =>
  '/' +
  parts
    .flatMap((part) => (part ?? '').split('/'))
    .filter(Boolean)
    .join('/');

export interface DeclaredRoute {
  handler: string;
  /** `GET`, `POST`, ... as Nest's RequestMethod names it. */
  method: string;
  /** The controller's path joined with the handler's, before any global prefix. */
  path: string;
}

/** Every route a controller declares, from Nest's own route metadata. */
export function routesOf(controller: Type): DeclaredRoute[] {
  const base = Reflect.getMetadata(PATH_METADATA, controller) as string;
  const routes: DeclaredRoute[] = [];
  for (const handler of Object.getOwnPropertyNames(controller.prototype)) {
    const method = (controller.prototype as Record<string, unknown>)[handler];
    if (typeof method !== 'function' || handler === 'constructor') continue;
    const path = Reflect.getMetadata(PATH_METADATA, method) as
      string | undefined;
    const verb = Reflect.getMetadata(METHOD_METADATA, method) as
      RequestMethod | undefined;
    if (path === undefined || verb === undefined) continue;
    routes.push({
      handler,
      method: RequestMethod[verb],
      path: joinRoute(base, path),
    });
  }
  return routes;
}

/** GET routes of a controller, keyed by handler name. */
export function getRoutesOf(controller: Type): Record<string, string> {
  return Object.fromEntries(
    routesOf(controller)
      .filter((route) => route.method === 'GET')
      .map((route) => [route.handler, route.path]),
  );
}

type ModuleEntry = Type | DynamicModule | Promise<DynamicModule>;

const metadataOf = (key: string, module: Type): unknown[] =>
  (Reflect.getMetadata(key, module) ?? []) as unknown[];

/**
 * The controllers a module declares itself (`own`) or through everything it imports, as Nest
 * would mount them: module classes and dynamic modules (`forApp`, `optional`) followed down.
 * A promised module (ConfigModule.forRoot) brings no controllers: it is skipped unopened, as is
 * a forwardRef (its module is visited where it is imported directly).
 */
function controllersOf(module: Type, scope: 'own' | 'all'): Type[] {
  const found = new Set<Type>();
  const seen = new Set<unknown>();
  const visit = (entry: ModuleEntry) => {
    if (seen.has(entry) || entry instanceof Promise) return;
    seen.add(entry);
    const dynamic = typeof entry === 'function' ? undefined : entry;
    const moduleClass = dynamic ? dynamic.module : (entry as Type);
    if (!moduleClass) return;
    for (const controller of [
      ...metadataOf(MODULE_METADATA.CONTROLLERS, moduleClass),
      ...(dynamic?.controllers ?? []),
    ])
      found.add(controller as Type);
    if (scope === 'own') return;
    for (const imported of [
      ...metadataOf(MODULE_METADATA.IMPORTS, moduleClass),
      ...(dynamic?.imports ?? []),
    ])
      visit(imported as ModuleEntry);
  };
  visit(module);
  return [...found];
}

/** Top-level keys of an object schema, through refinements and transforms. */
function variableNamesOf(schema: z.ZodType): string[] {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  if (schema instanceof z.ZodPipe)
    return variableNamesOf(schema.in as z.ZodType);
  throw new Error(`cannot list the variables of a ${schema.constructor.name}`);
}

/** What the image runs: the bundle `npm run build` ends with (tools/build/bundle.ts). */
function builtEntryPointOf(app: BuiltApp): string {
  return relative(ROOT, bundleOf(app));
}

function appFacts(
  app: BuiltApp,
  module: Type,
  environmentSchema: z.ZodType,
  globalPrefixExclusions?: readonly string[],
): AppFacts {
  return {
    app,
    image: `what-survives/${app}`,
    environmentSchema,
    environmentVariables: variableNamesOf(environmentSchema),
    controllerPaths: controllersOf(module, 'own').map((controller) =>
      joinRoute(Reflect.getMetadata(PATH_METADATA, controller) as string),
    ),
    routes: controllersOf(module, 'all').flatMap((controller) =>
      routesOf(controller).map((route) => ({
        ...route,
        controller: controller.name,
      })),
    ),
    globalPrefixExclusions: globalPrefixExclusions?.map((route) =>
      joinRoute(route),
    ),
    builtEntryPoint: builtEntryPointOf(app),
  };
}

/** The one GET route of MetricsController, as Nest registers it (before any global prefix). */
function metricsRouteOf(): string {
  const routes = Object.values(getRoutesOf(MetricsController));
  if (routes.length !== 1)
    throw new Error(
      `MetricsController has ${routes.length} GET routes (expected the one scrape route); update code-facts.ts`,
    );
  return routes[0];
}

let facts: CodeFacts | undefined;

export function codeFacts(): CodeFacts {
  facts ??= {
    healthRoutes: getRoutesOf(HealthController),
    metricsRoute: metricsRouteOf(),
    apps: {
      // auth and order set no global prefix (their main.ts is bootstrapService alone).
      auth: appFacts('auth', AuthModule, authEnvironmentSchema),
      order: appFacts('order', OrderModule, orderEnvironmentSchema),
      cart: appFacts(
        'cart',
        CartModule,
        cartEnvironmentSchema,
        GLOBAL_PREFIX_EXCLUSIONS,
      ),
    },
    inFlightBudgetSeconds: IN_FLIGHT_TIMEOUT_MS / 1000,
  };
  return facts;
}

/** The app a container runs, by image name (tag or digest ignored). */
export function appOfImage(
  facts: CodeFacts,
  image: string | undefined,
): AppFacts | undefined {
  const name = (image ?? '').replace(/@.*$/, '').replace(/:[^/:]+$/, '');
  return Object.values(facts.apps).find((app) => app.image === name);
}
