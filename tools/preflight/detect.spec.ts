import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detect, isAtLeast, parseVersion, which } from './detect';
import { PROGRAMS } from './programs';

describe('detect: a program on this machine, found the way a shell finds it', () => {
  let bin: string;
  /** A program of the test's own: a script that prints what a real one prints. */
  const script = (name: string, body: string, mode = 0o755) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), mode);
  };

  beforeEach(() => {
    bin = mkdtempSync(join(tmpdir(), 'what-survives-preflight-'));
  });
  afterEach(() => rmSync(bin, { recursive: true, force: true }));

  it('finds a command on the PATH only when it is an executable file', () => {
    script('redis-server', 'exit 0', 0o644);
    expect(which('redis-server', bin)).toBeUndefined();
    chmodSync(join(bin, 'redis-server'), 0o755);
    expect(which('redis-server', `/nonexistent:${bin}`)).toBe(
      join(bin, 'redis-server'),
    );
    expect(
      detect('redis-server', PROGRAMS['redis-server'], { PATH: bin }),
    ).toMatchObject({ state: 'found', path: join(bin, 'redis-server') });
    expect(
      detect('redis-server', PROGRAMS['redis-server'], { PATH: '/nonexistent' })
        .state,
    ).toBe('missing');
  });

  it('reads the version of a program with a minimum, and finds one too old', () => {
    script('kubectl', 'echo "Client Version: v1.28.3"');
    expect(detect('kubectl', PROGRAMS.kubectl, { PATH: bin })).toMatchObject({
      state: 'too-old',
      version: '1.28.3',
    });
    script(
      'kubectl',
      'echo "Client Version: v1.32.4-dispatcher"; echo "Kustomize Version: v5.5.0"',
    );
    expect(detect('kubectl', PROGRAMS.kubectl, { PATH: bin })).toMatchObject({
      state: 'found',
      version: '1.32.4',
    });
  });

  it('takes a version printed by a program that exits non-zero, and no version as too old', () => {
    script('kubectl', 'echo "Client Version: v1.31.0" >&2; exit 1');
    expect(detect('kubectl', PROGRAMS.kubectl, { PATH: bin }).state).toBe(
      'found',
    );
    script('kubectl', 'echo "no version here"');
    expect(detect('kubectl', PROGRAMS.kubectl, { PATH: bin })).toMatchObject({
      state: 'too-old',
      version: undefined,
    });
  });

  it('looks for a file where its environment variable points, else at its default', () => {
    script('chromium', 'exit 0');
    const chromium = join(bin, 'chromium');
    expect(
      detect('chromium', PROGRAMS.chromium, { CHROMIUM_PATH: chromium }),
    ).toMatchObject({ state: 'found', path: chromium });
    expect(
      detect('chromium', PROGRAMS.chromium, {
        CHROMIUM_PATH: join(bin, 'none'),
      }),
    ).toMatchObject({ state: 'missing', path: join(bin, 'none') });
  });

  it('compares versions part by part', () => {
    expect(parseVersion('Redis server v=7.0.15 sha=00000000:0')).toBe('7.0.15');
    expect(parseVersion('go version go1.22.1 linux/amd64')).toBe('1.22.1');
    expect(isAtLeast('1.30.0', '1.30')).toBe(true);
    expect(isAtLeast('1.100', '1.30')).toBe(true);
    expect(isAtLeast('1.29.9', '1.30')).toBe(false);
    expect(isAtLeast('2.0', '1.30')).toBe(true);
  });
});
