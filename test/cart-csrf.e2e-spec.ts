import type { ServiceProcess } from './support/service-process';
import { CartClient, login, TestServices } from './support/services';

/**
 * Cross-site request forgery against the cookie-authenticated cart: a page on another origin
 * (another localhost port is same-site, so SameSite=Lax still sends the cookie) posts to the
 * cart. A form or a no-cors fetch can only send a "simple" request (text/plain, urlencoded,
 * multipart, no custom headers): the cart accepts JSON only and refuses any write whose
 * Origin / Sec-Fetch-Site says it came from elsewhere.
 */
describe('cart: cross-site writes are refused (CSRF)', () => {
  const services = new TestServices();
  let auth: ServiceProcess;
  let order: ServiceProcess;
  let redisCart: ServiceProcess;
  let memoryCart: ServiceProcess;
  let token: string;

  const ordersOf = async () =>
    (await fetch(`${order.url}/orders`, {
      headers: { authorization: `Bearer ${token}` },
    }).then((response) => response.json())) as Array<{ id: string }>;

  /** A logged-in cart with something in it and a payment chosen: ready to check out. */
  const readyCart = async (
    pod: ServiceProcess,
    prefix: '/cart' | '/legacy-cart' = '/cart',
  ) => {
    const client = new CartClient(pod.url, prefix);
    await client.login(token);
    expect((await client.add('americano', 2)).status).toBe(200);
    expect((await client.pay('card')).status).toBe(200);
    return client;
  };

  beforeAll(async () => {
    ({ auth, order } = await services.backend());
    [redisCart, memoryCart] = await Promise.all([
      services.cart('redis', order, auth),
      services.cart('memory', order, auth),
    ]);
    token = (await login(auth)).access_token;
  });
  afterAll(() => services.stop());

  describe.each([
    ['/cart', () => redisCart],
    ['/legacy-cart', () => memoryCart],
  ] as const)('%s', (prefix, pod) => {
    it('a text/plain POST checkout with the session cookie (an HTML form) is 415 and places no order', async () => {
      const client = await readyCart(pod(), prefix);
      const before = await ordersOf();
      // What <form enctype="text/plain"> or fetch(..., {mode: 'no-cors'}) can send.
      const forged = await client.send('POST', '/checkout', '{}', {
        'content-type': 'text/plain',
      });
      expect(forged.status).toBe(415);
      expect(await forged.json()).toMatchObject({
        statusCode: 415,
        error: 'Unsupported Media Type',
      });
      expect(await ordersOf()).toHaveLength(before.length);
      // The cart is untouched: the forged request changed nothing.
      expect(await (await client.show()).json()).toMatchObject({
        total: 6000,
        payment: 'card',
      });
    });

    it('a body-less POST checkout (no content type) is 415 too', async () => {
      const client = await readyCart(pod(), prefix);
      const before = await ordersOf();
      const response = await client.send('POST', '/checkout', undefined);
      expect(response.status).toBe(415);
      expect(await ordersOf()).toHaveLength(before.length);
    });

    it.each([
      ['POST', '/items', { sku: 'latte', qty: 1 }],
      ['PUT', '/payment', { method: 'cash' }],
      ['POST', '/checkout', {}],
      ['POST', '/logout', {}],
    ])('%s %s with a urlencoded body is 415', async (method, path, body) => {
      const client = await readyCart(pod(), prefix);
      const response = await client.send(
        method,
        path,
        new URLSearchParams(body as Record<string, string>).toString(),
        { 'content-type': 'application/x-www-form-urlencoded' },
      );
      expect(response.status).toBe(415);
      // Still logged in, the same cart.
      expect(await (await client.show()).json()).toMatchObject({
        total: 6000,
        payment: 'card',
      });
    });

    it.each([
      ['Origin', { origin: 'http://localhost:9999' }],
      ['Origin', { origin: 'http://127.0.0.1:9999' }],
      ['Origin', { origin: 'null' }],
      ['Sec-Fetch-Site', { 'sec-fetch-site': 'same-site' }],
      ['Sec-Fetch-Site', { 'sec-fetch-site': 'cross-site' }],
    ])(
      'a JSON checkout with a foreign %s (%j) is 403 JSON and places no order',
      async (_header, headers) => {
        const client = await readyCart(pod(), prefix);
        const before = await ordersOf();
        const response = await client.call('POST', '/checkout', {}, headers);
        expect(response.status).toBe(403);
        expect(await response.json()).toMatchObject({
          statusCode: 403,
          error: 'Forbidden',
          message: expect.stringMatching(/cross-site|same-site|origin/i),
        });
        expect(await ordersOf()).toHaveLength(before.length);
      },
    );

    it.each([
      ['POST', '/items', { sku: 'latte', qty: 1 }],
      ['DELETE', '/items/americano', undefined],
      ['PUT', '/payment', { method: 'cash' }],
      ['POST', '/logout', {}],
    ])(
      '%s %s from another origin (localhost:9999) is 403 and changes nothing',
      async (method, path, body) => {
        const client = await readyCart(pod(), prefix);
        const response = await client.call(method, path, body, {
          origin: 'http://localhost:9999',
          'sec-fetch-site': 'same-site',
        });
        expect(response.status).toBe(403);
        expect(await (await client.show()).json()).toMatchObject({
          total: 6000,
          payment: 'card',
        });
      },
    );

    it("the cart's own origin, and a client that sends neither header, still check out (201)", async () => {
      const sameOrigin = await readyCart(pod(), prefix);
      const own = await sameOrigin.call(
        'POST',
        '/checkout',
        {},
        {
          origin: pod().url,
          'sec-fetch-site': 'same-origin',
        },
      );
      expect(own.status).toBe(201);
      const nonBrowser = await readyCart(pod(), prefix);
      const plain = await nonBrowser.call('POST', '/checkout', {});
      expect(plain.status).toBe(201);
      expect((await plain.json()).total).toBe(6000);
    });
  });
});
