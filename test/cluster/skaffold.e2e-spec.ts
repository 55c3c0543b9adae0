import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  cpSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeContainersConf } from '../../tools/image/podman';
import { entryPoint, kubectlJson, NAMESPACE } from './cluster-kubectl';

const ROOT = join(__dirname, '..', '..');
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
/**
 * --cache-artifacts=false: a build skaffold's cache already knows is skipped with its hooks,
 * and the image would never reach this node's containerd (skaffold.yaml, profile local-cluster).
 */
const SKAFFOLD_FLAGS = [
  '--cache-artifacts=false',
  '--port-forward=false',
  '--status-check=true',
];

/**
 * skaffold itself (built from the Go module proxy) against the real cluster, in its
 * `local-cluster` profile: `skaffold run` builds the three images through podman's Docker API
 * and deploys k8s/overlays/dev; then one `skaffold dev` cycle: a source file changes, skaffold
 * rebuilds, and the new pods serve the change through the entry point. It works on a copy of the
 * repository, so the change never touches the checkout.
 */
describe('skaffold on the real cluster (profile local-cluster)', () => {
  let copy: string;
  let podmanDirectory: string | undefined;
  let service: ChildProcess | undefined;
  let dev: ChildProcess | undefined;
  let socket: string;
  const output: string[] = [];

  const environment = () => ({
    ...process.env,
    DOCKER_HOST: `unix://${socket}`,
    BUILD_CA_CERTS: existsSync(CA_BUNDLE) ? '/ca/ca-certificates.crt' : '',
    SKAFFOLD_UPDATE_CHECK: 'false',
    SKAFFOLD_INTERACTIVE: 'false',
  });

  beforeAll(async () => {
    // The repository as CI sees it (tracked and untracked files, not ignored ones) plus the dev
    // secrets the cluster already uses, as a git repository of its own (skaffold tags by commit).
    copy = mkdtempSync(join(tmpdir(), 'what-survives-skaffold-'));
    const files = execFileSync(
      'git',
      ['ls-files', '-co', '--exclude-standard', '-z'],
      { cwd: ROOT, encoding: 'utf8' },
    )
      .split('\0')
      .filter((file) => file && existsSync(join(ROOT, file)));
    for (const file of files) {
      mkdirSync(dirname(join(copy, file)), { recursive: true });
      cpSync(join(ROOT, file), join(copy, file));
    }
    cpSync(
      join(ROOT, 'k8s/overlays/dev/secrets'),
      join(copy, 'k8s/overlays/dev/secrets'),
      { recursive: true },
    );
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    const git = (args: string[]) =>
      execFileSync(
        'git',
        ['-c', 'user.name=test', '-c', 'user.email=test@localhost', ...args],
        { cwd: copy },
      );
    git(['init', '-q']);
    git(['add', '-A']);
    git(['commit', '-qm', 'the repository under test']);

    // podman's Docker API, with the host's CA bundle mounted into every build container.
    // Outside the copy: it is skaffold's build context.
    podmanDirectory = mkdtempSync(join(tmpdir(), 'what-survives-podman-api-'));
    const conf = writeContainersConf(podmanDirectory, {
      volumes: existsSync(CA_BUNDLE) ? [`${dirname(CA_BUNDLE)}:/ca:ro`] : [],
    });
    socket = join(podmanDirectory, 'podman.sock');
    service = spawn(
      'podman',
      ['system', 'service', '--time=0', `unix://${socket}`],
      {
        env: { ...process.env, CONTAINERS_CONF: conf },
        stdio: 'ignore',
      },
    );
    for (let waited = 0; !existsSync(socket) && waited < 20_000; waited += 100)
      await sleep(100);
    expect(existsSync(socket)).toBe(true);
  }, 600_000);

  afterAll(async () => {
    dev?.kill('SIGINT');
    await new Promise((resolve) =>
      dev && dev.exitCode === null
        ? dev.once('exit', resolve)
        : resolve(undefined),
    );
    service?.kill('SIGTERM');
    for (const directory of [copy, podmanDirectory])
      if (directory) rmSync(directory, { recursive: true, force: true });
  }, 60_000);

  const skaffold = (args: string[]) =>
    spawn('skaffold', args, {
      cwd: copy,
      env: environment(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  const collect = (child: ChildProcess) => {
    for (const stream of [child.stdout, child.stderr])
      stream?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  };

  const deployedImages = async () =>
    (
      await kubectlJson<{
        items: Array<{
          metadata: { name: string };
          spec: {
            template: { spec: { containers: Array<{ image: string }> } };
          };
        }>;
      }>(['-n', NAMESPACE, 'get', 'deployments'])
    ).items.map(
      (deployment) =>
        `${deployment.metadata.name}=${deployment.spec.template.spec.containers[0].image}`,
    );

  it('skaffold run: builds through podman, imports into containerd, deploys and waits for every pod', async () => {
    const run = skaffold(['run', ...SKAFFOLD_FLAGS]);
    collect(run);
    const code = await new Promise<number>((resolve) =>
      run.once('exit', (status) => resolve(status ?? 1)),
    );
    if (code !== 0) console.error(output.join('').slice(-6000));
    expect(code).toBe(0);
    expect(output.join('')).toMatch(
      /import-image: imported 2 images into containerd/,
    );
    // The Deployments now run the images skaffold tagged, not the :latest of `cluster up`.
    for (const image of await deployedImages())
      expect(image).toMatch(/=what-survives\/(auth|order|cart):(?!latest)\S+$/);
    expect((await fetch(`${entryPoint()}/menu`)).status).toBe(200);
  }, 900_000);

  it('skaffold dev: a changed source file is rebuilt, redeployed and served by the new pods', async () => {
    output.length = 0;
    dev = skaffold(['dev', ...SKAFFOLD_FLAGS, '--cleanup=false']);
    collect(dev);
    const menuName = async () => {
      const response = await fetch(`${entryPoint()}/menu`).catch(
        () => undefined,
      );
      if (response?.status !== 200) return undefined;
      const menu = (await response.json()) as {
        items: Array<{ sku: string; name: string }>;
      };
      return menu.items.find((item) => item.sku === 'tea')?.name;
    };
    // skaffold dev deploys first (the images of `skaffold run`, cached), then watches.
    for (
      let waited = 0;
      !/Watching for changes/.test(output.join('')) && waited < 300_000;
      waited += 1000
    )
      await sleep(1000);
    expect(output.join('')).toMatch(/Watching for changes/);
    const before = await deployedImages();
    expect(await menuName()).toBe('Green tea');

    const menu = join(copy, 'libs/contracts/src/menu.ts');
    writeFileSync(
      menu,
      readFileSync(menu, 'utf8').replace(
        "name: 'Green tea'",
        "name: 'Green tea (skaffold dev)'",
      ),
    );
    let served: string | undefined;
    for (
      let waited = 0;
      served !== 'Green tea (skaffold dev)' && waited < 600_000;
      waited += 2000
    ) {
      await sleep(2000);
      served = await menuName();
    }
    if (served !== 'Green tea (skaffold dev)')
      console.error(output.join('').slice(-6000));
    expect(served).toBe('Green tea (skaffold dev)');
    const after = await deployedImages();
    expect(after.find((image) => image.startsWith('order='))).not.toBe(
      before.find((image) => image.startsWith('order=')),
    );
  }, 900_000);
});
