import type { Order } from '@app/contracts';
import {
  StoryUser,
  type CartView,
  type StoryResponse,
} from '../client/story-client';
import { WireClient } from '../client/wire-bytes';
import {
  CARTS,
  deploymentOf,
  type CartPrefix,
  type DeploymentDescription,
} from '../deployments';
import { CART_LINES } from '../experiment/virtual-users';

/** A JWT's header and claims, read without verifying: what the token says, for people. */
export interface DecodedToken {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

export function decodeJwt(token: string): DecodedToken {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('not a JWT: expected 3 parts');
  const part = (text: string) => {
    const value: unknown = JSON.parse(
      Buffer.from(text, 'base64url').toString('utf8'),
    );
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new Error('not a JWT: a part is not a JSON object');
    return value as Record<string, unknown>;
  };
  return { header: part(parts[0]), claims: part(parts[1]) };
}

export type CartState = 'kept' | 'lost' | 'unreachable' | 'none';

export interface CartPanel {
  prefix: CartPrefix;
  /** Where the session lives: Redis (shared) or the memory of one pod. */
  store: DeploymentDescription['stateStore'];
  state: CartState;
  items: CartView['items'];
  total: number;
  /** The pod that created the session (for the memory store, the only pod that has it). */
  sessionPod?: string;
  /** The pod that answered the last look at the cart. */
  servedBy?: string;
  /** The last answer, e.g. `GET /legacy-cart → 401`. */
  detail: string;
  lostAt?: string;
}

/** What one request of yours carried on the wire (counted on the socket, wire-bytes.ts). */
export interface CarriedBytes {
  /** e.g. `GET /orders` */
  request: string;
  /** Request line + headers + body. */
  sent: number;
  /** The credential's header line: `Authorization: Bearer <JWT>` or `Cookie: cart_sid=…`. */
  credential: number;
  /** Everything else you sent: request line, other headers, body. */
  rest: number;
  received: number;
  /** Of `received`, the Set-Cookie lines (the cart renews its cookie on every answer). */
  credentialReceived: number;
}

export interface YouView {
  state: 'starting' | 'ready' | 'error';
  error?: string;
  username: string;
  token?: {
    /** Never the whole token: the page has no use for a credential. */
    preview: string;
    issuedBy?: string;
    header: Record<string, unknown>;
    claims: Record<string, unknown>;
    /** Does `order` still accept it (the last `GET /orders`)? */
    accepted: boolean;
  };
  /** After "Log out": what order makes of the access token the user logged out with. */
  logout?: {
    at: string;
    /** `POST /auth/logout` (refresh token + the access token as bearer) → its status. */
    detail: string;
    oldToken: {
      accepted: boolean;
      /** exp − now while order still accepts it (the stateless window); 0 once refused. */
      secondsLeft: number;
      /** Refused on the first look after the logout (AUTH_REVOCATION=denylist). */
      refusedAtOnce: boolean;
      /** The last look, e.g. `GET /orders → 401 token revoked`. */
      lastCheck: string;
    };
  };
  carts: CartPanel[];
  orders: {
    count: number;
    last: Order[];
    servedBy?: string;
    detail: string;
  };
  /** Your last request with the token (GET /orders) and with the session cookie (GET /cart). */
  carried: { token?: CarriedBytes; cookie?: CarriedBytes };
}

/** The bytes a response's exchange carried, `header` being the credential it sent. */
function carriedBy(
  request: string,
  response: StoryResponse,
  header: 'authorization' | 'cookie',
): CarriedBytes | undefined {
  const wire = response.wire;
  if (!wire) return undefined;
  const credential = wire.headersSent[header] ?? 0;
  return {
    request,
    sent: wire.sent,
    credential,
    rest: wire.sent - credential,
    received: wire.received,
    credentialReceived: wire.headersReceived['set-cookie'] ?? 0,
  };
}

function emptyCart(
  prefix: CartPrefix,
  store: DeploymentDescription['stateStore'],
): CartPanel {
  return {
    prefix,
    store,
    state: 'none',
    items: [],
    total: 0,
    detail: 'no session yet',
  };
}

/**
 * The dashboard's "you": one demo user through the entry point, kept in the lab process (token
 * and cookies never reach the page). Logs in, fills both carts, orders once, then looks at what
 * it still has whenever asked.
 */
export class DemoUser {
  private story: StoryUser;
  /** Bytes counted on the socket; a few connections, as the look asks three things at once. */
  private wire = new WireClient({ maxSockets: 4 });
  private current: YouView;
  private pending?: Promise<YouView>;
  private started = false;
  private sequence = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly username: string,
    private readonly password: string,
  ) {
    this.story = new StoryUser(baseUrl, username, password, 10_000, this.wire);
    this.current = this.blank();
  }

  /** Closes the kept-alive connections to the entry point. */
  close(): void {
    this.wire.close();
  }

  get view(): YouView {
    return this.current;
  }

  /** Forget everything and start over: a new login, both carts filled again, one more order. */
  async reset(): Promise<YouView> {
    await this.pending?.catch(() => undefined);
    this.wire.close();
    this.wire = new WireClient({ maxSockets: 4 });
    this.story = new StoryUser(
      this.baseUrl,
      this.username,
      this.password,
      10_000,
      this.wire,
    );
    this.current = this.blank();
    this.started = false;
    return this.refresh();
  }

  /**
   * "Log out": the refresh token's family is revoked, and with AUTH_REVOCATION=denylist the
   * access token too. The user keeps the old access token, and every look from now on shows
   * whether order still takes it, and for how long its `exp` would let it.
   */
  async logout(): Promise<YouView> {
    await this.pending?.catch(() => undefined);
    if (!this.story.tokens) return this.current;
    const answer = await this.story.logout();
    this.current = {
      ...this.current,
      logout: {
        at: new Date().toISOString(),
        detail: `POST /auth/logout → ${answer.status || 'no answer'}`,
        oldToken: {
          accepted: true,
          secondsLeft: 0,
          refusedAtOnce: false,
          lastCheck: 'not checked yet',
        },
      },
    };
    const firstLook = await this.refresh();
    if (firstLook.logout)
      firstLook.logout.oldToken.refusedAtOnce =
        !firstLook.logout.oldToken.accepted;
    return firstLook;
  }

  /** One look at everything (the first one builds it); concurrent callers share the look. */
  refresh(): Promise<YouView> {
    this.pending ??= (
      this.started ? this.look() : this.build().then(() => this.look())
    ).finally(() => (this.pending = undefined));
    return this.pending;
  }

  private blank(): YouView {
    return {
      state: 'starting',
      username: this.username,
      carts: CARTS.map(({ app, prefix }) =>
        emptyCart(prefix, deploymentOf(app).stateStore),
      ),
      orders: { count: 0, last: [], detail: 'no order yet' },
      carried: {},
    };
  }

  private async build(): Promise<void> {
    const login = await this.story.login();
    if (login.status !== 200 || !this.story.tokens) {
      this.current = {
        ...this.current,
        state: 'error',
        error: `POST /auth/login → ${login.status || 'no answer'}; retrying`,
      };
      throw new Error(this.current.error);
    }
    const token = this.story.tokens.access_token;
    const decoded = decodeJwt(token);
    this.current.token = {
      preview: `${token.slice(0, 12)}…`,
      issuedBy: login.pod,
      header: decoded.header,
      claims: decoded.claims,
      accepted: true,
    };
    for (const cart of this.current.carts) {
      const session = await this.story.cartLogin(cart.prefix);
      if (session.status !== 200) continue;
      cart.sessionPod = session.body.sessionCreatedBy;
      for (const line of CART_LINES)
        await this.story.cartAdd(cart.prefix, line.sku, line.qty);
      await this.story.cartPay(cart.prefix, 'card');
    }
    await this.story.placeOrder(
      [{ sku: 'americano', qty: 2 }],
      'card',
      `dashboard-${this.username}-${Date.now()}-${this.sequence++}`,
    );
    this.started = true;
  }

  private async look(): Promise<YouView> {
    const [looks, orders] = await Promise.all([
      Promise.all(
        this.current.carts.map((cart) => this.story.cartShow(cart.prefix)),
      ),
      this.story.request<Order[]>('GET', '/orders', {
        headers: this.story.bearer,
      }),
    ]);
    const redisCart =
      looks[this.current.carts.findIndex((cart) => cart.prefix === '/cart')];
    const carts = this.current.carts.map((cart, index) => {
      const seen = looks[index];
      const detail = `GET ${cart.prefix} → ${seen.status || 'no answer'}`;
      if (seen.status === 200) {
        const body = seen.body as CartView;
        return {
          ...cart,
          state: 'kept' as const,
          items: body.items,
          total: body.total,
          sessionPod: body.sessionCreatedBy,
          servedBy: seen.pod,
          detail,
        };
      }
      if (seen.status === 401 && !cart.sessionPod) {
        return { ...cart, state: 'none' as const, detail };
      }
      if (seen.status === 401) {
        // The cookie names a session no pod has any more: that cart is gone for good.
        return {
          ...cart,
          state: 'lost' as const,
          items: [],
          total: 0,
          servedBy: seen.pod,
          detail,
          lostAt: cart.lostAt ?? new Date().toISOString(),
        };
      }
      return { ...cart, state: 'unreachable' as const, detail };
    });
    const listed = orders.status === 200 ? orders.body : undefined;
    this.current = {
      ...this.current,
      logout: this.current.logout && {
        ...this.current.logout,
        oldToken: this.oldTokenAfterLogout(orders),
      },
      state: 'ready',
      error: undefined,
      token: this.current.token && {
        ...this.current.token,
        accepted: orders.status !== 401,
      },
      carts,
      carried: {
        token:
          carriedBy('GET /orders', orders, 'authorization') ??
          this.current.carried.token,
        cookie:
          carriedBy('GET /cart', redisCart, 'cookie') ??
          this.current.carried.cookie,
      },
      orders: listed
        ? {
            count: listed.length,
            last: listed.slice(0, 3),
            servedBy: orders.pod,
            detail: `GET /orders → ${orders.status}`,
          }
        : {
            ...this.current.orders,
            detail: `GET /orders → ${orders.status || 'no answer'}`,
          },
    };
    return this.current;
  }

  private oldTokenAfterLogout(
    orders: StoryResponse<unknown>,
  ): NonNullable<YouView['logout']>['oldToken'] {
    const previous = this.current.logout!.oldToken;
    const exp = Number(this.current.token?.claims.exp);
    const accepted = orders.status === 200;
    const message =
      orders.status !== 200 &&
      typeof (orders.body as { message?: unknown })?.message === 'string'
        ? ` ${(orders.body as { message: string }).message}`
        : '';
    return {
      ...previous,
      accepted,
      secondsLeft:
        accepted && Number.isFinite(exp)
          ? Math.max(0, Math.round(exp - Date.now() / 1000))
          : 0,
      lastCheck: `GET /orders → ${orders.status || 'no answer'}${message}`,
    };
  }
}
