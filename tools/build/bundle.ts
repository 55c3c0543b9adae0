/**
 * `npm run build`, second step: each app's compiled output (tsc through `nest build`, decorator
 * metadata included) bundled by esbuild into one CommonJS file, `dist/apps/<app>/main.cjs`, the
 * entry point everything runs (image, local stack, tests). Start-up was mostly Node resolving,
 * reading and compiling ~1,500 ESM and CommonJS files; one file is ready in ~350 ms instead of
 * ~600 ms (`npm run bench`, start-up). node_modules stays next to it for the optional packages below.
 */
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILT_APPS, bundleOf, ROOT } from './ensure-built';

/**
 * Optional peers Nest and terminus load only when an app uses them (inside try/catch): never
 * installed here, so left as runtime requires that fail the way they always did.
 */
const OPTIONAL_PEERS = [
  '@nestjs/microservices',
  '@nestjs/microservices/*',
  '@nestjs/websockets',
  '@nestjs/websockets/*',
  'class-transformer',
  'class-validator',
  // Nest on Fastify loads these for static files, views and multipart only (order and auth use none).
  '@fastify/multipart',
  '@fastify/static',
  '@fastify/view',
  // Pretty logs for a person at a terminal only (a devDependency; logging.ts checks for it).
  'pino-pretty',
];

async function main(): Promise<void> {
  for (const app of BUILT_APPS) {
    const started = performance.now();
    const result = await build({
      entryPoints: [
        join(ROOT, 'dist', 'apps', app, 'apps', app, 'src', 'main.js'),
      ],
      outfile: bundleOf(app),
      bundle: true,
      platform: 'node',
      target: 'node20.19',
      format: 'cjs',
      // Nest names providers, loggers and error messages after classes: keep the names even
      // where the bundle has to rename a binding.
      keepNames: true,
      external: OPTIONAL_PEERS,
      // Nest 12 and others are ESM and call createRequire(import.meta.url): give the bundled
      // copies the bundle's own file URL (they then resolve from this app's node_modules).
      define: { 'import.meta.url': '__bundleUrl' },
      banner: {
        js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;",
      },
      legalComments: 'none',
      logLevel: 'warning',
      metafile: true,
      write: false,
    });
    writeFileSync(bundleOf(app), withCheapNaming(result.outputFiles[0].text));
    const inputs = Object.keys(result.metafile.inputs).length;
    console.log(
      `bundled ${app}: ${inputs} files → ${bundleOf(app).slice(ROOT.length + 1)} in ${Math.round(performance.now() - started)} ms`,
    );
  }
}

/**
 * keepNames wraps every function expression in `__name(fn, "name")`, closures made per request
 * included, and esbuild's helper always calls Object.defineProperty: 2–4% of the order pod's
 * self time in profiles under load (tools/bench/README.md). Nearly every such function already has that name, and redefining
 * a name to the value it has changes nothing, so the helper skips those.
 */
const NAME_HELPER =
  'var __name = (target, value) => __defProp(target, "name", { value, configurable: true });';
const CHEAP_NAME_HELPER =
  'var __name = (target, value) => target.name === value ? target : __defProp(target, "name", { value, configurable: true });';

function withCheapNaming(code: string): string {
  if (code.split(NAME_HELPER).length !== 2)
    throw new Error(
      "esbuild's __name helper changed: update NAME_HELPER in tools/build/bundle.ts",
    );
  return code.replace(NAME_HELPER, CHEAP_NAME_HELPER);
}

main().catch((error: Error) => {
  console.error(`bundle: ${error.message}`);
  process.exit(1);
});
