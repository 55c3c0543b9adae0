import {
  checkImageConfig,
  checkImageFiles,
  parseWalk,
  writesOutsideVolumes,
  type ImageFile,
} from './image-checks';
import { containerUlimits } from './podman';
import { nodeImageOf, parseNodeImage } from './stand-in-base';

const ENTRY = 'dist/apps/order/main.cjs';
const expected = { user: 10001, entryPoint: ENTRY };

describe('checkImageConfig: what PID 1 and the user will be', () => {
  it('accepts exec-form node with the numeric user the manifests run', () => {
    expect(
      checkImageConfig({ User: '10001:10001', Cmd: ['node', ENTRY] }, expected),
    ).toEqual([]);
  });

  it.each([
    [
      'shell-form CMD',
      { User: '10001', Cmd: ['/bin/sh', '-c', `node ${ENTRY}`] },
      /CMD runs a shell/,
    ],
    ['npm start', { User: '10001', Cmd: ['npm', 'start'] }, /CMD runs npm/],
    [
      'an ENTRYPOINT wrapper script',
      { User: '10001', Entrypoint: ['bash'], Cmd: ['start.sh'] },
      /CMD runs a shell/,
    ],
    [
      'another entry point',
      { User: '10001', Cmd: ['node', 'dist/main.js'] },
      /expected \["node","dist\/apps\/order\/main.cjs"\]/,
    ],
    ['USER root', { User: 'root', Cmd: ['node', ENTRY] }, /runs as root/],
    ['USER 0', { User: '0:0', Cmd: ['node', ENTRY] }, /runs as root/],
    ['no USER', { Cmd: ['node', ENTRY] }, /unset \(root\)/],
    ['a named USER', { User: 'node', Cmd: ['node', ENTRY] }, /not numeric/],
    [
      'a uid other than the manifests',
      { User: '1000', Cmd: ['node', ENTRY] },
      /differs from the manifests' runAsUser 10001/,
    ],
  ])('names the fault: %s', (_name, config, message) => {
    const problems = checkImageConfig(config, expected);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });
});

const file = (path: string, overrides: Partial<ImageFile> = {}): ImageFile => ({
  path,
  uid: 0,
  gid: 0,
  mode: 0o644,
  directory: false,
  ...overrides,
});

const clean: ImageFile[] = [
  file('/app/package.json'),
  file('/app/node_modules', { directory: true, mode: 0o755 }),
  file('/app/node_modules/jose/package.json'),
  file('/app/node_modules/.bin/pino', { mode: 0o777, symlink: true }),
  file('/app/node_modules/some-lib/test/fixture.spec.js'),
  file('/app/dist', { directory: true, mode: 0o755 }),
  file(`/app/${ENTRY}`),
];
const files = { user: 10001, group: 10001, devDependencies: ['jest', 'tsx'] };

describe('checkImageFiles: what the runtime image holds', () => {
  it('accepts production dependencies and the compiled app, owned by root', () => {
    expect(checkImageFiles(clean, files)).toEqual([]);
  });

  it.each([
    [
      'a dev dependency',
      [file('/app/node_modules/jest')],
      /dev dependencies.*jest/,
    ],
    ['a compiled spec', [file('/app/dist/apps/order/x.spec.js')], /test files/],
    [
      'a test folder',
      [
        file('/app/test', { directory: true, mode: 0o755 }),
        file('/app/test/order.e2e-spec.js'),
      ],
      /holds more than package.json, node_modules and dist: test\n.*test files: \/app\/test/,
    ],
    [
      'an .env file',
      [file('/app/dist/.env')],
      /key or env files: \/app\/dist\/\.env/,
    ],
    ['a private key', [file('/app/keys/k1.pem')], /key or env files/],
    ['an .npmrc', [file('/app/.npmrc')], /key or env files/],
    [
      'files owned by the runtime user',
      [file('/app/dist/x.js', { uid: 10001 })],
      /writable by the runtime user 10001: \/app\/dist\/x\.js/,
    ],
    [
      'a world-writable folder',
      [file('/app/dist', { directory: true, mode: 0o777 })],
      /writable by the runtime user/,
    ],
    [
      'a group-writable file of the runtime group',
      [file('/app/package.json', { gid: 10001, mode: 0o664 })],
      /writable by the runtime user/,
    ],
  ])('names the fault: %s', (_name, extra, message) => {
    const problems = checkImageFiles([...clean, ...extra], files);
    expect(problems.join('\n')).toMatch(message);
  });

  it('reads the walker output, ignoring anything that is not a JSON line', () => {
    expect(
      parseWalk(
        'warning\n{"path":"/app/a","uid":0,"gid":0,"mode":420,"directory":false}\n',
      ),
    ).toEqual([file('/app/a')]);
  });
});

describe('writesOutsideVolumes: podman diff against the declared volumes', () => {
  const diff = [
    'C /etc',
    'A /etc/hosts',
    'C /run',
    'A /run/secrets',
    'A /run/secrets/what-survives/auth-keys',
    'A /tmp/cache',
  ];
  const mounts = ['/var/run/secrets/what-survives/auth-keys', '/tmp'];

  it("ignores podman's own files and the volumes (also through /var/run → /run)", () => {
    expect(writesOutsideVolumes(diff, mounts)).toEqual([]);
  });

  it('lists anything else', () => {
    expect(
      writesOutsideVolumes(
        [...diff, 'C /app', 'A /app/.compile-cache', 'A /home/x'],
        mounts,
      ),
    ).toEqual(['/app', '/app/.compile-cache', '/home/x']);
  });
});

describe('podman set-up helpers', () => {
  it('keeps ulimits within what the host may grant', () => {
    const limits = [
      'Limit                     Soft Limit           Hard Limit           Units     ',
      'Max processes             96364                96364                processes ',
      'Max open files            1024                 2048                 files     ',
    ].join('\n');
    expect(containerUlimits(limits)).toEqual([
      'nofile=2048:2048',
      'nproc=4096:4096',
    ]);
  });

  it('reads the base image from the Dockerfile and what the stand-in must be', () => {
    expect(
      nodeImageOf(
        'FROM x\nARG NODE_IMAGE=node:24.21.0-bookworm-slim@sha256:abc\nFROM ${NODE_IMAGE}',
      ),
    ).toBe('node:24.21.0-bookworm-slim');
    expect(parseNodeImage('node:24.21.0-bookworm-slim')).toEqual({
      qualified: 'docker.io/library/node:24.21.0-bookworm-slim',
      nodeVersion: '24.21.0',
      debianSuite: 'bookworm',
    });
    expect(() => parseNodeImage('node:24-alpine')).toThrow(/exact node:/);
  });
});
