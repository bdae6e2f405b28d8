// End-to-end throughput and latency of one processor on the real local stack, each next to a raw
// baseline measured in the same run (these machines are shared and noisy, so ratios are what
// compare across runs): a plain kafkajs consume of the same topics, a plain Redis round trip,
// a plain Postgres unnest insert.
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Partitioners, type Kafka } from 'kafkajs';
import { loadSettings, topicNames, type Settings } from '../../src/config/settings.js';
import { startProcessor } from '../../src/cli/processor-app.js';
import { createKafka, ensureTopics, groupLag } from '../../src/ingest/kafka.js';
import { upsertCompany } from '../../src/ledger/companies.js';
import { createPool, ensureDatabase } from '../../src/ledger/database.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { syntheticLoad, type SyntheticEvent } from '../../src/demo/synthetic-events.js';
import type { BenchResult } from './report.js';

const planPath = 'schemas/examples/example-plan.yaml';
const inputBases = ['calls.started', 'calls.ended', 'messages.sent', 'wallet.commands'] as const;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function benchSettings(tag: string, database: string): Settings {
  const base = loadSettings();
  const url = new URL(base.postgres.url);
  url.pathname = `/${database}`;
  return {
    ...base,
    kafka: { ...base.kafka, groupId: `${tag}-group` },
    topics: topicNames(`${tag}.`),
    redis: { ...base.redis, prefix: tag },
    postgres: { url: url.toString() },
    logLevel: 'warn',
    ratePlanPath: planPath,
  };
}

async function produce(
  kafka: Kafka,
  prefix: string,
  load: readonly SyntheticEvent[],
): Promise<Map<string, number>> {
  const sentAt = new Map<string, number>();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (let i = 0; i < load.length; i += 5000) {
    const byTopic = new Map<string, { key: string; value: string }[]>();
    const now = Date.now();
    for (const { topic, event } of load.slice(i, i + 5000)) {
      byTopic.set(topic, [
        ...(byTopic.get(topic) ?? []),
        { key: event.company_id, value: JSON.stringify(event) },
      ]);
      sentAt.set(event.event_id, now);
    }
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([t, messages]) => ({ topic: `${prefix}${t}`, messages })),
    });
  }
  await producer.disconnect();
  return sentAt;
}

async function untilCommitted(
  kafka: Kafka,
  groupId: string,
  topics: readonly string[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await groupLag(kafka, groupId, topics)) > 0) {
    if (Date.now() > deadline) throw new Error(`${groupId} did not catch up in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Raw baseline: a kafkajs consumer that only counts messages and commits, same topics. */
async function rawConsume(
  kafka: Kafka,
  topics: readonly string[],
  expected: number,
): Promise<number> {
  const consumer = kafka.consumer({ groupId: `raw-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  let seen = 0;
  const started = Date.now();
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async (payload) => {
        const { batch } = payload;
        seen += batch.messages.length;
        const last = batch.messages[batch.messages.length - 1];
        if (last) payload.resolveOffset(last.offset);
        await payload.commitOffsetsIfNecessary();
        if (seen >= expected) resolve();
      },
    });
  });
  const seconds = (Date.now() - started) / 1000;
  await consumer.disconnect();
  return expected / seconds;
}

async function rawRedis(url: string, n: number): Promise<{ p50: number; p99: number }> {
  const redis = new Redis(url);
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await redis.hincrby('bench:{raw}:w', 'bal', 1);
    lat.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  await redis.del('bench:{raw}:w');
  redis.disconnect();
  lat.sort((a, b) => a - b);
  return { p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

async function rawPostgresInsert(pool: pg.Pool, rows: number): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query(
      'create temporary table raw_bench (id text, company text, amount bigint, at timestamptz)',
    );
    const started = Date.now();
    for (let i = 0; i < rows; i += 1000) {
      const ids = Array.from({ length: 1000 }, (_, j) => `r${i + j}`);
      await client.query('begin');
      await client.query(
        'insert into raw_bench select * from unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[])',
        [ids, ids.map(() => 'co'), ids.map(() => '-1000'), ids.map(() => new Date().toISOString())],
      );
      await client.query('commit');
    }
    return rows / ((Date.now() - started) / 1000);
  } finally {
    client.release();
  }
}

export async function benchPipeline(events = 100_000): Promise<BenchResult> {
  const tag = `bench${Date.now().toString(36)}`;
  const database = `tollgate_${tag}`;
  const settings = benchSettings(tag, database);
  await ensureDatabase(settings.postgres.url);
  const kafka = createKafka(settings.kafka.brokers, 'bench', createLogger('error'));
  await ensureTopics(kafka, settings.topics);
  const topics = inputBases.map((b) => `${tag}.${b}`);
  const pool = createPool(settings.postgres.url, 4);
  try {
    const app0 = await startProcessor(
      { ...settings, kafka: { ...settings.kafka, groupId: `${tag}-warm` } },
      { http: false },
    );
    await app0.stop(); // creates the schema
    const companies = Array.from({ length: 20 }, (_, i) => `co-${i}`);
    for (const id of companies) await upsertCompany(pool, { id, name: id });

    // Throughput: a backlog of `events`, drained by one processor.
    const load = syntheticLoad({ companies, events, seed: 7, idPrefix: `${tag}a` });
    await produce(kafka, `${tag}.`, load);
    const rawRate = await rawConsume(kafka, topics, load.length);
    const started = Date.now();
    const app = await startProcessor(settings, { http: false });
    await untilCommitted(kafka, settings.kafka.groupId, topics, 600_000);
    const drainSeconds = (Date.now() - started) / 1000;
    const sustained = load.length / drainSeconds;

    // Latency: a steady 10,000 events/s for 10 s while the processor runs, produce → ledger commit.
    const steady = syntheticLoad({ companies, events: 100_000, seed: 8, idPrefix: `${tag}b` });
    const sentAt = new Map<string, number>();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const perTick = 1_000;
    for (let i = 0; i < steady.length; i += perTick) {
      const tick = Date.now();
      const byTopic = new Map<string, { key: string; value: string }[]>();
      for (const { topic, event } of steady.slice(i, i + perTick)) {
        byTopic.set(topic, [
          ...(byTopic.get(topic) ?? []),
          { key: event.company_id, value: JSON.stringify(event) },
        ]);
      }
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([t, messages]) => ({ topic: `${tag}.${t}`, messages })),
      });
      const sent = Date.now();
      for (const { event } of steady.slice(i, i + perTick)) sentAt.set(event.event_id, sent);
      const wait = 100 - (Date.now() - tick);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await producer.disconnect();
    await untilCommitted(kafka, settings.kafka.groupId, topics, 600_000);
    const rows = await pool.query<{ event_id: string; at: Date }>(
      `select event_id, recorded_at as at from ledger_transfers where event_id like $1`,
      [`${tag}b-%`],
    );
    const lat = rows.rows
      .map((r) => r.at.getTime() - (sentAt.get(r.event_id) ?? Number.NaN))
      .filter((x) => Number.isFinite(x))
      .sort((a, b) => a - b);
    await app.stop();

    const redisRtt = await rawRedis(settings.redis.url, 20_000);
    const pgRate = await rawPostgresInsert(pool, 100_000);
    return {
      name: 'pipeline (Kafka → rate → Redis Lua → Postgres ledger → commit), one processor',
      figures: {
        'backlog drained (events)': load.length,
        'sustained throughput (events/s)': Math.round(sustained),
        'raw kafkajs consume of the same topics (messages/s)': Math.round(rawRate),
        'throughput / raw consume': Number((sustained / rawRate).toFixed(3)),
        'steady load offered (events/s)': 10_000,
        'produce → ledger commit p50 (ms)': percentile(lat, 50),
        'produce → ledger commit p99 (ms)': percentile(lat, 99),
        'raw Redis round trip p50 (ms)': Number(redisRtt.p50.toFixed(3)),
        'raw Redis round trip p99 (ms)': Number(redisRtt.p99.toFixed(3)),
        'raw Postgres unnest insert, 1,000-row transactions (rows/s)': Math.round(pgRate),
        'throughput / raw Postgres insert': Number((sustained / pgRate).toFixed(3)),
      },
    };
  } finally {
    await pool.end();
    const admin = kafka.admin();
    await admin.connect();
    await admin
      .deleteTopics({ topics: Object.values(settings.topics) as string[] })
      .catch(() => undefined);
    await admin.disconnect();
    const c = new pg.Client({
      connectionString: settings.postgres.url.replace(`/${database}`, '/postgres'),
    });
    await c.connect();
    await c.query(`drop database if exists "${database}" with (force)`);
    await c.end();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchPipeline(Number(process.argv[2] ?? 100_000));
  console.log(JSON.stringify(result, null, 2));
  process.exit(0);
}
