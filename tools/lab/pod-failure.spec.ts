import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { causeFromLog, logSince, spawnFailure } from './pod-failure';

/** What the app bundle printed, verbatim (shortened), when its port was taken. */
const NEST_PORT_TAKEN = `{"level":30,"time":1796165058871,"app":"order","pod":"order-x","context":"NestFactory","msg":"Starting Nest application..."}
{"level":30,"time":1796165058873,"app":"order","pod":"order-x","context":"NestApplication","msg":"Nest application successfully started"}
{"level":50,"time":1796165058874,"app":"order","pod":"order-x","context":"NestApplication","msg":"Error: listen EADDRINUSE: address already in use :::18081"}
node:net:1908
    const ex = new UVExceptionWithHostPort(err, 'listen', address, port);
               ^

Error: listen EADDRINUSE: address already in use :::18081
    at Server.setupListenHandle [as _listen2] (node:net:1908:16)
    at listenInCluster (node:net:1965:12)
    at Proxy.<anonymous> (/work/dist/apps/order/main.cjs:78567:26) {
  code: 'EADDRINUSE',
  errno: -98,
  syscall: 'listen',
  address: '::',
  port: 18081
}

Node.js v20.20.2
`;

/** redis-server 7.0 on a taken port, verbatim. */
const REDIS_PORT_TAKEN = `19284:C 01 Dec 2026 22:37:04.622 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo
19284:C 01 Dec 2026 22:37:04.622 # Configuration loaded
19284:M 01 Dec 2026 22:37:04.622 * monotonic clock: POSIX clock_gettime
19284:M 01 Dec 2026 22:37:04.623 # Warning: Could not create server TCP listening socket 127.0.0.1:6399: bind: Address already in use
19284:M 01 Dec 2026 22:37:04.623 # Failed listening on port 6399 (TCP), aborting.
`;

describe('causeFromLog: the line of a pod log that says why it died', () => {
  it('finds the taken port in an app stack trace, not a stack frame or a property', () => {
    expect(causeFromLog(NEST_PORT_TAKEN)).toBe(
      'Error: listen EADDRINUSE: address already in use :::18081',
    );
  });

  it("finds redis-server's bind failure, without its log prefix", () => {
    expect(causeFromLog(REDIS_PORT_TAKEN)).toBe(
      'Warning: Could not create server TCP listening socket 127.0.0.1:6399: bind: Address already in use',
    );
  });

  it("takes an app's one-line start-up error, and a JSON line's message and error", () => {
    expect(
      causeFromLog(
        'order: cannot start: REDIS_URL: Invalid URL\n\n[lab] order-x pid 1 exited (code 1)\n',
      ),
    ).toBe('order: cannot start: REDIS_URL: Invalid URL');
    expect(
      causeFromLog(
        '{"level":60,"msg":"fatal","err":{"message":"ECONNREFUSED 127.0.0.1:6379"}}\n',
      ),
    ).toBe('fatal: ECONNREFUSED 127.0.0.1:6379');
  });

  it('falls back to the last line, and to nothing when the pod said nothing', () => {
    expect(causeFromLog('starting\nbye\n')).toBe('bye');
    expect(causeFromLog('\n[lab] redis-0 pid 7 exited (SIGKILL)\n')).toBe(
      undefined,
    );
  });
});

describe('spawnFailure and logSince', () => {
  it('says what could not be spawned and why', () => {
    const error = Object.assign(new Error('spawn redis-server ENOENT'), {
      code: 'ENOENT',
    });
    expect(spawnFailure('redis-server', error)).toBe(
      'cannot start: redis-server not found (spawn ENOENT)',
    );
  });

  it('reads what one start of a pod wrote, not the starts before it', () => {
    const directory = mkdtempSync(join(tmpdir(), 'what-survives-log-'));
    try {
      const file = join(directory, 'redis-0.log');
      writeFileSync(file, 'Error: the first start failed\n');
      const offset = 'Error: the first start failed\n'.length;
      appendFileSync(file, 'ready to accept connections\n');
      expect(logSince(file, offset)).toBe('ready to accept connections\n');
      expect(logSince(join(directory, 'none.log'), 0)).toBe('');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
