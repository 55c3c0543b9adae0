import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const RULE = 'import-x/no-restricted-paths';

interface Case {
  /** Where the importing file would sit (it need not exist: ESLint lints the text as that file). */
  file: string;
  /** An existing module, spelt as that file would import it. */
  from: string;
}

/**
 * Lints one import per case with the repository's own eslint.config.mjs, in a real ESLint (a
 * child process: the flat config is an ES module, which Jest's CommonJS sandbox cannot load), and
 * returns the boundary rule's messages per case.
 */
function boundaryMessages(cases: Case[]): string[][] {
  const script = `
    const { ESLint } = require('eslint');
    const cases = JSON.parse(process.argv[1]);
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const out = [];
      for (const { file, from } of cases) {
        const [result] = await eslint.lintText(
          "import * as imported from '" + from + "';\\nexport const used = imported;\\n",
          { filePath: file },
        );
        out.push(result.messages.filter((m) => m.ruleId === ${JSON.stringify(RULE)}).map((m) => m.message));
      }
      process.stdout.write(JSON.stringify(out));
    })();
  `;
  const output = execFileSync(
    process.execPath,
    ['-e', script, JSON.stringify(cases)],
    { cwd: ROOT, encoding: 'utf8' },
  );
  return JSON.parse(output) as string[][];
}

/** The layout rules of eslint.config.mjs, shown failing on imports added on purpose. */
describe('import boundaries (eslint.config.mjs)', () => {
  const forbidden: (Case & { because: RegExp })[] = [
    {
      file: 'tools/image/x.ts',
      from: '../../test/support/metrics',
      because: /nothing outside test\/ imports test\//,
    },
    {
      file: 'tools/x.ts',
      from: '../test/support/redis-server',
      because: /nothing outside test\/ imports test\//,
    },
    {
      file: 'apps/cart/src/session/x.spec.ts',
      from: '../../../../test/support/metrics',
      because: /nothing outside test\/ imports test\//,
    },
    {
      file: 'eslint-helper.ts',
      from: './test/support/metrics',
      because: /nothing outside test\/ imports test\//,
    },
    {
      file: 'apps/cart/src/x.ts',
      from: '../../order/src/order.module',
      because: /apps\/cart must not import another app/,
    },
    {
      file: 'apps/order/src/x.ts',
      from: '../../auth/src/auth.module',
      because: /apps\/order must not import another app/,
    },
    {
      file: 'libs/platform/src/x.ts',
      from: '../../../apps/cart/src/cart.module',
      because: /libs never import apps or tools/,
    },
    {
      file: 'libs/identity/src/x.ts',
      from: '../../../tools/lab/free-port',
      because: /libs never import apps or tools/,
    },
    {
      file: 'apps/cart/src/x.ts',
      from: '../../../tools/lab/free-port',
      because: /apps import libs only/,
    },
    {
      file: 'apps/cart/src/x.ts',
      from: '../../../tools/process/redis-server',
      because: /apps import libs only/,
    },
  ];
  const allowed: Case[] = [
    { file: 'apps/cart/src/x.ts', from: '@app/platform' },
    { file: 'apps/cart/src/x.ts', from: '../../../libs/platform/src' },
    { file: 'apps/cart/src/x.ts', from: './cart.module' },
    // An app's spec may start a real Redis of its own.
    {
      file: 'apps/cart/src/session/x.spec.ts',
      from: '../../../../tools/process/redis-server',
    },
    { file: 'test/x.e2e-spec.ts', from: './support/metrics' },
    { file: 'test/k8s/x.spec.ts', from: '../../tools/k8s-policy' },
    { file: 'tools/k8s-policy/x.ts', from: '../../apps/cart/src/cart.module' },
  ];

  const messages = boundaryMessages([...forbidden, ...allowed]);

  const title = ({ file, from }: Case) => `${file} → '${from}'`;

  it.each(
    forbidden.map(
      (entry, index) => [title(entry), entry, messages[index]] as const,
    ),
  )('refuses %s', (_title, entry, found) => {
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(entry.because);
  });

  it.each(
    allowed.map(
      (entry, index) =>
        [title(entry), messages[forbidden.length + index]] as const,
    ),
  )('allows %s', (_title, found) => {
    expect(found).toEqual([]);
  });
});
