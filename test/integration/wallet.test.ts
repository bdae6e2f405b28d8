// The wallet's guarantees on real Redis and Postgres: concurrent calls never hold more than the
// balance, and the hold sweeper extends a running call's hold, cuts it off when the balance
// cannot, and releases holds whose call never ended.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Partitioners, type Producer } from 'kafkajs';
import { WalletStore } from '../../src/wallet/wallet-store.js';
import { ledgerWalletSource } from '../../src/ledger/wallet-source.js';
import { upsertCompany } from '../../src/ledger/companies.js';
import { writeLedgerBatch } from '../../src/ledger/ledger-writer.js';
import { createKafka, ensureTopics } from '../../src/ingest/kafka.js';
import { sweepHolds } from '../../src/ingest/hold-sweeper.js';
import { loadPlan } from '../../src/cli/processor-app.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { createMetrics } from '../../src/telemetry/metrics.js';
import type { CompiledPlan } from '../../src/rating/index.js';
import {
  createTestDatabase,
  randomId,
  testSettings,
  type TestDatabase,
} from '../helpers/services.js';
import { readTopic } from '../helpers/pipeline.js';

describe('wallet', () => {
  let db: TestDatabase;
  let settings: ReturnType<typeof testSettings>;
  const connections: Redis[] = [];
  let store: WalletStore;
  let plan: CompiledPlan;

  const fund = async (companyId: string, micros: number) => {
    await upsertCompany(db.pool, { id: companyId, name: companyId });
    const moved = await store.applyCredit(companyId, randomId('top-'), micros, false);
    if (moved.status === 'insufficient_funds') throw new Error('unreachable');
    await writeLedgerBatch(db.pool, {
      transfers: [
        {
          eventId: randomId('top-'),
          companyId,
          kind: 'balance_added',
          seq: moved.seq,
          amountMicros: micros,
          balanceAfterMicros: moved.balanceAfterMicros,
          occurredAt: Date.now(),
          details: {},
        },
      ],
      holdsOpened: [],
      holdsClosed: [],
      refusals: [],
    });
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    settings = testSettings(db.url, { ratePlanPath: 'schemas/examples/example-plan.yaml' });
    for (let i = 0; i < 10; i++) connections.push(new Redis(settings.redis.url));
    store = new WalletStore(connections[0]!, settings.redis.prefix, ledgerWalletSource(db.pool));
    plan = await loadPlan(settings.ratePlanPath);
  });

  afterAll(async () => {
    for (const c of connections) c.disconnect();
    await db.drop();
  });

  it('100 concurrent call starts never reserve more than the balance', async () => {
    const company = randomId('busy-');
    await fund(company, 1_000_000);
    // Ten connections, so the scripts really interleave on the server.
    const stores = connections.map(
      (c) => new WalletStore(c, settings.redis.prefix, ledgerWalletSource(db.pool)),
    );
    const outcomes = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        stores[i % stores.length]!.reserveHold(company, `start-${i}`, `call-${i}`, 45_000, 10_000),
      ),
    );
    const held = outcomes.filter((o) => o.status === 'held');
    const total = held.reduce((sum, o) => sum + (o.status === 'held' ? o.holdMicros : 0), 0);
    expect(total).toBeLessThanOrEqual(1_000_000);
    // 22 full holds of 45,000 use 990,000; the 23rd gets the last 10,000; the rest are refused.
    expect(held.length).toBe(23);
    expect(total).toBe(1_000_000);
    expect(outcomes.filter((o) => o.status === 'refused')).toHaveLength(77);
    const view = await store.view(company);
    expect(view).toMatchObject({ balanceMicros: 1_000_000, heldMicros: 1_000_000 });
    const holds = await connections[0]!.hvals(store.keys(company).holds);
    expect(holds.reduce((s, v) => s + Number(v), 0)).toBe(1_000_000);
  });

  it('the sweeper extends a running hold, cuts a call off when the balance cannot, and releases expired holds', async () => {
    const kafka = createKafka(settings.kafka.brokers, 'wallet-test', createLogger('error'));
    await ensureTopics(kafka, settings.topics, 1);
    const producer: Producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    const deps = {
      pool: db.pool,
      wallets: store,
      producer,
      plan,
      callsControlTopic: settings.topics.callsControl,
      holdSeconds: 300,
      log: createLogger('warn'),
      metrics: createMetrics(false),
    };
    try {
      const rich = randomId('rich-');
      const poor = randomId('poor-');
      await fund(rich, 10_000_000);
      await fund(poor, 100_000);
      const number = '+442071838750';
      for (const [company, call] of [
        [rich, 'long-call'],
        [poor, 'doomed-call'],
        [rich, 'ghost-call'],
      ] as const) {
        const hold = await store.reserveHold(company, `s-${call}`, call, 70_000, 16_000);
        expect(hold.status).toBe('held');
        await db.pool.query(
          `insert into call_holds (company_id, call_id, event_id, channel, number, amount_micros, covered_seconds,
                                   started_at, placed_at, expires_at)
           values ($1, $2, $3, 'voice', $4, $5, 300, now() - interval '290 seconds', now() - interval '290 seconds', $6)`,
          [
            company,
            call,
            `s-${call}`,
            number,
            hold.status === 'held' ? String(hold.holdMicros) : '0',
            call === 'ghost-call'
              ? new Date(Date.now() - 1000).toISOString()
              : new Date(Date.now() + 3_600_000).toISOString(),
          ],
        );
      }
      // The poor wallet can pay no more: spend what is free.
      const drained = await store.applyCredit(poor, randomId('spend-'), -30_000, true);
      expect(drained.status).toBe('applied');

      const result = await sweepHolds(deps);
      expect(result).toEqual({ extended: 1, cutOff: 1, released: 1 });

      const rows = await db.pool.query<{
        call_id: string;
        amount_micros: bigint;
        cut_off_at: Date | null;
        close_reason: string | null;
      }>(
        'select call_id, amount_micros, cut_off_at, close_reason from call_holds order by call_id',
      );
      const byCall = new Map(rows.rows.map((r) => [r.call_id, r]));
      expect(byCall.get('long-call')?.amount_micros).toBe(140_000n);
      expect(byCall.get('doomed-call')?.cut_off_at).not.toBeNull();
      expect(byCall.get('ghost-call')?.close_reason).toBe('expired');
      expect(await connections[0]!.hget(store.keys(rich).holds, 'ghost-call')).toBeNull();
      expect((await store.view(rich)).heldMicros).toBe(140_000);

      const control = await readTopic(
        kafka,
        settings.topics.callsControl,
        (seen) => seen.length > 0,
      );
      expect(control).toEqual([
        expect.objectContaining({
          company_id: poor,
          call_id: 'doomed-call',
          reason: 'balance_exhausted',
          available_micros: '0',
        }),
      ]);
      // A second sweep finds nothing new to do: the cut-off is sent once.
      expect(await sweepHolds(deps)).toEqual({ extended: 0, cutOff: 0, released: 0 });
    } finally {
      await producer.disconnect();
    }
  });
});
