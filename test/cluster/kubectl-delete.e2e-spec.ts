import { onceAnswered, StoryUser } from '../../tools/client/story-client';
import { entryPoint, kubectlOk, NAMESPACE } from './cluster-kubectl';

/**
 * docs/kubernetes.md's table, command for command: `kubectl delete pod` (graceful, as a user
 * types it) and what the same user still has afterwards, through the entry point.
 */
describe('kubectl delete pod, as docs/kubernetes.md has users type it', () => {
  const [name, password] = (process.env.E2E_USERS ?? 'alice:alice')
    .split(',')[0]
    .split(':');
  const alice = new StoryUser(entryPoint(), name, password);
  let orderId: string;

  // After each rollout the answer that matters is the first real one: a request caught
  // between Traefik's update and the new pods may fail (retried, as a user would).
  const deleteAndWait = async (selector: string[], workload: string) => {
    await kubectlOk(['-n', NAMESPACE, 'delete', 'pod', ...selector], {
      timeoutMs: 120_000,
    });
    await kubectlOk(
      ['-n', NAMESPACE, 'rollout', 'status', workload, '--timeout=120s'],
      {
        timeoutMs: 130_000,
      },
    );
  };

  beforeAll(async () => {
    // An earlier stage may have left Redis in the kubelet's crash-loop back-off: wait it out.
    expect((await onceAnswered(() => alice.login(), 90_000)).status).toBe(200);
    for (const cart of ['/cart', '/legacy-cart'] as const) {
      expect((await alice.cartLogin(cart)).status).toBe(200);
      expect((await alice.cartAdd(cart, 'americano', 2)).status).toBe(200);
    }
    const order = await alice.placeOrder([{ sku: 'latte', qty: 1 }], 'card');
    expect(order.status).toBe(201);
    orderId = order.body.id;
  });

  it('-l app=cart-legacy: the legacy cart is gone (401, no session)', async () => {
    expect((await alice.cartShow('/legacy-cart')).status).toBe(200);
    await deleteAndWait(['-l', 'app=cart-legacy'], 'deployment/cart-legacy');
    const after = await onceAnswered(() => alice.cartShow('/legacy-cart'));
    expect(after.status).toBe(401);
  });

  it('-l app=cart: the Redis cart is still there', async () => {
    await deleteAndWait(['-l', 'app=cart'], 'deployment/cart');
    const after = await onceAnswered(() => alice.cartShow('/cart'));
    expect(after.status).toBe(200);
    expect(after.body.items).toEqual([
      expect.objectContaining({ sku: 'americano', qty: 2 }),
    ]);
  });

  it('-l app=order: nothing lost, the same token lists the same order', async () => {
    await deleteAndWait(['-l', 'app=order'], 'deployment/order');
    const orders = await onceAnswered(() => alice.listOrders());
    expect(orders.status).toBe(200);
    expect(orders.body.map((order: { id: string }) => order.id)).toContain(
      orderId,
    );
  });

  it('redis-0: sessions and orders come back with the pod (PVC + AOF)', async () => {
    await deleteAndWait(['redis-0'], 'statefulset/redis');
    // Requests needing Redis answer 503 until the clients have reconnected.
    const order = await onceAnswered(() => alice.getOrder(orderId), 60_000);
    expect(order.status).toBe(200);
    const cart = await onceAnswered(() => alice.cartShow('/cart'), 60_000);
    expect(cart.status).toBe(200);
    expect(cart.body.items).toEqual([
      expect.objectContaining({ sku: 'americano', qty: 2 }),
    ]);
  });
});
