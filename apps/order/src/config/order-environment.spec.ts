import { orderEnvironmentSchema } from './order-environment';

const required = {
  REDIS_URL: 'redis://127.0.0.1:6379',
  AUTH_ISSUER: 'http://auth.test',
  AUTH_JWKS_URL: 'http://auth.test/auth/.well-known/jwks.json',
};

/** The first problem as the start-up line names it: "NAME: why". */
function problemWith(environment: Record<string, string>): string | undefined {
  const result = orderEnvironmentSchema.safeParse({
    ...required,
    ...environment,
  });
  if (result.success) return undefined;
  const [issue] = result.error.issues;
  return `${issue.path.join('.')}: ${issue.message}`;
}

describe("order's bounds configuration", () => {
  it('defaults: 30 orders per user per 60 s, the newest 100 kept for 30 days, keys remembered 1 day', () => {
    expect(orderEnvironmentSchema.parse(required)).toMatchObject({
      ORDER_RATE_LIMIT_MAX_ORDERS: 30,
      ORDER_RATE_LIMIT_WINDOW_SECONDS: 60,
      ORDER_HISTORY_LIMIT: 100,
      ORDER_RETENTION_SECONDS: 30 * 86_400,
      ORDER_IDEMPOTENCY_TTL_SECONDS: 86_400,
      ORDER_WAIT_REPLICAS: 0,
      ORDER_WAIT_TIMEOUT_MS: 500,
    });
  });

  it.each([
    [
      { ORDER_RATE_LIMIT_MAX_ORDERS: '0' },
      'ORDER_RATE_LIMIT_MAX_ORDERS: at least 1',
    ],
    [
      { ORDER_RATE_LIMIT_MAX_ORDERS: 'lots' },
      'ORDER_RATE_LIMIT_MAX_ORDERS: expected a whole number',
    ],
    [
      { ORDER_RATE_LIMIT_WINDOW_SECONDS: '1.5' },
      'ORDER_RATE_LIMIT_WINDOW_SECONDS: expected a whole number of seconds',
    ],
    [
      { ORDER_RATE_LIMIT_WINDOW_SECONDS: '0' },
      'ORDER_RATE_LIMIT_WINDOW_SECONDS: at least 1 s',
    ],
    [{ ORDER_HISTORY_LIMIT: '0' }, 'ORDER_HISTORY_LIMIT: at least 1'],
    [
      { ORDER_HISTORY_LIMIT: '2000000' },
      'ORDER_HISTORY_LIMIT: at most 1000000',
    ],
    [
      { ORDER_RETENTION_SECONDS: '30' },
      'ORDER_RETENTION_SECONDS: at least 60 s',
    ],
    [
      { ORDER_RETENTION_SECONDS: '3600' },
      'ORDER_RETENTION_SECONDS: must be at least ORDER_IDEMPOTENCY_TTL_SECONDS: a replayed Idempotency-Key must still find its order',
    ],
    [
      { ORDER_WAIT_REPLICAS: '-1' },
      'ORDER_WAIT_REPLICAS: at least 0 (0 = do not wait)',
    ],
    [
      { ORDER_WAIT_REPLICAS: 'one' },
      'ORDER_WAIT_REPLICAS: expected a whole number of replicas',
    ],
    [
      { ORDER_WAIT_TIMEOUT_MS: '0' },
      'ORDER_WAIT_TIMEOUT_MS: at least 1 ms (WAIT 0 would wait for ever)',
    ],
    [
      { ORDER_WAIT_TIMEOUT_MS: '2.5' },
      'ORDER_WAIT_TIMEOUT_MS: expected a whole number of milliseconds',
    ],
  ])('%j → %s', (environment, problem) => {
    expect(problemWith(environment)).toBe(problem);
  });

  it('accepts a retention equal to the idempotency TTL', () => {
    expect(
      problemWith({
        ORDER_RETENTION_SECONDS: '600',
        ORDER_IDEMPOTENCY_TTL_SECONDS: '600',
      }),
    ).toBeUndefined();
  });
});
