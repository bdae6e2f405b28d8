// Billing's public face: the spending caps, the Redis mirror the call gate reads, the outbox of
// billing messages, and the pure rules (status, cap, month, authorization, estimate) behind them.
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Producer } from 'kafkajs';
import type { Topics } from '../config/settings.js';
import type { Logger } from '../telemetry/logger.js';
import { BillingOutbox } from './billing-outbox.js';
import { CompanyMirror } from './company-mirror.js';
import { SpendingCaps } from './spending-caps.js';

export { SpendingCaps } from './spending-caps.js';
export { CompanyMirror } from './company-mirror.js';
export { readCallGate, type CallGateKeys, type GateConnection } from './call-gate-script.js';
export { BillingOutbox } from './billing-outbox.js';

export interface Billing {
  readonly mirror: CompanyMirror;
  readonly outbox: BillingOutbox;
  readonly caps: SpendingCaps;
}

export interface BillingDeps {
  readonly pool: pg.Pool;
  readonly redis: Redis;
  /** The Redis key prefix (settings.redis.prefix), shared with the wallets. */
  readonly prefix: string;
  /** Publishes campaigns.control and billing.alerts; null leaves messages in the outbox. */
  readonly producer: Producer | null;
  readonly topics: Topics;
  readonly log: Logger;
  /** The clock, epoch ms (tests move it). */
  readonly now?: () => number;
}

export function createBilling(deps: BillingDeps): Billing {
  const now = deps.now ?? Date.now;
  const log = deps.log.child({ component: 'billing' });
  const mirror = new CompanyMirror(deps.redis, deps.prefix, deps.pool, now);
  const outbox = new BillingOutbox(deps.pool, deps.producer, deps.topics, log);
  const caps = new SpendingCaps({ pool: deps.pool, mirror, outbox, log, now });
  return { mirror, outbox, caps };
}
