// The hot-path Redis connection on real Redis: commands sent before the connection is ready,
// a burst in one event-loop turn, and commands sent from the replies of earlier ones all arrive,
// in order, with their own answers.
import { afterAll, describe, expect, it } from 'vitest';
import { createRedis } from '../../src/wallet/redis-connection.js';
import { randomId } from '../helpers/services.js';

describe('createRedis', () => {
  const redis = createRedis(process.env.TOLLGATE_REDIS_URL ?? 'redis://127.0.0.1:6379');
  const key = randomId('tgtest:cork:');

  afterAll(async () => {
    await redis.del(key, `${key}:a`, `${key}:b`);
    redis.disconnect();
  });

  it('sends a burst in order, before and after it is ready, and from replies', async () => {
    // Issued at once, before the connection is ready: they wait in ioredis's offline queue.
    const early = await Promise.all(Array.from({ length: 50 }, () => redis.incr(key)));
    expect(early).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(redis.status).toBe('ready');

    // One turn, a thousand commands: one corked write, answers in order.
    const burst = await Promise.all(Array.from({ length: 1000 }, () => redis.incr(key)));
    expect(burst).toEqual(Array.from({ length: 1000 }, (_, i) => i + 51));

    // Commands sent while handling earlier answers (later turns) still go out.
    const chained = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        redis.rpush(`${key}:a`, String(i)).then(() => redis.rpush(`${key}:b`, String(i))),
      ),
    );
    expect(chained).toHaveLength(100);
    expect(await redis.lrange(`${key}:b`, 0, -1)).toEqual(
      Array.from({ length: 100 }, (_, i) => String(i)),
    );
  });
});
