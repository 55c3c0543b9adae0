import {
  Global,
  Inject,
  Logger,
  Module,
  OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createClient } from 'redis';
import type { RedisEnvironment } from '../config/platform-environment';

export type RedisClient = ReturnType<typeof createClient>;
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

/** Time to wait for the first connection at start-up before serving anyway (requests then 503). */
const INITIAL_CONNECT_WAIT_MS = 2000;

async function connectRedis(
  config: ConfigService<RedisEnvironment, true>,
): Promise<RedisClient> {
  const logger = new Logger('Redis');
  const client = createClient({
    url: config.get('REDIS_URL', { infer: true }),
    // Fail fast while disconnected instead of queueing without bound: callers answer 503 at once.
    disableOfflineQueue: true,
    commandOptions: {
      timeout: config.get('REDIS_COMMAND_TIMEOUT_MS', { infer: true }),
    },
    socket: {
      connectTimeout: 1000,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000),
    },
  });
  // Without an 'error' listener a Redis outage would crash the process; log state changes once.
  let healthy = true;
  client.on('error', (error: Error) => {
    if (healthy) logger.warn(`Redis unreachable: ${error.message}`);
    healthy = false;
  });
  client.on('ready', () => {
    if (!healthy) logger.log('Redis reachable again');
    healthy = true;
  });
  const connected = client.connect().catch(() => undefined);
  await Promise.race([
    connected,
    new Promise((resolve) =>
      setTimeout(resolve, INITIAL_CONNECT_WAIT_MS).unref(),
    ),
  ]);
  return client as RedisClient;
}

const redisClientProvider: Provider = {
  provide: REDIS_CLIENT,
  inject: [ConfigService],
  useFactory: connectRedis,
};

/** One shared node-redis client per process, closed last on shutdown (after in-flight requests). */
@Global()
@Module({ providers: [redisClientProvider], exports: [REDIS_CLIENT] })
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS_CLIENT) private readonly client: RedisClient) {}

  async onApplicationShutdown(): Promise<void> {
    if (!this.client.isOpen) return;
    await this.client.close().catch(() => this.client.destroy());
  }
}
