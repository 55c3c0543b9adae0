// @ts-check
import { readdirSync } from 'node:fs';
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Every deployable, as the folders under apps/ say (no list to keep in step). */
const APPS = readdirSync(new URL('./apps', import.meta.url), {
  withFileTypes: true,
})
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

/**
 * The layout, enforced (issue 19, STYLE.md): apps use libs only, libs never use apps (nor tools),
 * no app reaches into another, and nothing outside test/ imports test/. Paths are resolved, so
 * `../../order/src/x` from apps/cart counts as apps/order whatever its spelling. An app's specs may
 * also start a real redis-server (tools/process): that is test equipment, not app code.
 */
const boundaries = ({ appSpecs = false } = {}) => [
  ...APPS.map((app) => ({
    target: `./apps/${app}`,
    from: './apps',
    except: [`./${app}`],
    message: `apps/${app} must not import another app: share it through libs/.`,
  })),
  {
    target: './apps',
    from: './tools',
    ...(appSpecs ? { except: ['./process'] } : {}),
    message: 'apps import libs only (tools are not deployed).',
  },
  {
    target: './libs',
    from: ['./apps', './tools'],
    message: 'libs never import apps or tools: they are what the apps share.',
  },
  {
    target: ['./apps', './libs', './tools', './*.*'],
    from: './test',
    message:
      'nothing outside test/ imports test/: move what both need to tools/ or libs/.',
  },
];

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'coverage/',
      'reports/',
      'node_modules/',
      'jest.config.js',
      'jest.cluster.config.js',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    // The lab dashboard's page: a plain browser script next to uPlot's global.
    files: ['tools/dashboard/ui/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: { ...globals.browser, uPlot: 'readonly' },
    },
  },
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    ignores: ['tools/dashboard/ui/**/*.js'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [
        createNodeResolver({ extensions: ['.ts', '.js', '.mjs', '.json'] }),
      ],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: boundaries() }],
    },
  },
  {
    files: ['apps/**/*.spec.ts'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        { zones: boundaries({ appSpecs: true }) },
      ],
    },
  },
  {
    ignores: ['tools/dashboard/ui/**/*.js'],
    languageOptions: { globals: { ...globals.node, ...globals.jest } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
);
