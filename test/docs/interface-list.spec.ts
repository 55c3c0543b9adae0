import type { Type } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { routesOf } from '../../tools/k8s-policy/code-facts';

const ROOT = join(__dirname, '..', '..');

/** Where a route list is written by hand: the contract, and the README's summary of it. */
const DOCUMENTS = [
  ['docs/DESIGN.md', '## Interfaces everything relies on'],
  ['README.md', '## Interfaces (summary; the contract is `docs/DESIGN.md`)'],
] as const;

/** The cart runs under ROUTE_PREFIX (`/cart`, `/legacy-cart`); its documents write `{prefix}`. */
const PREFIXED_APPS = new Set(['cart']);

/**
 * Every route a controller of apps/ or libs/ declares, as `METHOD /path`: each exported class
 * with `@Controller` in a `*.controller.ts` file, its routes read as the manifest checks read
 * them (tools/k8s-policy/code-facts.ts).
 */
function declaredRoutes(): Map<string, string> {
  const routes = new Map<string, string>();
  const files = ['apps', 'libs'].flatMap((top) =>
    readdirSync(join(ROOT, top), { recursive: true, encoding: 'utf8' })
      .filter((path) => /^[^/]+\/src\/.*\.controller\.ts$/.test(path))
      .map((path) => `${top}/${path}`),
  );
  for (const file of files.sort()) {
    const app = /^apps\/([^/]+)\//.exec(file)?.[1];
    const prefix = app && PREFIXED_APPS.has(app) ? '{prefix}' : '';
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exported = require(join(ROOT, file)) as Record<string, unknown>;
    for (const candidate of Object.values(exported)) {
      if (
        typeof candidate !== 'function' ||
        Reflect.getMetadata(PATH_METADATA, candidate) === undefined
      )
        continue;
      for (const { method, path, handler } of routesOf(candidate as Type))
        routes.set(
          `${method} ${prefix}${prefix && path === '/' ? '' : path}`,
          `${file} (${candidate.name}.${handler})`,
        );
    }
  }
  return routes;
}

/** The routes a document's section names: every `` `METHOD /path` `` between its heading and the next. */
function documentedRoutes(markdown: string, heading: string): Set<string> {
  const start = markdown.indexOf(`${heading}\n`);
  if (start === -1) return new Set();
  const rest = markdown.slice(start + heading.length);
  const section = rest.slice(0, rest.search(/\n## |$/));
  return new Set(
    [
      ...section.matchAll(/`(GET|POST|PUT|PATCH|DELETE) ((?:\/|\{)[^`\s]*)`/g),
    ].map(([, method, path]) => `${method} ${path}`),
  );
}

/** What a document must add or drop for its list to be the routes the code declares. */
function interfaceListProblems(
  document: string,
  documented: Set<string>,
  declared: Map<string, string>,
): string[] {
  if (!documented.size)
    return [`${document}: no route list found under its interfaces heading`];
  return [
    ...[...declared]
      .filter(([route]) => !documented.has(route))
      .map(
        ([route, where]) =>
          `${document}: \`${route}\` (${where}) is not in the list`,
      ),
    ...[...documented]
      .filter((route) => !declared.has(route))
      .map(
        (route) =>
          `${document}: \`${route}\` is listed, but no controller declares it`,
      ),
  ];
}

describe('the interface list: docs/DESIGN.md and README.md ↔ the controllers', () => {
  const declared = declaredRoutes();

  it('finds the routes in the controllers themselves', () => {
    // A floor, not the list: the list is whatever the controllers declare.
    expect(declared.size).toBeGreaterThan(10);
    expect(declared.get('POST /orders')).toMatch(/^apps\/order\//);
    expect(declared.get('DELETE {prefix}/items/:sku')).toMatch(/^apps\/cart\//);
  });

  it.each(DOCUMENTS)(
    '%s lists exactly the routes the controllers declare',
    (document, heading) => {
      const markdown = readFileSync(join(ROOT, document), 'utf8');
      expect(
        interfaceListProblems(
          document,
          documentedRoutes(markdown, heading),
          declared,
        ),
      ).toEqual([]);
    },
  );

  it('names a route the document lacks, one it invents, and a missing list', () => {
    const markdown = [
      '## Interfaces',
      '- `GET /menu`, `POST /orders`, `GET /coffee`',
      '## Next',
      '- `GET /orders` is out of the section',
    ].join('\n');
    const declaredHere = new Map([
      ['GET /menu', 'menu.controller.ts'],
      ['POST /orders', 'orders.controller.ts'],
      ['GET /orders', 'orders.controller.ts'],
    ]);
    expect(
      interfaceListProblems(
        'X.md',
        documentedRoutes(markdown, '## Interfaces'),
        declaredHere,
      ),
    ).toEqual([
      'X.md: `GET /orders` (orders.controller.ts) is not in the list',
      'X.md: `GET /coffee` is listed, but no controller declares it',
    ]);
    expect(
      interfaceListProblems(
        'X.md',
        documentedRoutes(markdown, '## Elsewhere'),
        declaredHere,
      ),
    ).toEqual(['X.md: no route list found under its interfaces heading']);
  });
});
