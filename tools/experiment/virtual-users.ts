import {
  onceAnswered,
  StoryUser,
  type StoryResponse,
} from '../client/story-client';
import { CARTS, type CartPrefix } from '../deployments';

export const CART_LINES = [
  { sku: 'americano', qty: 2 },
  { sku: 'latte', qty: 1 },
] as const;

/** One virtual user: its identity, what it built, and what it expects to find again. */
export class VirtualUser {
  readonly story: StoryUser;
  /** Pod that created each cart session (with the memory store, the only pod that knows it). */
  sessionPods: Partial<Record<CartPrefix, string>> = {};
  /** Every order this user saw created (201), by id. */
  readonly orderIds = new Set<string>();
  /** When (epoch ms) each of those was sent and its 201 came: which Redis failover it lived through. */
  readonly acknowledgedAt = new Map<string, { sentAt: number; at: number }>();
  /** Idempotency keys of every order attempt, answered or not. */
  readonly attemptedKeys = new Set<string>();
  tokenIssuer?: string;
  private sequence = 0;

  constructor(
    baseUrl: string,
    readonly index: number,
    username: string,
    password: string,
  ) {
    this.story = new StoryUser(baseUrl, username, password);
  }

  /** A fresh login: tokens from a previous window may belong to a key that is gone. */
  async loginOnly(): Promise<void> {
    const login = await this.story.login();
    if (login.status !== 200)
      throw new Error(`${this.story.username}: login answered ${login.status}`);
    this.tokenIssuer = login.pod;
    await this.placeOrder();
  }

  /**
   * Logs in and builds both carts step by step ("two americanos", "a latte", "by card"), then
   * orders once. A step that fails leaves the cart incomplete, which the checks count as lost.
   */
  async prepare(): Promise<void> {
    this.sessionPods = {};
    await this.loginOnly();
    for (const { prefix } of CARTS) {
      // A new visit: no old session or affinity cookie, so new sessions spread over today's pods.
      this.story.cookies[prefix] = [];
      const session = await this.story.cartLogin(prefix);
      if (session.status !== 200) continue;
      this.sessionPods[prefix] = session.body.sessionCreatedBy;
      for (const line of CART_LINES)
        await this.story.cartAdd(prefix, line.sku, line.qty);
      await this.story.cartPay(prefix, 'card');
    }
  }

  async placeOrder(): Promise<StoryResponse<{ id: string }>> {
    const sentAt = Date.now();
    const key = `vu${this.index}-${sentAt}-${this.sequence++}`;
    this.attemptedKeys.add(key);
    const response = await this.story.placeOrder(
      [{ sku: 'americano', qty: 2 }],
      'card',
      key,
    );
    if (response.status === 201) {
      this.orderIds.add(response.body.id);
      this.acknowledgedAt.set(response.body.id, { sentAt, at: Date.now() });
    }
    return response;
  }

  /** Is the cart still there, with what the user put in it? */
  async cartKept(prefix: CartPrefix): Promise<boolean> {
    const view = await onceAnswered(() => this.story.cartShow(prefix));
    if (view.status !== 200) return false;
    return CART_LINES.every((line) =>
      view.body.items.some(
        (item) => item.sku === line.sku && item.qty === line.qty,
      ),
    );
  }

  async tokenValid(): Promise<boolean> {
    return (await onceAnswered(() => this.story.listOrders())).status === 200;
  }
}

/** Users for the stack: `vu01:vu01-pass,...` (each virtual user its own account). */
export function virtualUserAccounts(count: number): Array<[string, string]> {
  return Array.from({ length: count }, (_, index) => {
    const name = `vu${String(index + 1).padStart(2, '0')}`;
    return [name, `${name}-pass`];
  });
}
