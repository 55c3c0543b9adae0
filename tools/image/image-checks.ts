/**
 * What an image must be for pod kills to behave, read from the built image itself (its config and
 * the files under /app), not from the Dockerfile: each function returns findings, none = holds.
 */

/** The parts of `podman image inspect` these checks read. */
export interface ImageConfig {
  User?: string;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  Env?: string[];
}

/** One file or folder under /app, as the walker in the image reports it. */
export interface ImageFile {
  path: string;
  uid: number;
  gid: number;
  mode: number;
  directory: boolean;
  /** A symlink's own mode is always 0777 and means nothing: it cannot be written through. */
  symlink?: boolean;
}

/**
 * Runs inside the image (`node -e`): prints every entry under /app as JSON lines. Plain
 * CommonJS, so it runs on any Node the image has.
 */
export const WALK_APP_SCRIPT = `
const fs = require('fs'), path = require('path');
const walk = (directory) => {
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    const file = path.join(directory, entry.name);
    const stat = fs.lstatSync(file);
    process.stdout.write(JSON.stringify({ path: file, uid: stat.uid, gid: stat.gid,
      mode: stat.mode & 0o7777, directory: entry.isDirectory(),
      symlink: entry.isSymbolicLink() }) + '\\n');
    if (entry.isDirectory()) walk(file);
  }
};
walk('/app');
`;

export function parseWalk(output: string): ImageFile[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as ImageFile);
}

/**
 * PID 1 must be node itself: exec-form CMD, no ENTRYPOINT wrapper (a shell or npm in front
 * would get SIGTERM and not pass it on), and a numeric non-root USER, the one the manifests run.
 */
export function checkImageConfig(
  config: ImageConfig,
  expected: { user: number; entryPoint: string },
): string[] {
  const problems: string[] = [];
  const argv = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  if (['/bin/sh', 'sh', '/bin/bash', 'bash'].includes(argv[0] ?? ''))
    problems.push(
      `CMD runs a shell (${JSON.stringify(argv)}): shell-form CMD or a wrapper script; the shell is PID 1 and node never sees SIGTERM`,
    );
  else if (['npm', 'npx', 'yarn', 'pnpm'].includes(argv[0] ?? ''))
    problems.push(
      `CMD runs ${argv[0]} (${JSON.stringify(argv)}): a package manager as PID 1 does not forward SIGTERM reliably`,
    );
  else if (argv[0] !== 'node' || argv[1] !== expected.entryPoint)
    problems.push(
      `CMD is ${JSON.stringify(argv)}, expected ["node","${expected.entryPoint}"]`,
    );
  const user = config.User ?? '';
  const uid = user.split(':')[0];
  if (user === '' || uid === '0' || uid === 'root')
    problems.push(
      `USER is ${user === '' ? 'unset (root)' : user}: the image runs as root`,
    );
  else if (!/^\d+$/.test(uid))
    problems.push(
      `USER ${user} is not numeric: the kubelet cannot verify runAsNonRoot`,
    );
  else if (Number(uid) !== expected.user)
    problems.push(
      `USER ${user} differs from the manifests' runAsUser ${expected.user}`,
    );
  return problems;
}

const SECRET_FILE =
  /(^|\/)(\.env(\..+)?|\.npmrc|id_(rsa|ecdsa|ed25519)|[^/]+\.(pem|key|p12|pfx))$/;
const TEST_FILE =
  /\.(spec|e2e-spec|test)\.[cm]?[jt]s$|(^|\/)(test|__tests__)\//;

/**
 * The runtime image holds package.json, production node_modules and the compiled app: no dev
 * dependency, none of our tests, no key or env file, and nothing the runtime user could rewrite.
 */
export function checkImageFiles(
  files: ImageFile[],
  expected: { user: number; group: number; devDependencies: string[] },
): string[] {
  const problems: string[] = [];
  const top = files
    .filter((file) => file.path.split('/').length === 3)
    .map((file) => file.path.slice('/app/'.length));
  const unexpected = top.filter(
    (name) => !['package.json', 'node_modules', 'dist'].includes(name),
  );
  if (unexpected.length)
    problems.push(
      `/app holds more than package.json, node_modules and dist: ${unexpected.join(', ')}`,
    );
  const present = new Set(files.map((file) => file.path));
  const devDependencies = expected.devDependencies.filter((name) =>
    present.has(`/app/node_modules/${name}`),
  );
  if (devDependencies.length)
    problems.push(
      `dev dependencies in node_modules: ${devDependencies.slice(0, 8).join(', ')}${devDependencies.length > 8 ? ` (+${devDependencies.length - 8})` : ''}`,
    );
  const ours = files.filter(
    (file) => !file.path.startsWith('/app/node_modules/'),
  );
  const tests = ours.filter((file) => TEST_FILE.test(file.path));
  if (tests.length)
    problems.push(
      `test files: ${tests
        .slice(0, 5)
        .map((file) => file.path)
        .join(', ')}`,
    );
  const secrets = files.filter(
    (file) => !file.directory && SECRET_FILE.test(file.path),
  );
  if (secrets.length)
    problems.push(
      `key or env files: ${secrets
        .slice(0, 5)
        .map((file) => file.path)
        .join(', ')}`,
    );
  const writable = files.filter(
    (file) =>
      !file.symlink &&
      (file.uid === expected.user ||
        (file.mode & 0o002) !== 0 ||
        (file.gid === expected.group && (file.mode & 0o020) !== 0)),
  );
  if (writable.length)
    problems.push(
      `writable by the runtime user ${expected.user}: ${writable
        .slice(0, 5)
        .map((file) => file.path)
        .join(
          ', ',
        )}${writable.length > 5 ? ` (+${writable.length - 5})` : ''} — the process could rewrite its own code`,
    );
  return problems;
}

/**
 * `podman diff` of a container that ran with a writable root filesystem: anything listed outside
 * the declared volumes is a write the read-only pod would refuse (or silently lose).
 */
export function writesOutsideVolumes(
  diff: string[],
  mountPaths: string[],
): string[] {
  // Podman adds these itself (network and hostname files, its marker); the kubelet does too.
  const managed = new Set([
    '/etc',
    '/etc/hosts',
    '/etc/hostname',
    '/etc/resolv.conf',
    '/run',
    '/run/.containerenv',
  ]);
  // /var/run is a symlink to /run in Debian: a volume mounted under one shows under the other.
  const mounts = mountPaths.map((path) =>
    path.replace(/^\/var\/run\//, '/run/'),
  );
  return diff
    .map((line) => line.trim().split(/\s+/).slice(1).join(' '))
    .filter(Boolean)
    .filter((path) => !managed.has(path))
    .filter(
      (path) =>
        !mounts.some(
          (mount) =>
            path === mount ||
            path.startsWith(`${mount}/`) ||
            mount.startsWith(`${path}/`),
        ),
    );
}
