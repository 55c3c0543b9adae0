import { setTimeout as sleep } from 'node:timers/promises';
import type { StoryUser } from '../client/story-client';
import type { LocalDriver } from '../drivers/local-driver';

/** What one `logout` row saw: the access token a user logged out with, asked of every replica. */
export interface RevocationObservation {
  /** AUTH_REVOCATION of the stack the row ran on. */
  setting: 'none' | 'denylist';
  /** `expires_in` of the token: its whole life from login. */
  accessTokenLifetimeSeconds: number;
  /** Order replicas asked (directly, around the gateway): each one, every round. */
  replicas: number;
  /** Rounds of one request per replica after the logout, and how long they went on. */
  rounds: number;
  probedForMs: number;
  /** Replicas that accepted the logged-out token at least once, and on the last round. */
  replicasAccepting: number;
  replicasAcceptingAtEnd: number;
  /** Logout → the last answer that accepted the token (0: never accepted after logout). */
  acceptedForMs: number;
  /** Every replica refused the very first request after logout. */
  refusedAtOnce: boolean;
  /** exp − the last round, in seconds: how long the token would still be accepted (≥ 0). */
  remainingLifetimeSeconds: number;
  /** The refusals' messages (`token revoked`, `token expired`), once each. */
  refusals: string[];
  /** The client refreshed once before logging out, and its refresh token died with the logout. */
  refreshedBeforeLogout: boolean;
  refreshRefusedAfterLogout: boolean;
}

export interface ProbeSettings {
  setting: RevocationObservation['setting'];
  /** Stop asking after this long even if the token is still accepted (`none`: until exp). */
  boundMs: number;
  intervalMs: number;
}

interface Round {
  /** ms after the logout */
  at: number;
  /** Date.now() of the round, against the token's exp */
  wallClockMs: number;
  statuses: number[];
  messages: string[];
}

/**
 * Log in, refresh once (the client of short tokens does), show the token to every order replica
 * (each verifies and caches it), log out, then ask every replica again each `intervalMs` until
 * all of them refuse in the same round, the token's exp (+ tolerance) is behind, or `boundMs`.
 */
export async function probeAfterLogout(
  driver: LocalDriver,
  user: StoryUser,
  { setting, boundMs, intervalMs }: ProbeSettings,
  clockToleranceSeconds: number,
): Promise<{ observation: RevocationObservation; statuses: number[] }> {
  const login = await user.login();
  if (login.status !== 200)
    throw new Error(`logout probe: login answered ${login.status}`);
  const refreshed = (await user.refresh()).status === 200;
  const token = user.tokens!.access_token;
  const { exp } = JSON.parse(
    Buffer.from(token.split('.')[1], 'base64url').toString(),
  ) as { exp: number };
  const replicas = await driver.podUrls('order');
  const ask = async (url: string) => {
    const response = await fetch(`${url}/orders`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(5000),
    }).catch(() => undefined);
    if (!response) return { status: 0, message: '' };
    const body = (await response.json().catch(() => ({}))) as {
      message?: string;
    };
    return { status: response.status, message: body.message ?? '' };
  };
  const warm = await Promise.all(replicas.map(({ url }) => ask(url)));
  if (warm.some(({ status }) => status !== 200))
    throw new Error(
      `logout probe: replicas answered ${warm.map((w) => w.status).join(', ')} before logout`,
    );

  const logout = await user.logout();
  if (logout.status !== 204)
    throw new Error(`logout probe: logout answered ${logout.status}`);
  const loggedOutAt = performance.now();
  const refreshAfter = await user.refresh();
  const lastAcceptableMs = (exp + clockToleranceSeconds) * 1000 - Date.now();
  const stopAfterMs = Math.min(boundMs, lastAcceptableMs + 2 * intervalMs);
  const rounds: Round[] = [];
  for (;;) {
    const at = performance.now() - loggedOutAt;
    const answers = await Promise.all(replicas.map(({ url }) => ask(url)));
    rounds.push({
      at,
      wallClockMs: Date.now(),
      statuses: answers.map(({ status }) => status),
      messages: answers.map(({ message }) => message),
    });
    const allRefused = answers.every(({ status }) => status === 401);
    if (allRefused || performance.now() - loggedOutAt >= stopAfterMs) break;
    await sleep(intervalMs);
  }

  const accepted = (round: Round, replica: number) =>
    round.statuses[replica] === 200;
  const last = rounds[rounds.length - 1];
  const acceptedRounds = rounds.filter((round) =>
    round.statuses.some((status) => status === 200),
  );
  const observation: RevocationObservation = {
    setting,
    accessTokenLifetimeSeconds: login.body.expires_in,
    replicas: replicas.length,
    rounds: rounds.length,
    probedForMs: Math.round(last.at),
    replicasAccepting: replicas.filter((_, replica) =>
      rounds.some((round) => accepted(round, replica)),
    ).length,
    replicasAcceptingAtEnd: replicas.filter((_, replica) =>
      accepted(last, replica),
    ).length,
    acceptedForMs: Math.round(acceptedRounds.at(-1)?.at ?? 0),
    refusedAtOnce: rounds[0].statuses.every((status) => status === 401),
    remainingLifetimeSeconds: Math.max(
      0,
      Math.round(exp - last.wallClockMs / 1000),
    ),
    refusals: [
      ...new Set(
        rounds.flatMap((round) =>
          round.messages.filter(
            (_, replica) => round.statuses[replica] === 401,
          ),
        ),
      ),
    ],
    refreshedBeforeLogout: refreshed,
    refreshRefusedAfterLogout: refreshAfter.status === 401,
  };
  return { observation, statuses: rounds.flatMap((round) => round.statuses) };
}
