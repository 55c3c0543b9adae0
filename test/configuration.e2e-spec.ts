import { ServiceProcess } from './support/service-process';

/** A bad environment stops the process at start-up with one line naming the variable. */
describe('configuration is validated at start-up', () => {
  const startWith = async (
    app: 'auth' | 'order',
    environment: Record<string, string>,
  ) => {
    const service = await ServiceProcess.start(app, environment, {
      waitReady: false,
    });
    const { code } = await service.exited;
    return { code, output: service.output.join('') };
  };

  it.each([
    ['order', {}, 'REDIS_URL'],
    [
      'order',
      {
        REDIS_URL: 'not a url',
        AUTH_JWKS_URL: 'http://x/jwks',
        AUTH_ISSUER: 'i',
      },
      'REDIS_URL',
    ],
    [
      'order',
      { REDIS_URL: 'redis://127.0.0.1:1', AUTH_ISSUER: 'i' },
      'AUTH_JWKS_URL',
    ],
    [
      'order',
      {
        REDIS_URL: 'redis://127.0.0.1:1',
        AUTH_JWKS_URL: 'http://x/j',
        AUTH_ISSUER: 'i',
        PORT: 'eighty',
      },
      'PORT',
    ],
    [
      'auth',
      {
        REDIS_URL: 'redis://127.0.0.1:1',
        AUTH_ISSUER: 'i',
        AUTH_USERS: 'alice',
      },
      'AUTH_USERS',
    ],
    [
      'auth',
      { REDIS_URL: 'redis://127.0.0.1:1', AUTH_ISSUER: 'i', AUTH_USERS: 'a:b' },
      'AUTH_KEYS_DIR',
    ],
    [
      'auth',
      {
        REDIS_URL: 'redis://127.0.0.1:1',
        AUTH_ISSUER: 'i',
        AUTH_USERS: 'a:b',
        AUTH_KEY_MODE: 'sometimes',
      },
      'AUTH_KEY_MODE',
    ],
    [
      'auth',
      {
        REDIS_URL: 'redis://127.0.0.1:1',
        AUTH_ISSUER: 'i',
        AUTH_USERS: 'a:b',
        AUTH_KEY_MODE: 'per-pod',
        // `true` would believe any peer's X-Forwarded-For: refused, not quietly accepted.
        TRUST_PROXY: 'true',
      },
      'TRUST_PROXY',
    ],
    [
      'auth',
      {
        REDIS_URL: 'redis://127.0.0.1:1',
        AUTH_ISSUER: 'i',
        AUTH_USERS: 'a:b',
        AUTH_KEY_MODE: 'per-pod',
        AUTH_LOGIN_ACCOUNT_MAX_FAILURES: '0',
      },
      'AUTH_LOGIN_ACCOUNT_MAX_FAILURES',
    ],
    [
      'order',
      {
        REDIS_URL: 'redis://127.0.0.1:1',
        AUTH_JWKS_URL: 'http://x/j',
        AUTH_ISSUER: 'i',
        HOST: 'every-interface',
      },
      'HOST',
    ],
    [
      'order',
      {
        REDIS_URL: 'redis://127.0.0.1:1',
        AUTH_JWKS_URL: 'http://x/j',
        AUTH_ISSUER: 'i',
        AUTH_REVOCATION: 'sometimes',
      },
      'AUTH_REVOCATION',
    ],
    [
      'auth',
      {
        REDIS_URL: 'redis://127.0.0.1:1',
        AUTH_ISSUER: 'i',
        AUTH_USERS: 'alice:alice',
        AUTH_KEY_MODE: 'per-pod',
        AUTH_REVOCATION: 'denylsit',
      },
      'AUTH_REVOCATION',
    ],
  ] as const)(
    '%s with %j exits 1 naming %s',
    async (app, environment, variable) => {
      const { code, output } = await startWith(app, { ...environment });
      expect(code).toBe(1);
      expect(output).toContain(`${app}: cannot start:`);
      expect(output).toMatch(new RegExp(`\\b${variable}\\b`));
      expect(output).not.toMatch(/^\s+at /m);
    },
  );
});
