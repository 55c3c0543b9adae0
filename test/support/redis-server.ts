// The Redis server moved to tools/process (tools/image starts one too, and nothing outside test/
// may import test/); the e2e specs keep their name for it.
export {
  RedisServer as TestRedisServer,
  waitForPort,
} from '../../tools/process/redis-server';
