// DESIGN.md's failure model on the real stack: the processor killed with SIGKILL at random points,
// Redis losing every wallet mid-run, Postgres unreachable for 30 s mid-run. Each run must end with
// every wallet equal to the reference computed from the events alone, every charge in the ledger
// exactly once, the balance-after chains intact and Redis equal to the ledger.
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Partitioners, type Kafka } from 'kafkajs';
import type pg from 'pg';
import { createKafka, ensureTopics } from '../../src/ingest/kafka.js';
import { loadPlan } from '../../src/cli/processor-app.js';
import { upsertCompany } from '../../src/ledger/companies.js';
import { chainFaults, ledgerWallets, unbalancedTransfers } from '../../src/ledger/ledger-reader.js';
import { ledgerWalletSource } from '../../src/ledger/wallet-source.js';
import { WalletStore } from '../../src/wallet/wallet-store.js';
import { reconcileWallets } from '../../src/wallet/reconcile.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { syntheticLoad, type SyntheticEvent } from '../../src/demo/synthetic-events.js';
import type { Settings } from '../../src/config/settings.js';
import {
  createTestDatabase,
  randomId,
  testSettings,
  type TestDatabase,
} from '../helpers/services.js';
import { waitForCaughtUp } from '../helpers/pipeline.js';
import { referenceOf } from '../helpers/reference.js';
import { ProcessorProcess } from '../helpers/processor-process.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const planPath = 'schemas/examples/example-plan.yaml';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run {
  db: TestDatabase;
  settings: Settings;
  topicPrefix: string;
  kafka: Kafka;
  redis: Redis;
  load: SyntheticEvent[];
}

async function prepareRun(events: number, companies: number): Promise<Run> {
  const db = await createTestDatabase();
  const base = testSettings(db.url, { ratePlanPath: planPath, batchMaxEvents: 1000 });
  const topicPrefix = base.topics.callsStarted.replace('calls.started', '');
  const settings = { ...base, kafka: { ...base.kafka, sessionTimeoutMs: 6000 } };
  const kafka = createKafka(settings.kafka.brokers, 'chaos-test', createLogger('error'));
  await ensureTopics(kafka, settings.topics);
  const ids = Array.from({ length: companies }, (_, i) => `co-${String(i).padStart(2, '0')}`);
  for (const id of ids) await upsertCompany(db.pool, { id, name: id });
  const load = syntheticLoad({
    companies: ids,
    events,
    seed: events + companies,
    idPrefix: randomId(''),
  });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (let i = 0; i < load.length; i += 5000) {
    const byTopic = new Map<string, { key: string; value: string }[]>();
    for (const { topic, event } of load.slice(i, i + 5000)) {
      const list = byTopic.get(topic) ?? [];
      list.push({ key: event.company_id, value: JSON.stringify(event) });
      byTopic.set(topic, list);
    }
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([t, messages]) => ({
        topic: `${topicPrefix}${t}`,
        messages,
      })),
    });
  }
  await producer.disconnect();
  return { db, settings, topicPrefix, kafka, redis: new Redis(settings.redis.url), load };
}

async function transfers(pool: pg.Pool): Promise<number> {
  const r = await pool.query<{ n: number }>('select count(*)::int as n from ledger_transfers');
  return r.rows[0]?.n ?? 0;
}

async function untilProgress(pool: pg.Pool, beyond: number, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await transfers(pool);
    if (n > beyond) return n;
    if (Date.now() > deadline) throw new Error(`no ledger progress beyond ${beyond}`);
    await sleep(50);
  }
}

async function assertMatchesReference(run: Run): Promise<void> {
  await waitForCaughtUp(
    run.kafka,
    run.settings.kafka.groupId,
    Object.values(run.settings.topics).slice(0, 4) as string[],
    300_000,
  );
  const plan = await loadPlan(planPath);
  const ref = referenceOf(plan, run.load);

  const rows = await run.db.pool.query<{ event_id: string }>(
    'select event_id from ledger_transfers',
  );
  const recorded = rows.rows.map((r) => r.event_id);
  expect(recorded.length).toBe(ref.transferIds.size); // none missing, none twice
  expect(new Set(recorded)).toEqual(ref.transferIds);
  const entries = await run.db.pool.query<{ n: number }>(
    'select count(*)::int as n from ledger_entries',
  );
  expect(entries.rows[0]?.n).toBe(2 * ref.transferIds.size);
  expect(await chainFaults(run.db.pool)).toEqual([]);
  expect(await unbalancedTransfers(run.db.pool)).toEqual([]);

  const ledger = await ledgerWallets(run.db.pool);
  const ledgerBalances = new Map(ledger.map((w) => [w.companyId, w.balanceMicros]));
  expect(ledgerBalances).toEqual(ref.balances);
  // Every call ended, so no hold may remain, in the ledger or in Redis.
  expect(ledger.every((w) => w.openHoldsMicros === 0)).toBe(true);
  const store = new WalletStore(
    run.redis,
    run.settings.redis.prefix,
    ledgerWalletSource(run.db.pool),
  );
  const report = await reconcileWallets(store, ledger);
  expect(report.drifted).toEqual([]);
  for (const [company, balance] of ref.balances) {
    expect(await store.view(company)).toMatchObject({ balanceMicros: balance, heldMicros: 0 });
  }
}

async function flushWallets(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

describe('failure model', () => {
  const runs: Run[] = [];
  afterAll(async () => {
    for (const r of runs) {
      // Its markers would otherwise stay for their TTL (days) and slow every later run.
      await flushWallets(r.redis, r.settings.redis.prefix);
      r.redis.disconnect();
      await r.db.drop();
    }
  });

  it(
    'survives 20 SIGKILLs at random points during 100,000 events',
    { timeout: 900_000 },
    async () => {
      const run = await prepareRun(100_000, 12);
      runs.push(run);
      const processor = new ProcessorProcess({
        settings: run.settings,
        topicPrefix: run.topicPrefix,
      });
      try {
        let seen = 0;
        for (let kill = 0; kill < 20; kill++) {
          await processor.start();
          seen = await untilProgress(run.db.pool, seen);
          await sleep(Math.floor(Math.random() * 400));
          await processor.kill('SIGKILL');
          seen = await transfers(run.db.pool);
        }
        expect(processor.starts).toBe(20);
        expect(seen).toBeLessThan(referenceOf(await loadPlan(planPath), run.load).transferIds.size);
        await processor.start();
        await assertMatchesReference(run);
      } finally {
        await processor.kill('SIGTERM');
      }
    },
  );

  it('rebuilds wallets when Redis loses them mid-run', { timeout: 600_000 }, async () => {
    const run = await prepareRun(30_000, 8);
    runs.push(run);
    const processor = new ProcessorProcess({
      settings: run.settings,
      topicPrefix: run.topicPrefix,
    });
    try {
      await processor.start();
      const seen = await untilProgress(run.db.pool, 2_000);
      expect(await flushWallets(run.redis, run.settings.redis.prefix)).toBeGreaterThan(0);
      await untilProgress(run.db.pool, seen + 2_000);
      expect(await flushWallets(run.redis, run.settings.redis.prefix)).toBeGreaterThan(0);
      await assertMatchesReference(run);
    } finally {
      await processor.kill('SIGTERM');
    }
  });

  it(
    'waits out Postgres being unreachable for 30 seconds mid-run',
    { timeout: 600_000 },
    async () => {
      const run = await prepareRun(30_000, 8);
      runs.push(run);
      const target = new URL(run.db.url);
      const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
      const port = await proxy.start();
      const viaProxy = new URL(run.db.url);
      viaProxy.port = String(port);
      const processor = new ProcessorProcess({
        settings: run.settings,
        topicPrefix: run.topicPrefix,
        postgresUrl: viaProxy.toString(),
      });
      try {
        await processor.start();
        const before = await untilProgress(run.db.pool, 2_000);
        await proxy.cut();
        await sleep(30_000);
        const during = await transfers(run.db.pool);
        expect(during).toBeLessThan(run.load.length); // not finished while Postgres was away
        expect(processor.running).toBe(true);
        await proxy.restore();
        await untilProgress(run.db.pool, Math.max(before, during));
        await assertMatchesReference(run);
      } finally {
        await processor.kill('SIGTERM');
        await proxy.stop();
      }
    },
  );
});
