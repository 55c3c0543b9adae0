import { createClient } from 'redis';
import { StoryUser, type StoryResponse } from '../client/story-client';
import { WireClient, type WireBytes } from '../client/wire-bytes';
import { cpuMilliseconds } from './processes';
import type { BenchStack } from './stack';
import { percentile } from './statistics';

/**
 * The americano conversation both ways, through the entry point (the gateway), one user per
 * keep-alive connection with every byte counted on its socket (tools/client/wire-bytes.ts):
 * - stateful: the cart dialogue, one step per request, each leaning on the session the server
 *   keeps: open the cart session (the bearer token exchanged for a cookie), add 2 americanos,
 *   choose card, check out;
 * - stateless: one `POST /orders` that says everything, with the bearer token.
 * Getting the token (`POST /auth/login`, scrypt on purpose) comes before either and is the same
 * for both: it is measured once, apart, and counted in neither.
 */

/** Users of their own: the conversations must not revoke the fixtures' cart sessions (alice's). */
export const CONVERSATION_USERS = Array.from(
  { length: 16 },
  (_, index) => `talker${index + 1}`,
);
export const CONVERSATION_LEVELS = [1, 16];
const ITEMS = [{ sku: 'americano', qty: 2 }];

export type ConversationId = 'stateful' | 'stateless';

export interface StepBytes {
  request: string;
  status: number;
  sent: number;
  received: number;
  /** Credential header lines: Authorization (JWT) or Cookie (session) sent, Set-Cookie back. */
  credentialSent: number;
  credentialReceived: number;
}

export interface ConversationLevel {
  users: number;
  seconds: number;
  conversations: number;
  failed: number;
  conversationsPerSecond: number;
  /** One whole conversation, first request sent → last response read. */
  latencyMs: { p50: number; p99: number };
  /** utime + stime of the processes that serve it (SERVED_BY) over the run, per conversation. */
  serverCpuMsPerConversation: number;
  /** Every stack process, the idle ones too: their figure is the background (probes, timers). */
  serverCpuMsByProcess: Record<string, number>;
}

export interface Conversation {
  id: ConversationId;
  label: string;
  credential: 'session cookie' | 'bearer token';
  /** The steps of one conversation (the last one of the 1-user run). */
  steps: StepBytes[];
  requests: number;
  /** Sums over the steps; median over every conversation of the 1-user run. */
  bytes: Omit<StepBytes, 'request' | 'status'>;
  bytesRange: { sent: [number, number]; received: [number, number] };
  /** Session state left on the server once the conversation is over. */
  stateKept: {
    bytes: number;
    /** Redis MEMORY USAGE of the key (value + key + overhead), when it is in Redis. */
    memoryUsageBytes: number | null;
    where: string;
  };
  /** What both keep and is not session state: the order and its Idempotency-Key claim. */
  dataKept: { memoryUsageBytes: number; where: string };
  levels: ConversationLevel[];
}

export interface ConversationReport {
  via: string;
  plan: ConversationPlan & { users: number[] };
  login: StepBytes & { note: string };
  conversations: Conversation[];
  /** One request once the conversation is going: what carrying a JWT costs over a cookie. */
  steadyState: {
    bearerHeaderBytes: number;
    cookieHeaderBytes: number;
    /** The cart's rolling session re-sends its cookie on every response. */
    setCookieHeaderBytes: number;
    bearerExtraBytesPerRequest: number;
    bearerExtraMBPerMillionRequests: number;
    /** The same with the Set-Cookie each cart answer carries back counted against the cookie. */
    bearerExtraBytesPerRoundTrip: number;
    bearerExtraMBPerMillionRoundTrips: number;
  };
  /** Things the numbers do not show, said next to them. */
  notes: string[];
}

const stepOf = (request: string, response: StoryResponse): StepBytes => {
  const wire = response.wire as WireBytes;
  return {
    request,
    status: response.status,
    sent: wire.sent,
    received: wire.received,
    credentialSent:
      (wire.headersSent.authorization ?? 0) + (wire.headersSent.cookie ?? 0),
    credentialReceived: wire.headersReceived['set-cookie'] ?? 0,
  };
};

const ok = (status: number) => status >= 200 && status < 300;

interface Talker {
  story: StoryUser;
  wire: WireClient;
  sequence: number;
}

/** One conversation: its steps' bytes, or undefined once a step fails (the rest is not sent). */
type Dialogue = (talker: Talker) => Promise<StepBytes[] | undefined>;

async function stateful({ story }: Talker) {
  const steps: StepBytes[] = [];
  const say = async (
    request: string,
    ask: () => Promise<StoryResponse>,
  ): Promise<boolean> => {
    const response = await ask();
    if (!response.wire) return false;
    steps.push(stepOf(request, response));
    return ok(response.status);
  };
  // A new cart session each time, as a new visit would: the old cookie is dropped.
  story.cookies['/cart'] = [];
  const done =
    (await say('POST /cart/login', () => story.cartLogin('/cart'))) &&
    (await say('POST /cart/items', () =>
      story.cartAdd('/cart', 'americano', 2),
    )) &&
    (await say('PUT /cart/payment', () => story.cartPay('/cart', 'card'))) &&
    (await say('POST /cart/checkout', () => story.cartCheckout('/cart')));
  return done ? steps : undefined;
}

async function stateless(talker: Talker) {
  // The client says everything, retry-safety included: its own Idempotency-Key.
  const response = await talker.story.placeOrder(
    ITEMS,
    'card',
    `talk-${talker.story.username}-${Date.now().toString(36)}-${talker.sequence++}`,
  );
  if (!response.wire || !ok(response.status)) return undefined;
  return [stepOf('POST /orders', response)];
}

const DIALOGUES: Record<ConversationId, Dialogue> = { stateful, stateless };

/** Who serves each conversation: its CPU is theirs (the other pods idle meanwhile). */
const SERVED_BY: Record<ConversationId, string[]> = {
  stateful: ['gateway', 'cart', 'order', 'redis'],
  stateless: ['gateway', 'order', 'redis'],
};

interface Run {
  level: ConversationLevel;
  /** Every completed conversation's steps, in the order they ended. */
  completed: StepBytes[][];
}

/** CPU ms so far per stack process, by a readable name, with the app (or role) it serves. */
async function serverCpu(
  stack: BenchStack,
): Promise<Map<string, { serves: string; ms: number }>> {
  const processes: Array<[string, string, number]> = [
    ...(await stack.pods()).map(
      (pod) =>
        [`${pod.name} (${pod.app})`, pod.app, pod.pid] as [
          string,
          string,
          number,
        ],
    ),
    ['gateway + supervisor (stack host)', 'gateway', stack.hostPid],
    ['redis', 'redis', stack.redisPid],
  ];
  const cpu = new Map<string, { serves: string; ms: number }>();
  for (const [name, serves, pid] of processes) {
    try {
      if (pid) cpu.set(name, { serves, ms: cpuMilliseconds(pid) });
    } catch {
      // gone since the listing
    }
  }
  return cpu;
}

/** `users` talkers back to back for `seconds`: closed loop, one conversation at a time each. */
async function run(
  stack: BenchStack,
  talkers: Talker[],
  id: ConversationId,
  seconds: number,
): Promise<Run> {
  const dialogue = DIALOGUES[id];
  const completed: StepBytes[][] = [];
  const latencies: number[] = [];
  let failed = 0;
  const cpuBefore = await serverCpu(stack);
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    talkers.map(async (talker) => {
      while (performance.now() < deadline) {
        const sentAt = performance.now();
        const steps = await dialogue(talker);
        if (!steps) {
          failed += 1;
          continue;
        }
        latencies.push(performance.now() - sentAt);
        completed.push(steps);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpuAfter = await serverCpu(stack);
  const byProcess: Record<string, number> = {};
  let total = 0;
  for (const [name, after] of cpuAfter) {
    const used = after.ms - (cpuBefore.get(name)?.ms ?? after.ms);
    byProcess[name] = used;
    if (SERVED_BY[id].includes(after.serves)) total += used;
  }
  const count = completed.length;
  return {
    completed,
    level: {
      users: talkers.length,
      seconds: elapsed,
      conversations: count,
      failed,
      conversationsPerSecond: count / elapsed,
      latencyMs: {
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
      },
      serverCpuMsPerConversation: count ? total / count : NaN,
      serverCpuMsByProcess: Object.fromEntries(
        Object.entries(byProcess).map(([name, ms]) => [
          name,
          count ? ms / count : NaN,
        ]),
      ),
    },
  };
}

const sumOf = (steps: StepBytes[], field: keyof Omit<StepBytes, 'request'>) =>
  steps.reduce((total, step) => total + step[field], 0);
const medianOf = (values: number[]) => percentile(values, 50);

/** `s%3A<id>.<signature>` (express-session's signed cookie) → the session id. */
function sessionIdOf(cookie: string): string {
  const value = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1));
  return value.slice(2, value.lastIndexOf('.'));
}

export interface ConversationPlan {
  /** Length of each measured run (per conversation, per number of users). */
  seconds: number;
  warmupSeconds: number;
}

/** Logs the talkers in, runs both conversations at each level, then looks into Redis. */
export async function measureConversations(
  stack: BenchStack,
  plan: ConversationPlan,
  progress: (line: string) => void,
): Promise<ConversationReport> {
  const redis = createClient({ url: stack.redisUrl });
  await redis.connect();
  const talkers: Talker[] = CONVERSATION_USERS.map((username) => {
    const wire = new WireClient();
    return {
      wire,
      sequence: 0,
      story: new StoryUser(stack.url, username, username, 10_000, wire),
    };
  });
  try {
    const logins = await Promise.all(
      talkers.map((talker) => talker.story.login()),
    );
    const failedLogin = logins.find((login) => login.status !== 200);
    if (failedLogin)
      throw new Error(`POST /auth/login → ${failedLogin.status}`);
    const login = stepOf('POST /auth/login', logins[0]);

    const conversations: Conversation[] = [];
    for (const id of ['stateful', 'stateless'] as const) {
      if (plan.warmupSeconds > 0)
        await run(stack, talkers, id, plan.warmupSeconds);
      const runs: Run[] = [];
      for (const users of CONVERSATION_LEVELS) {
        const measured = await run(
          stack,
          talkers.slice(0, users),
          id,
          plan.seconds,
        );
        runs.push(measured);
        const { level } = measured;
        progress(
          `conversation ${id} · ${users} user(s): ${level.conversations} in ${level.seconds.toFixed(1)} s, p50 ${level.latencyMs.p50.toFixed(1)} ms, p99 ${level.latencyMs.p99.toFixed(1)} ms, ${level.serverCpuMsPerConversation.toFixed(2)} ms server CPU each, ${level.failed} failed`,
        );
      }
      // Bytes from the 1-user run: one connection, nobody else's traffic in between.
      const single = runs[0].completed;
      if (single.length === 0)
        throw new Error(`conversation ${id}: none completed`);
      const last = single[single.length - 1];
      const totals = single.map((steps) => ({
        sent: sumOf(steps, 'sent'),
        received: sumOf(steps, 'received'),
        credentialSent: sumOf(steps, 'credentialSent'),
        credentialReceived: sumOf(steps, 'credentialReceived'),
      }));
      const range = (field: 'sent' | 'received'): [number, number] => [
        Math.min(...totals.map((total) => total[field])),
        Math.max(...totals.map((total) => total[field])),
      ];
      const talker = talkers[0];
      conversations.push({
        id,
        label:
          id === 'stateful'
            ? 'cart: log in, 2 americanos, card, check out — one request each'
            : 'order: one POST /orders says it all',
        credential: id === 'stateful' ? 'session cookie' : 'bearer token',
        steps: last,
        requests: last.length,
        bytes: {
          sent: medianOf(totals.map((total) => total.sent)),
          received: medianOf(totals.map((total) => total.received)),
          credentialSent: medianOf(totals.map((total) => total.credentialSent)),
          credentialReceived: medianOf(
            totals.map((total) => total.credentialReceived),
          ),
        },
        bytesRange: { sent: range('sent'), received: range('received') },
        stateKept:
          id === 'stateful'
            ? await sessionKept(redis, talker.story.cookies['/cart'])
            : {
                bytes: 0,
                memoryUsageBytes: 0,
                where: 'nothing: the token carried everything',
              },
        dataKept: await orderKept(redis, talker.story.username),
        levels: runs.map((measured) => measured.level),
      });
    }
    const [cart, order] = conversations;
    const bearer = order.steps[0].credentialSent;
    const add = cart.steps.find((step) => step.request === 'POST /cart/items');
    const cookie = add?.credentialSent ?? NaN;
    const setCookie = add?.credentialReceived ?? NaN;
    return {
      via: 'the gateway, one pod per app',
      plan: { ...plan, users: CONVERSATION_LEVELS },
      login: {
        ...login,
        note: 'the same for both (the cart exchanges this token for its cookie); once per user, counted in neither conversation. The token comes back in the JSON body, so it is not in credentialReceived',
      },
      conversations,
      steadyState: {
        bearerHeaderBytes: bearer,
        cookieHeaderBytes: cookie,
        setCookieHeaderBytes: setCookie,
        bearerExtraBytesPerRequest: bearer - cookie,
        bearerExtraMBPerMillionRequests: bearer - cookie,
        bearerExtraBytesPerRoundTrip: bearer - cookie - setCookie,
        bearerExtraMBPerMillionRoundTrips: bearer - cookie - setCookie,
      },
      notes: [
        'Bytes are counted on the client socket (request line + headers + body each way), on one keep-alive connection per user, median over the 1-user run. Our client sends few headers; a browser adds its own (User-Agent, Accept, …) to every request, both ways alike.',
        'Checkout is one more request the client does not see: cart → gateway → order POST /orders with the user’s token (sealed in the session). Its CPU is in the server CPU; its bytes are not the client’s.',
        'Server CPU is utime + stime (/proc/<pid>/stat, 10 ms ticks, hence summed over a whole run) of the processes that serve the conversation — stateful: gateway, cart, order (checkout), Redis; stateless: gateway, order, Redis — per completed conversation. It includes their background (readiness probes, timers): the JSON has every process, and the idle ones (auth, cart-legacy) show what that is.',
        'The legacy cart (sessions in pod memory) keeps the same session JSON, as a string in the pod’s heap (BoundedMemoryStore): not measured here, since nothing outside the process can read it.',
        '1 MB = 10^6 bytes: N bytes more per request are N MB per million requests.',
      ],
    };
  } finally {
    for (const talker of talkers) talker.wire.close();
    await redis.quit().catch(() => undefined);
  }
}

type Redis = ReturnType<typeof createClient>;

async function memoryUsage(redis: Redis, key: string): Promise<number> {
  return Number((await redis.sendCommand(['MEMORY', 'USAGE', key])) ?? 0);
}

async function sessionKept(
  redis: Redis,
  cookies: string[],
): Promise<Conversation['stateKept']> {
  const cookie = cookies.find((pair) => pair.startsWith('cart_sid='));
  if (!cookie) throw new Error('the cart conversation left no session cookie');
  const key = `sess:${sessionIdOf(cookie)}`;
  const bytes = await redis.strLen(key);
  if (bytes === 0) throw new Error(`no session at ${key} after checkout`);
  return {
    bytes,
    memoryUsageBytes: await memoryUsage(redis, key),
    where: `Redis ${key.slice(0, 9)}… (the session JSON: user, sealed access token, times, emptied cart), until it idles out; plus its id in the user's sorted set`,
  };
}

/** The newest order of the user, and its Idempotency-Key claim: data, kept either way. */
async function orderKept(
  redis: Redis,
  userId: string,
): Promise<Conversation['dataKept']> {
  const [id] = await redis.zRange(`orders:user:${userId}`, -1, -1);
  if (!id) throw new Error(`no order of ${userId} in Redis`);
  const record = JSON.parse((await redis.get(`order:${id}`)) ?? '{}') as {
    claimKey?: string;
  };
  const claim = record.claimKey ? await memoryUsage(redis, record.claimKey) : 0;
  return {
    memoryUsageBytes: (await memoryUsage(redis, `order:${id}`)) + claim,
    where:
      'Redis: the order and its Idempotency-Key claim (MEMORY USAGE), plus its id in the user’s index',
  };
}
