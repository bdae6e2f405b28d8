// The authorize route's own Redis connection, so the dialer's reads never queue behind the
// pipeline's batches of wallet scripts. Like the processor's, it sends plain commands and leaves
// the writes of one event-loop turn together (see wallet/redis-connection.ts).
import type { Redis } from 'ioredis';
import { corkWritesPerTurn } from '../wallet/redis-connection.js';
import { readCallGate, type CallGateKeys, type GateConnection } from '../billing/index.js';
import { DependencyError } from '../errors/tollgate-error.js';
import type { Logger } from '../telemetry/logger.js';

/** A failed call-gate read as the API reports it: Redis is away, a 503 the dialer may retry. */
function redisUnavailable(err: unknown): DependencyError {
  return new DependencyError('redis_unavailable', 'Redis did not answer the call-gate read', {
    cause: err,
  });
}

export class GateReadConnection implements GateConnection {
  private readonly redis: Redis;

  constructor(shared: Redis, log: Logger) {
    // A dialer waits for this answer: while Redis is away a read fails within a second (a 503)
    // rather than waiting for it to come back, as the processor's own commands do.
    this.redis = corkWritesPerTurn(
      shared.duplicate({
        enableAutoPipelining: false,
        maxRetriesPerRequest: 1,
        commandTimeout: 1_000,
      }),
    );
    this.redis.on('error', (err: Error) => log.warn({ err }, 'call gate Redis connection failed'));
  }

  readCallGate(keys: CallGateKeys, campaign: string): Promise<string> {
    return readCallGate(this.redis, keys, campaign, redisUnavailable);
  }

  close(): void {
    this.redis.disconnect();
  }
}
