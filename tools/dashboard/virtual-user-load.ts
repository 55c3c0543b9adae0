import { setTimeout as sleep } from 'node:timers/promises';
import { nextRequest } from '../experiment/runner';
import { VirtualUser } from '../experiment/virtual-users';

export const MAX_VIRTUAL_USERS = 20;

export type ResponseListener = (
  app: string,
  status: number,
  pod: string | undefined,
) => void;

/**
 * The dashboard's switchable load: `users` virtual users, each building its state as the
 * experiment's do (login, both carts, an order), then sending the experiment's request mix with
 * a short pause between requests, so a 2-core laptop stays responsive.
 */
export class VirtualUserLoad {
  private wanted = 0;
  private readonly loops = new Map<number, Promise<void>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly baseUrl: string,
    private readonly account: { username: string; password: string },
    private readonly onResponse: ResponseListener,
    private readonly pauseMs = 200,
  ) {}

  get users(): number {
    return this.wanted;
  }

  /** Starts or stops loops until `users` run (each loop ends after its current request). */
  setUsers(users: number): void {
    if (!Number.isInteger(users) || users < 0 || users > MAX_VIRTUAL_USERS)
      throw new RangeError(
        `users must be an integer from 0 to ${MAX_VIRTUAL_USERS}`,
      );
    this.wanted = users;
    for (let index = 0; index < users; index++) {
      if (!this.loops.has(index)) {
        const loop = this.run(index).finally(() => {
          this.loops.delete(index);
          // Asked for again while finishing its last request: start it anew.
          if (this.running(index)) this.setUsers(this.wanted);
        });
        this.loops.set(index, loop);
      }
    }
  }

  /** Stops every loop and waits for their last requests. */
  async stop(): Promise<void> {
    this.wanted = 0;
    this.abort.abort();
    await Promise.all(this.loops.values());
  }

  private running(index: number): boolean {
    return index < this.wanted && !this.abort.signal.aborted;
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.abort.signal }).catch(
      () => undefined,
    );
  }

  private async run(index: number): Promise<void> {
    const user = new VirtualUser(
      this.baseUrl,
      index,
      this.account.username,
      this.account.password,
    );
    while (this.running(index)) {
      try {
        await user.prepare();
        break;
      } catch {
        await this.pause(1000); // the stack is not ready yet: try again
      }
    }
    for (let iteration = index; this.running(index); iteration++) {
      const { app, call } = nextRequest(user, iteration);
      const response = await call();
      this.onResponse(app, response.status, response.pod);
      await this.pause(this.pauseMs);
    }
  }
}
