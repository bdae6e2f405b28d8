// How tollgate talks to Redis on its hot paths. ioredis's auto-pipelining builds a pipeline
// object for every event-loop turn that sends a command (copying every script defined on the
// connection), which costs more CPU than the short scripts it carries. Instead each command is
// sent as a plain command, and the socket stays corked until the end of the turn, so the
// commands of a burst (a chunk's wallet scripts, a batch of dialer reads) still leave in one
// write and their answers come back together, as they did auto-pipelined.
import { Redis, type RedisOptions } from 'ioredis';

/** A connection whose writes of one event-loop turn leave together. */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return corkWritesPerTurn(new Redis(url, { ...options, enableAutoPipelining: false }));
}

/**
 * Makes `redis` hold its socket's writes until the check phase of the turn that issued them
 * (after that turn's I/O callbacks), through ioredis's public `sendCommand`, which every
 * command goes through. Before "ready", commands wait in ioredis's offline queue instead.
 */
export function corkWritesPerTurn(redis: Redis): Redis {
  let corked = false;
  const send = redis.sendCommand.bind(redis);
  const sendCorked: Redis['sendCommand'] = (command, stream) => {
    if (!corked && redis.status === 'ready') {
      const socket = redis.stream;
      corked = true;
      socket.cork();
      setImmediate(() => {
        corked = false;
        socket.uncork();
      });
    }
    return send(command, stream);
  };
  redis.sendCommand = sendCorked;
  return redis;
}
