import type { TokenResponse } from '@app/contracts';
import { perCart, type CartPrefix } from '../deployments';
import type { WireBytes, WireClient } from './wire-bytes';

export interface StoryResponse<T = unknown> {
  status: number;
  body: T;
  /** The pod that answered (`x-pod-name`), or undefined for a gateway error or network failure. */
  pod?: string;
  /** Why there was no answer at all (status 0): what fetch said, e.g. "other side closed". */
  error?: string;
  /** What the exchange cost on the wire, when the user goes through a WireClient. */
  wire?: WireBytes;
}

/**
 * One user of the coffee shop, through the entry point: logs in, orders statelessly, and keeps
 * a session cookie per cart (and the gateway's affinity cookie) like a browser. Shared by the
 * e2e suite and the experiment. Network failures become status 0, never exceptions, so load
 * loops can count them.
 */
export class StoryUser {
  tokens?: TokenResponse;
  readonly cookies: Record<CartPrefix, string[]> = perCart(() => []);

  constructor(
    readonly baseUrl: string,
    readonly username: string,
    readonly password: string,
    private readonly timeoutMs = 10_000,
    /** node:http with bytes counted on the socket, instead of fetch (the bench, the dashboard). */
    private readonly wire?: WireClient,
  ) {}

  get bearer(): Record<string, string> {
    return this.tokens
      ? { authorization: `Bearer ${this.tokens.access_token}` }
      : {};
  }

  async login(): Promise<StoryResponse<TokenResponse>> {
    const response = await this.request<TokenResponse>('POST', '/auth/login', {
      body: { username: this.username, password: this.password },
    });
    if (response.status === 200) this.tokens = response.body;
    return response;
  }

  /** The refresh token in the body, the access token as bearer (for AUTH_REVOCATION=denylist). */
  logout(): Promise<StoryResponse> {
    return this.request('POST', '/auth/logout', {
      body: { refresh_token: this.tokens?.refresh_token ?? '' },
      headers: this.bearer,
    });
  }

  async refresh(): Promise<StoryResponse<TokenResponse>> {
    const response = await this.request<TokenResponse>(
      'POST',
      '/auth/refresh',
      { body: { refresh_token: this.tokens?.refresh_token ?? '' } },
    );
    if (response.status === 200) this.tokens = response.body;
    return response;
  }

  placeOrder(
    items: Array<{ sku: string; qty: number }>,
    payment: 'card' | 'cash',
    idempotencyKey?: string,
  ) {
    return this.request<{ id: string; total: number }>('POST', '/orders', {
      body: { items, payment },
      headers: {
        ...this.bearer,
        ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
      },
    });
  }

  getOrder(id: string) {
    return this.request<{ id: string; total: number }>('GET', `/orders/${id}`, {
      headers: this.bearer,
    });
  }

  listOrders() {
    return this.request<Array<{ id: string }>>('GET', '/orders', {
      headers: this.bearer,
    });
  }

  cartLogin(prefix: CartPrefix) {
    return this.request<CartView>('POST', `${prefix}/login`, {
      headers: this.bearer,
      cart: prefix,
    });
  }

  cartShow(prefix: CartPrefix) {
    return this.request<CartView>('GET', prefix, { cart: prefix });
  }

  cartAdd(prefix: CartPrefix, sku: string, qty: number) {
    return this.request<CartView>('POST', `${prefix}/items`, {
      body: { sku, qty },
      cart: prefix,
    });
  }

  cartPay(prefix: CartPrefix, method: 'card' | 'cash') {
    return this.request<CartView>('PUT', `${prefix}/payment`, {
      body: { method },
      cart: prefix,
    });
  }

  /** `{}` as JSON: the cart refuses writes that are not `application/json` (CSRF defence). */
  cartCheckout(prefix: CartPrefix) {
    return this.request<{ id: string; total: number }>(
      'POST',
      `${prefix}/checkout`,
      { body: {}, cart: prefix },
    );
  }

  async request<T>(
    method: string,
    path: string,
    options: {
      body?: unknown;
      headers?: Record<string, string>;
      cart?: CartPrefix;
    } = {},
  ): Promise<StoryResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined)
      headers['content-type'] = 'application/json';
    if (options.cart && this.cookies[options.cart].length) {
      headers.cookie = this.cookies[options.cart].join('; ');
    }
    const body =
      options.body === undefined ? undefined : JSON.stringify(options.body);
    try {
      const answer = this.wire
        ? await this.wire.request(`${this.baseUrl}${path}`, {
            method,
            headers,
            body,
            timeoutMs: this.timeoutMs,
          })
        : await this.fetch(method, path, headers, body);
      if (options.cart) this.keepCookies(options.cart, answer.setCookies);
      const pod = answer.headers['x-pod-name'];
      return {
        status: answer.status,
        body: parseBody<T>(answer.text),
        pod: typeof pod === 'string' ? pod : undefined,
        wire: 'wire' in answer ? answer.wire : undefined,
      };
    } catch (error) {
      // No answer at all: refused, reset, timed out.
      const cause = (error as { cause?: { message?: string; code?: string } })
        .cause;
      // node:http's own errors carry their code themselves (ECONNRESET), fetch's in `cause`.
      const code = (error as { code?: unknown }).code;
      return {
        status: 0,
        body: undefined as T,
        error:
          cause?.code ??
          cause?.message ??
          (typeof code === 'string' ? code : (error as Error).message),
      };
    }
  }

  private async fetch(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
  ) {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    return {
      status: response.status,
      headers: {
        'x-pod-name': response.headers.get('x-pod-name') ?? undefined,
      },
      setCookies: response.headers.getSetCookie(),
      text: await response.text(),
    };
  }

  private keepCookies(prefix: CartPrefix, setCookies: string[]): void {
    for (const header of setCookies) {
      const pair = header.split(';')[0];
      const name = pair.split('=')[0];
      this.cookies[prefix] = [
        ...this.cookies[prefix].filter(
          (cookie) => !cookie.startsWith(`${name}=`),
        ),
        pair,
      ];
    }
  }
}

export interface CartView {
  user: string;
  items: Array<{ sku: string; qty: number }>;
  total: number;
  payment: string | null;
  sessionCreatedBy: string;
}

/**
 * Our services answer JSON; an entry point's own error page may not (Traefik's 502 is the text
 * "Bad Gateway"): keep its status, which is what the user saw, rather than call it no answer.
 */
function parseBody<T>(text: string): T {
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    return text as T;
  }
}

/** No answer, or the entry point / a service saying "not now" (not "no such thing"). */
export const isUnavailable = (status: number) =>
  status === 0 || status === 502 || status === 503 || status === 504;

/**
 * A question asked again while the system is unavailable (up to `withinMs`): what a user still
 * has is what they find once it answers again. An outage is not a loss; the load's failed
 * requests count it. (On a cluster a restarted Redis may wait out the kubelet's back-off first.)
 */
export async function onceAnswered<T>(
  ask: () => Promise<StoryResponse<T>>,
  withinMs = 30_000,
): Promise<StoryResponse<T>> {
  const deadline = performance.now() + withinMs;
  let answer = await ask();
  while (isUnavailable(answer.status) && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    answer = await ask();
  }
  return answer;
}
