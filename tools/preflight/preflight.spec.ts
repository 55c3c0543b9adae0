import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Host } from './host';
import { DEBIAN_ROOT } from './hosts.fixture';
import { runPreflight } from './preflight';

/**
 * The install runner against an apt-get of the test's own, first on the PATH: it records its
 * calls and "installs" a package by putting an executable of that name next to itself. The
 * machine's packages are never touched; what runs is the preflight's real code, spawning it.
 */
describe('runPreflight: installing what is missing', () => {
  let bin: string;
  let lines: string[];
  const calls = () =>
    existsSync(join(bin, 'calls'))
      ? readFileSync(join(bin, 'calls'), 'utf8').trim().split('\n')
      : [];
  const script = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  const aptGet = (install: string) =>
    script(
      'apt-get',
      `echo "DEBIAN_FRONTEND=$DEBIAN_FRONTEND $*" >> "${bin}/calls"
case "$1" in
  update) exit 0 ;;
  install) ${install} ;;
esac`,
    );
  const installs = () =>
    `for arg; do case "$arg" in -*|install) ;; *) printf '#!/bin/sh\\n' > "${bin}/$arg"; chmod +x "${bin}/$arg" ;; esac; done`;
  const run = (host: Host = DEBIAN_ROOT) =>
    runPreflight('npm start', ['redis-server'], {
      env: { PATH: bin },
      host,
      log: (line) => lines.push(line),
    });

  beforeEach(() => {
    bin = mkdtempSync(join(tmpdir(), 'what-survives-apt-'));
    lines = [];
    script('dpkg-query', `printf '9.9-test'`);
  });
  afterEach(() => rmSync(bin, { recursive: true, force: true }));

  it('says so first, runs apt-get non-interactively, then names each package with its version', () => {
    aptGet(installs());
    expect(run()).toEqual([]);
    expect(calls()).toEqual([
      'DEBIAN_FRONTEND=noninteractive install -y -q -o Dpkg::Use-Pty=0 redis-server',
    ]);
    expect(lines.slice(0, 3)).toEqual([
      'npm start: redis-server is not on the PATH: installing redis-server with apt-get (LAB_NO_INSTALL=1 turns this off)',
      '  apt-get install -y -q -o Dpkg::Use-Pty=0 redis-server',
      'installed redis-server 9.9-test',
    ]);
    expect(lines[3]).toMatch(/^installed in \d+ s$/);
    expect(existsSync(join(bin, 'redis-server'))).toBe(true);
  });

  it('updates empty package lists first', () => {
    aptGet(installs());
    expect(run({ ...DEBIAN_ROOT, aptListsEmpty: true })).toEqual([]);
    expect(calls()).toEqual([
      'DEBIAN_FRONTEND=noninteractive update -q',
      'DEBIAN_FRONTEND=noninteractive install -y -q -o Dpkg::Use-Pty=0 redis-server',
    ]);
  });

  it('retries once after updating the lists, then stops with apt-get’s own last word', () => {
    aptGet(`echo "E: Unable to locate package redis-server" >&2; exit 100`);
    expect(run()).toEqual([
      'npm start: apt-get install -y -q -o Dpkg::Use-Pty=0 redis-server failed (exit 100): E: Unable to locate package redis-server',
    ]);
    expect(calls()).toEqual([
      'DEBIAN_FRONTEND=noninteractive install -y -q -o Dpkg::Use-Pty=0 redis-server',
      'DEBIAN_FRONTEND=noninteractive update -q',
      'DEBIAN_FRONTEND=noninteractive install -y -q -o Dpkg::Use-Pty=0 redis-server',
    ]);
  });

  it('stops when the package installed but the program is still not there', () => {
    aptGet('exit 0');
    expect(run()).toEqual([
      'npm start: redis-server is not on the PATH, even after apt-get install redis-server',
    ]);
  });

  it('installs nothing with LAB_NO_INSTALL=1', () => {
    aptGet(installs());
    expect(run({ ...DEBIAN_ROOT, noInstall: true })).toEqual([
      'npm start: redis-server is not on the PATH; install it with: apt-get install redis-server (LAB_NO_INSTALL=1: not installing it here)',
    ]);
    expect(calls()).toEqual([]);
    expect(lines).toEqual([]);
  });
});
