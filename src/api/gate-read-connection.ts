// The authorize route's own Redis connection, so the dialer's reads never queue behind the
// pipeline's batches of wallet scripts. Like the processor's, it sends plain commands and leaves
// the writes of one event-loop turn together (see wallet/redis-connection.ts).
import type { Redis } from 'ioredis';
import { corkWritesPerTurn } from '../wallet/redis-connection.js';
import { gateConnection, type GateConnection } from '../billing/index.js';
import { DependencyError } from '../errors/tollgate-error.js';
import type { Logger } from '../telemetry/logger.js';

export class GateReadConnection implements GateConnection {
  private readonly redis: Redis & GateConnection;

  constructor(shared: Redis, log: Logger) {
    // A dialer waits for this answer: while Redis is away a read fails within a second (a 503)
    // rather than waiting for it to come back, as the processor's own commands do.
    this.redis = gateConnection(
      corkWritesPerTurn(
        shared.duplicate({
          enableAutoPipelining: false,
          maxRetriesPerRequest: 1,
          commandTimeout: 1_000,
        }),
      ),
    );
    this.redis.on('error', (err: Error) => log.warn({ err }, 'call gate Redis connection failed'));
  }

  readCallGate(
    profile: string,
    pauses: string,
    wallet: string,
    campaign: string,
  ): ReturnType<GateConnection['readCallGate']> {
    return this.redis.readCallGate(profile, pauses, wallet, campaign).catch((err: unknown) => {
      throw new DependencyError('redis_unavailable', 'Redis did not answer the call-gate read', {
        cause: err,
      });
    });
  }

  close(): void {
    this.redis.disconnect();
  }
}
