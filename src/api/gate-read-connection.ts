// The authorize route's own Redis connection. ioredis's auto-pipelining builds a pipeline object
// for every event-loop turn that sends a command, which costs more CPU than the call-gate read it
// carries; this connection sends each read as a plain command instead, and keeps its socket corked
// until the turn's I/O callbacks have run, so the reads of a burst still leave in one write (and
// their answers come back in one read), as they did auto-pipelined.
import type { Redis } from 'ioredis';
import { gateConnection, type GateConnection } from '../billing/index.js';
import { DependencyError } from '../errors/tollgate-error.js';
import type { Logger } from '../telemetry/logger.js';

export class GateReadConnection implements GateConnection {
  private readonly redis: Redis & GateConnection;
  private corked = false;
  private readonly uncork = (socket: { uncork(): void }) => {
    this.corked = false;
    socket.uncork();
  };

  constructor(shared: Redis, log: Logger) {
    // A socket of its own also keeps the dialer's reads from queueing behind the pipeline's
    // batches of wallet scripts on the shared connection.
    // A dialer waits for this answer: while Redis is away a read fails within a second (a 503)
    // rather than waiting for it to come back, as the processor's own commands do.
    this.redis = gateConnection(
      shared.duplicate({
        enableAutoPipelining: false,
        maxRetriesPerRequest: 1,
        commandTimeout: 1_000,
      }),
    );
    this.redis.on('error', (err: Error) => log.warn({ err }, 'call gate Redis connection failed'));
  }

  readCallGate(
    profile: string,
    pauses: string,
    wallet: string,
    campaign: string,
  ): ReturnType<GateConnection['readCallGate']> {
    this.holdWrites();
    return this.redis.readCallGate(profile, pauses, wallet, campaign).catch((err: unknown) => {
      throw new DependencyError('redis_unavailable', 'Redis did not answer the call-gate read', {
        cause: err,
      });
    });
  }

  close(): void {
    this.redis.disconnect();
  }

  /** Corks the socket until the check phase of this event-loop turn (after its I/O callbacks). */
  private holdWrites(): void {
    // Before "ready" commands wait in ioredis's offline queue, not on the socket.
    if (this.corked || this.redis.status !== 'ready') return;
    const socket = this.redis.stream;
    socket.cork();
    this.corked = true;
    setImmediate(this.uncork, socket);
  }
}
