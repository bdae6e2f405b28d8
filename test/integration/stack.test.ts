// Proves the local stack is real: Avro through a real schema registry and a real Kafka broker,
// a Lua script on real Redis, migrations on real Postgres. Nothing here is mocked or skipped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { EventCodec } from '../../src/ingest/codec.js';
import { createKafka, ensureTopics } from '../../src/ingest/kafka.js';
import { defineWalletCommands } from '../../src/wallet/scripts.js';
import { walletKeys } from '../../src/wallet/keys.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { createTestDatabase, testSettings, type TestDatabase } from '../helpers/services.js';

type RedisWithWallet = Redis & {
  applyCredit(...args: (string | number)[]): Promise<(string | number)[]>;
  loadWallet(...args: (string | number)[]): Promise<number>;
};

describe('local stack', () => {
  let db: TestDatabase;
  let settings: ReturnType<typeof testSettings>;
  let kafka: Kafka;

  beforeAll(async () => {
    db = await createTestDatabase();
    settings = testSettings(db.url);
    kafka = createKafka(settings.kafka.brokers, 'stack-test', createLogger('warn'));
    await ensureTopics(kafka, settings.topics, 2);
  });

  afterAll(async () => {
    await db.drop();
  });

  it('carries a registry-framed Avro event through Kafka and decodes it', async () => {
    const codec = new EventCodec(settings.schemaRegistryUrl);
    const topic = settings.topics.callsStarted;
    const schemaId = await codec.registerContract('calls.started', topic);
    const event = {
      event_id: 'ev-1',
      company_id: 'acme',
      occurred_at: 1_790_000_000_000,
      call_id: 'call-1',
      channel: 'voice',
      number: '+442071838750',
      campaign_id: 'spring',
      campaign_name: null,
      application_id: null,
      manager_id: null,
      manager_email: null,
    };
    const bytes = await codec.encode(schemaId, event);
    expect(bytes[0]).toBe(0); // Confluent framing: magic byte, then the 4-byte schema id
    expect(bytes.readUInt32BE(1)).toBe(schemaId);

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'acme', value: bytes }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `${settings.kafka.groupId}-avro` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<Buffer | null>((resolve) => {
      void consumer.run({
        eachMessage: ({ message }) => {
          resolve(message.value);
          return Promise.resolve();
        },
      });
    });
    await consumer.disconnect();

    const decoded = await codec.decode(received);
    expect(decoded.format).toBe('avro');
    expect(decoded.value).toMatchObject({
      event_id: 'ev-1',
      call_id: 'call-1',
      number: '+442071838750',
    });
    // The registry really stored it: the subject's latest id is the one we encoded with.
    expect(await codec.registry.getLatestSchemaId(`${topic}-value`)).toBe(schemaId);
  });

  it('runs the wallet Lua scripts atomically and idempotently on Redis', async () => {
    const redis = new Redis(settings.redis.url) as RedisWithWallet;
    defineWalletCommands(redis);
    const keys = walletKeys(settings.redis.prefix, 'acme');
    try {
      expect(await redis.applyCredit(keys.wallet, keys.event('e1'), '5000000', '0', 60)).toEqual([
        -1,
      ]);
      expect(await redis.loadWallet(keys.wallet, keys.holds, '1000000', '7')).toBe(1);
      expect(await redis.applyCredit(keys.wallet, keys.event('e1'), '5000000', '0', 60)).toEqual([
        1,
        '8',
        '6000000',
        '0',
      ]);
      // Redelivery returns the stored outcome and changes nothing.
      expect(await redis.applyCredit(keys.wallet, keys.event('e1'), '5000000', '0', 60)).toEqual([
        0,
        '8',
        '6000000',
        '0',
      ]);
      expect(await redis.applyCredit(keys.wallet, keys.event('e2'), '-7000000', '1', 60)).toEqual([
        -2,
      ]);
      expect(await redis.hget(keys.wallet, 'bal')).toBe('6000000');
    } finally {
      await redis.del(keys.wallet, keys.holds, keys.event('e1'), keys.event('e2'));
      redis.disconnect();
    }
  });

  it('has the migrated ledger schema in a database of its own', async () => {
    const tables = await db.pool.query<{ table_name: string }>(
      `select table_name from information_schema.tables where table_schema = 'public' order by 1`,
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining([
        'companies',
        'ledger_transfers',
        'ledger_entries',
        'call_holds',
        'tollgate_migrations',
      ]),
    );
    await db.pool.query(`select tollgate_ensure_ledger_partitions('2026-11-01', 2)`);
    await db.pool.query(`insert into companies (id, name) values ('acme', 'Acme')`);
    await db.pool.query(
      `insert into ledger_entries (event_id, company_id, account, amount_micros, kind, occurred_at)
       values ('e1', 'acme', 'wallet', 5000000, 'balance_added', '2026-11-21T10:00:00Z')`,
    );
    const partition = await db.pool.query<{ p: string }>(
      `select tableoid::regclass::text as p from ledger_entries where event_id = 'e1'`,
    );
    expect(partition.rows[0]?.p).toBe('ledger_entries_202611');
  });
});
