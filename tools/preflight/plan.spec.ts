import type { Finding } from './detect';
import { DEBIAN_ROOT } from './hosts.fixture';
import { planPreflight } from './plan';
import { PROGRAMS, type Program, type ProgramName } from './programs';

const missing = (name: ProgramName, path?: string): Finding => ({
  name,
  program: PROGRAMS[name],
  state: 'missing',
  path,
});
const found = (name: ProgramName): Finding => ({
  name,
  program: PROGRAMS[name],
  state: 'found',
  path: `/usr/bin/${name}`,
});

describe('planPreflight: what the preflight does about what it found', () => {
  it('does nothing when every program is there', () => {
    expect(
      planPreflight(
        'npm test',
        [found('redis-server'), found('chromium'), found('kubectl')],
        DEBIAN_ROOT,
      ),
    ).toEqual({ problems: [] });
  });

  it('installs the missing Debian packages as root, saying so first', () => {
    const plan = planPreflight(
      'npm test',
      [
        missing('redis-server'),
        missing('chromium', '/usr/bin/chromium'),
        found('kubectl'),
      ],
      DEBIAN_ROOT,
    );
    expect(plan.problems).toEqual([]);
    expect(plan.install).toEqual({
      announcement:
        'npm test: redis-server is not on the PATH; chromium not found at /usr/bin/chromium (CHROMIUM_PATH): installing redis-server chromium with apt-get (LAB_NO_INSTALL=1 turns this off)',
      packages: ['redis-server', 'chromium'],
      programs: ['redis-server', 'chromium'],
      update: undefined,
      install: [
        ...['apt-get', 'install', '-y', '-q', '-o', 'Dpkg::Use-Pty=0'],
        ...['redis-server', 'chromium'],
      ],
    });
  });

  it('updates the package lists first when they are empty (a fresh image)', () => {
    const plan = planPreflight('npm start', [missing('redis-server')], {
      ...DEBIAN_ROOT,
      aptListsEmpty: true,
    });
    expect(plan.install?.update).toEqual(['apt-get', 'update', '-q']);
    expect(plan.install?.install).toEqual([
      ...['apt-get', 'install', '-y', '-q', '-o', 'Dpkg::Use-Pty=0'],
      'redis-server',
    ]);
  });

  it('goes through passwordless sudo when not root, keeping apt-get non-interactive', () => {
    const plan = planPreflight('npm start', [missing('redis-server')], {
      ...DEBIAN_ROOT,
      root: false,
      sudo: true,
      aptListsEmpty: true,
    });
    const sudo = ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive'];
    expect(plan.install?.update).toEqual([...sudo, 'apt-get', 'update', '-q']);
    expect(plan.install?.install).toEqual([
      ...sudo,
      ...['apt-get', 'install', '-y', '-q', '-o', 'Dpkg::Use-Pty=0'],
      'redis-server',
    ]);
    expect(plan.install?.announcement).toMatch(/with apt-get through sudo/);
  });

  it('installs nothing with LAB_NO_INSTALL=1: one line per program, with its command', () => {
    const plan = planPreflight(
      'npm test',
      [missing('redis-server'), missing('chromium', '/usr/bin/chromium')],
      { ...DEBIAN_ROOT, noInstall: true },
    );
    expect(plan.install).toBeUndefined();
    expect(plan.problems).toEqual([
      'npm test: redis-server is not on the PATH; install it with: apt-get install redis-server (LAB_NO_INSTALL=1: not installing it here)',
      'npm test: chromium not found at /usr/bin/chromium (CHROMIUM_PATH); install it with: apt-get install chromium, or set CHROMIUM_PATH to one (LAB_NO_INSTALL=1: not installing it here)',
    ]);
  });

  it('names sudo and says why when neither root nor passwordless sudo can install', () => {
    const plan = planPreflight('npm start', [missing('redis-server')], {
      ...DEBIAN_ROOT,
      root: false,
    });
    expect(plan.install).toBeUndefined();
    expect(plan.problems).toEqual([
      'npm start: redis-server is not on the PATH; install it with: sudo apt-get install redis-server (installing needs root or passwordless sudo)',
    ]);
  });

  it('names the Homebrew formula on macOS', () => {
    const plan = planPreflight(
      'npm test',
      [
        missing('redis-server'),
        missing('chromium', '/usr/bin/chromium'),
        missing('kubectl'),
      ],
      { ...DEBIAN_ROOT, platform: 'darwin', apt: false },
    );
    expect(plan.install).toBeUndefined();
    expect(plan.problems).toEqual([
      'npm test: redis-server is not on the PATH; install it with: brew install redis',
      'npm test: chromium not found at /usr/bin/chromium (CHROMIUM_PATH); install it with: brew install --cask chromium, or set CHROMIUM_PATH to one',
      'npm test: kubectl is not on the PATH; install it with: brew install kubectl',
    ]);
  });

  it('installs what apt-get has and says how to get kubectl, which Debian does not package', () => {
    const plan = planPreflight(
      'npm test',
      [missing('redis-server'), missing('kubectl')],
      DEBIAN_ROOT,
    );
    expect(plan.install?.packages).toEqual(['redis-server']);
    expect(plan.problems).toEqual([
      'npm test: kubectl is not on the PATH; not a Debian package: get the release binary, https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/',
    ]);
  });

  it('reports a program older than its minimum with the version it found', () => {
    const plan = planPreflight(
      'npm test',
      [
        {
          name: 'kubectl',
          program: PROGRAMS.kubectl,
          state: 'too-old',
          path: '/usr/local/bin/kubectl',
          version: '1.28.3',
        },
      ],
      { ...DEBIAN_ROOT, platform: 'darwin', apt: false },
    );
    expect(plan.problems).toEqual([
      'npm test: kubectl 1.28.3 at /usr/local/bin/kubectl is older than the 1.30 it needs; install a newer one with: brew install kubectl',
    ]);
  });

  it('names every way it knows on a system with neither apt-get nor Homebrew', () => {
    const plan = planPreflight('npm start', [missing('redis-server')], {
      ...DEBIAN_ROOT,
      apt: false,
    });
    expect(plan.problems).toEqual([
      'npm start: redis-server is not on the PATH; install it: apt-get install redis-server (Debian/Ubuntu); brew install redis (macOS)',
    ]);
  });

  it('installs a package once for several programs it provides', () => {
    const plugin = (file: string): Program => ({
      find: { file },
      debian: 'containernetworking-plugins',
    });
    const plan = planPreflight(
      'npm run cluster',
      ['bridge', 'host-local'].map((name) => ({
        name,
        program: plugin(`/usr/lib/cni/${name}`),
        state: 'missing' as const,
        path: `/usr/lib/cni/${name}`,
      })),
      DEBIAN_ROOT,
    );
    expect(plan.install?.packages).toEqual(['containernetworking-plugins']);
    expect(plan.install?.programs).toEqual(['bridge', 'host-local']);
  });
});

describe('PROGRAMS', () => {
  it.each(Object.entries(PROGRAMS))(
    '%s says how to get it on Debian and on macOS',
    (_name, program: Program) => {
      expect(program.debian ?? program.manual).toBeTruthy();
      expect(program.brew ?? program.manual).toBeTruthy();
    },
  );
});
