import { StoryUser } from '../client/story-client';

/** The accounts of a session flood: `flood001:flood001-pass,...`, added to a stack's users. */
export function floodAccounts(count: number): Array<[string, string]> {
  return Array.from({ length: count }, (_, index) => {
    const name = `flood${String(index + 1).padStart(3, '0')}`;
    return [name, `${name}-pass`];
  });
}

/** Enough users that the per-user session cap (SESSION_MAX_PER_USER, 100 on the lab) does not bound the flood. */
export const FLOOD_USERS = 100;

export interface SessionFlood {
  /** Sessions the victim answered 200 to. */
  created(): number;
  stop(): Promise<void>;
}

/**
 * Many users opening legacy-cart sessions on one pod, as a crowd (or a bot) would: each login
 * with a bearer token and no session cookie is a new session in that pod's memory. The pod is
 * reached through the entry point with its affinity cookie, whichever entry point it is: the
 * cookie is taken from an answer of that pod.
 */
export async function startSessionFlood(
  baseUrl: string,
  victim: string,
  { concurrency = 12, users = FLOOD_USERS } = {},
): Promise<SessionFlood> {
  const accounts = floodAccounts(users);
  const tokens: string[] = [];
  for (let start = 0; start < accounts.length; start += 10)
    await Promise.all(
      accounts.slice(start, start + 10).map(async ([name, password]) => {
        const user = new StoryUser(baseUrl, name, password);
        if ((await user.login()).status === 200)
          tokens.push(user.tokens?.access_token as string);
      }),
    );
  if (!tokens.length) throw new Error('no flood account could log in');
  const affinity = await affinityCookieFor(baseUrl, victim, tokens[0]);
  let created = 0;
  let running = true;
  const loops = Array.from({ length: concurrency }, async (_, worker) => {
    for (let request = worker; running; request += concurrency) {
      const answer = await fetch(`${baseUrl}/legacy-cart/login`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tokens[request % tokens.length]}`,
          cookie: affinity,
        },
        signal: AbortSignal.timeout(5000),
      }).catch(() => undefined);
      await answer?.arrayBuffer().catch(() => undefined);
      if (answer?.status === 200 && answer.headers.get('x-pod-name') === victim)
        created++;
    }
  });
  return {
    created: () => created,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** The entry point's affinity cookie(s) of an answer `victim` gave, without the session cookie. */
async function affinityCookieFor(
  baseUrl: string,
  victim: string,
  token: string,
): Promise<string> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const answer = await fetch(`${baseUrl}/legacy-cart/login`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    await answer.arrayBuffer();
    if (answer.headers.get('x-pod-name') !== victim) continue;
    return answer.headers
      .getSetCookie()
      .map((header) => header.split(';')[0])
      .filter((pair) => !pair.split('=')[0].endsWith('_sid'))
      .join('; ');
  }
  throw new Error(`no answer from ${victim} in 50 tries: is it ready?`);
}
