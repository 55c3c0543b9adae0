import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { codeFacts } from '../../tools/k8s-policy/code-facts';

const ROOT = join(__dirname, '..', '..');

/** Where a route list is written by hand: the contract, and the README's summary of it. */
const DOCUMENTS = [
  ['docs/DESIGN.md', '## Interfaces everything relies on'],
  ['README.md', '## Interfaces (summary; the contract is `docs/DESIGN.md`)'],
] as const;

/**
 * Every route an app serves, as `METHOD /path`, from the route list code-facts reads out of each
 * app's module (the manifest checks read the same). The cart runs under ROUTE_PREFIX (`/cart`,
 * `/legacy-cart`), which its documents write `{prefix}`, except for the routes its global prefix
 * leaves out (health, metrics).
 */
function declaredRoutes(): Map<string, string> {
  const servedBy = new Map<string, { apps: string[]; where: string }>();
  for (const facts of Object.values(codeFacts().apps))
    for (const { method, path, handler, controller } of facts.routes) {
      const prefixed =
        facts.globalPrefixExclusions !== undefined &&
        !facts.globalPrefixExclusions.includes(path);
      const route = `${method} ${prefixed ? `{prefix}${path === '/' ? '' : path}` : path}`;
      const entry = servedBy.get(route) ?? {
        apps: [],
        where: `${controller}.${handler}`,
      };
      entry.apps.push(facts.app);
      servedBy.set(route, entry);
    }
  return new Map(
    [...servedBy].map(([route, { apps, where }]) => [
      route,
      `${apps.join(', ')}: ${where}`,
    ]),
  );
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
    expect(declared.get('POST /orders')).toBe('order: OrdersController.create');
    expect(declared.get('DELETE {prefix}/items/:sku')).toMatch(
      /^cart: CartController\./,
    );
    expect(declared.get('GET /metrics')).toBe(
      'auth, order, cart: MetricsController.scrape',
    );
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
