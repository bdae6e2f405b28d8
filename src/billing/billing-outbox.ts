// The billing outbox: messages are written in the transaction that changes the state they
// announce, then published to Kafka and marked. A crash between publishing and marking sends a
// message again, never loses one; consumers deduplicate by `event_id` ("billing-<row id>").
import type pg from 'pg';
import type { Producer } from 'kafkajs';
import type { Topics } from '../config/settings.js';
import type { Logger } from '../telemetry/logger.js';
import type { Db } from './company-records.js';
import type { OutboxMessage } from './billing-messages.js';

// One drainer at a time across replicas, so one company's messages keep their order.
const drainLockKey = 7_270_002;
const drainBatch = 500;
const maxRoundsPerDrain = 20;

export async function enqueue(db: Db, messages: readonly OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await db.query(
    `insert into billing_outbox (topic, message_key, payload)
     select * from unnest($1::text[], $2::text[], $3::jsonb[])`,
    [
      messages.map((m) => m.topic),
      messages.map((m) => m.key),
      messages.map((m) => JSON.stringify(m.payload)),
    ],
  );
}

export class BillingOutbox {
  private draining: Promise<number> | null = null;
  private again = false;

  constructor(
    private readonly pool: pg.Pool,
    /** Null: messages stay in the outbox until a replica with a producer drains them. */
    private readonly producer: Producer | null,
    private readonly topics: Topics,
    private readonly log: Logger,
  ) {}

  /**
   * Publishes pending messages; resolves with how many this call published. Calls made while a
   * drain runs share it and then run one more, so a message enqueued before the call is sent.
   */
  drain(): Promise<number> {
    if (this.draining !== null) {
      this.again = true;
      return this.draining;
    }
    const run = async (): Promise<number> => {
      let total = 0;
      do {
        this.again = false;
        total += await this.drainOnce();
      } while (this.again);
      return total;
    };
    this.draining = run().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  private async drainOnce(): Promise<number> {
    const producer = this.producer;
    if (producer === null) return 0;
    let total = 0;
    for (let round = 0; round < maxRoundsPerDrain; round++) {
      const client = await this.pool.connect();
      let published = 0;
      try {
        await client.query('begin');
        await client.query('select pg_advisory_xact_lock($1)', [drainLockKey]);
        const rows = await client.query<{
          id: bigint;
          topic: 'campaigns_control' | 'billing_alerts';
          message_key: string;
          payload: string;
        }>(
          `select id, topic, message_key, payload::text as payload from billing_outbox
            where published_at is null order by id limit $1`,
          [drainBatch],
        );
        if (rows.rows.length > 0) {
          const byTopic = new Map<string, { key: string; value: string }[]>();
          for (const r of rows.rows) {
            const topic =
              r.topic === 'campaigns_control'
                ? this.topics.campaignsControl
                : this.topics.billingAlerts;
            const payload = JSON.parse(r.payload) as Record<string, unknown>;
            const list = byTopic.get(topic) ?? [];
            list.push({
              key: r.message_key,
              value: JSON.stringify({ event_id: `billing-${r.id}`, ...payload }),
            });
            byTopic.set(topic, list);
          }
          await producer.sendBatch({
            acks: -1,
            topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
          });
          await client.query(
            'update billing_outbox set published_at = now() where id = any($1::bigint[])',
            [rows.rows.map((r) => String(r.id))],
          );
        }
        await client.query('commit');
        published = rows.rows.length;
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        this.log.warn({ err }, 'billing outbox not drained; retrying on the next drain');
        throw err;
      } finally {
        client.release();
      }
      total += published;
      if (published < drainBatch) break;
    }
    return total;
  }
}
