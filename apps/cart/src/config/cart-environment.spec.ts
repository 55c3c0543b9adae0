import { cartEnvironmentSchema } from './cart-environment';

const VALID = {
  SESSION_STORE: 'memory',
  SESSION_SECRETS: 'a-session-secret-of-32-characters-or-more',
  ORDER_URL: 'http://order',
  AUTH_ISSUER: 'http://auth',
  AUTH_JWKS_URL: 'http://auth/.well-known/jwks.json',
};

describe('cart environment: SESSION_MAX_PER_USER', () => {
  it('defaults to 5 live sessions per user', () => {
    expect(cartEnvironmentSchema.parse(VALID).SESSION_MAX_PER_USER).toBe(5);
  });

  it('takes a whole number from 1 to 1000', () => {
    expect(
      cartEnvironmentSchema.parse({ ...VALID, SESSION_MAX_PER_USER: '100' })
        .SESSION_MAX_PER_USER,
    ).toBe(100);
  });

  it.each(['0', '-1', '2.5', 'many', '1001'])(
    'refuses %j, naming the variable',
    (value) => {
      const result = cartEnvironmentSchema.safeParse({
        ...VALID,
        SESSION_MAX_PER_USER: value,
      });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0].path).toEqual(['SESSION_MAX_PER_USER']);
    },
  );
});
