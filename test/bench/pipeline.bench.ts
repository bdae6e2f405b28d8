// End-to-end throughput and latency of one processor on the real local stack, each next to a raw
// baseline measured in the same run (these machines are shared and noisy, so ratios are what
// compare across runs): a plain kafkajs consume of the same topics, a plain Redis round trip,
// a plain Postgres unnest insert.
import os from 'node:os';
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
import { stackCpu, stackCpuSeconds } from './stack-cpu.js';

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

/**
 * Polls the group's lag until it is zero. Returns the first poll that saw some offsets committed:
 * when, and how many events were still behind then.
 */
async function untilCommitted(
  kafka: Kafka,
  groupId: string,
  topics: readonly string[],
  timeoutMs: number,
): Promise<{ firstProgressAt: number; behindThen: number } | null> {
  const deadline = Date.now() + timeoutMs;
  let initial: number | null = null;
  let first: { firstProgressAt: number; behindThen: number } | null = null;
  for (;;) {
    const behind = await groupLag(kafka, groupId, topics);
    if (initial === null) initial = behind;
    else if (first === null && behind < initial)
      first = { firstProgressAt: Date.now(), behindThen: behind };
    if (behind === 0) return first;
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

/**
 * When each offset of `topics` was committed by `groupId`: the committed offset of every
 * partition, polled every `everyMs` until `stop()` is called.
 */
function watchCommits(kafka: Kafka, groupId: string, topics: readonly string[], everyMs = 20) {
  const timeline = new Map<string, Array<{ at: number; offset: bigint }>>();
  let running = true;
  const admin = kafka.admin();
  const poll = async () => {
    const at = Date.now();
    for (const t of await admin.fetchOffsets({ groupId, topics: [...topics] })) {
      for (const p of t.partitions) {
        if (p.offset === '-1') continue;
        const key = `${t.topic}/${p.partition}`;
        const seen = timeline.get(key) ?? [];
        const offset = BigInt(p.offset);
        if (seen.length === 0 || (seen[seen.length - 1] as { offset: bigint }).offset < offset)
          seen.push({ at, offset });
        timeline.set(key, seen);
      }
    }
  };
  const done = (async () => {
    await admin.connect();
    while (running) {
      await poll();
      await new Promise((r) => setTimeout(r, everyMs));
    }
    // The caller stops once the group caught up: a poll begun before the last commit may have
    // missed it, so one more is read now.
    await poll();
    await admin.disconnect();
  })();
  return {
    async stop(): Promise<void> {
      running = false;
      await done;
    },
    /** When `offset` of that partition was first seen committed (next offset past it). */
    committedAt(topic: string, partition: number, offset: bigint): number | undefined {
      return timeline.get(`${topic}/${partition}`)?.find((c) => c.offset > offset)?.at;
    },
  };
}

/** Where each event of `topics` sits: event id → topic, partition and offset. */
async function eventPositions(
  kafka: Kafka,
  topics: readonly string[],
  idPrefix: string,
  expected: number,
): Promise<Map<string, { topic: string; partition: number; offset: bigint }>> {
  const positions = new Map<string, { topic: string; partition: number; offset: bigint }>();
  const consumer = kafka.consumer({ groupId: `positions-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  const deadline = Date.now() + 120_000;
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (Date.now() > deadline) reject(new Error('positions: topics not read in time'));
    }, 1_000);
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const event = JSON.parse(m.value?.toString('utf8') ?? '{}') as { event_id?: string };
          if (event.event_id?.startsWith(idPrefix))
            positions.set(event.event_id, {
              topic: batch.topic,
              partition: batch.partition,
              offset: BigInt(m.offset),
            });
        }
        if (positions.size >= expected) {
          clearInterval(timer);
          resolve();
        }
        await Promise.resolve();
      },
    });
  });
  await consumer.disconnect();
  return positions;
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

    // Throughput: a backlog of `events`, drained by one processor, with the CPU each process of
    // the stack spent on it.
    const load = syntheticLoad({ companies, events, seed: 7, idPrefix: `${tag}a` });
    await produce(kafka, `${tag}.`, load);
    const rawRate = await rawConsume(kafka, topics, load.length);
    const cpuBefore = process.cpuUsage();
    const stackBefore = stackCpu();
    const started = Date.now();
    const app = await startProcessor(settings, { http: false });
    const progress = await untilCommitted(kafka, settings.kafka.groupId, topics, 600_000);
    const finished = Date.now();
    const drainSeconds = (finished - started) / 1000;
    const processorCpu = process.cpuUsage(cpuBefore);
    const stackSeconds = stackCpuSeconds(stackBefore, stackCpu());
    // The drain includes the processor's start (migrations check, topics, schema registry, the
    // consumer group's join); the steady rate is read from the first offset commit to the last.
    const drainRate = load.length / drainSeconds;
    const startupMs = progress === null ? Number.NaN : progress.firstProgressAt - started;
    const sustained =
      progress === null
        ? drainRate
        : progress.behindThen / ((finished - progress.firstProgressAt) / 1000);
    const perEvent = (seconds: number) => Number(((seconds * 1e6) / load.length).toFixed(1));
    const processorUs = perEvent((processorCpu.user + processorCpu.system) / 1e6);
    const cpu: Record<string, number | string> = {
      'CPU per event: processor (µs)': processorUs,
    };
    if (stackSeconds !== null) {
      const total =
        processorUs +
        perEvent(stackSeconds.redis) +
        perEvent(stackSeconds.postgres) +
        perEvent(stackSeconds.kafka);
      Object.assign(cpu, {
        'CPU per event: Redis (µs)': perEvent(stackSeconds.redis),
        'CPU per event: Postgres (µs)': perEvent(stackSeconds.postgres),
        'CPU per event: Kafka broker (µs)': perEvent(stackSeconds.kafka),
        'CPU per event: all four (µs)': Number(total.toFixed(1)),
        'events/s the cores could give at that CPU cost (ceiling)': Math.round(
          (os.cpus().length * 1e6) / total,
        ),
      });
    }

    // Latency: a steady load below capacity (60% of the throughput just measured) for 10 s while
    // the processor runs, produce acknowledged → ledger transaction.
    const offered = Math.max(500, Math.floor((sustained * 0.6) / 100) * 100);
    const steady = syntheticLoad({
      companies,
      events: offered * 10,
      seed: 8,
      idPrefix: `${tag}b`,
    });
    const sentAt = new Map<string, number>();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const commits = watchCommits(kafka, settings.kafka.groupId, topics);
    const perTick = Math.ceil(steady.length / 100);
    const steadyStarted = Date.now();
    for (let i = 0, tickNo = 1; i < steady.length; i += perTick, tickNo++) {
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
      // Ticks every 100 ms from the start, so a slow send does not lower the rate offered.
      const wait = steadyStarted + tickNo * 100 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const offeredRate = steady.length / ((Date.now() - steadyStarted) / 1000);
    await producer.disconnect();
    await untilCommitted(kafka, settings.kafka.groupId, topics, 600_000);
    await commits.stop();
    // End to end: acknowledged by Kafka → its offset committed, which happens only after its
    // ledger transaction has committed (and its outputs were published).
    const positions = await eventPositions(kafka, topics, `${tag}b-`, steady.length);
    const lat = [...positions]
      .map(([id, p]) => {
        const done = commits.committedAt(p.topic, p.partition, p.offset);
        return done === undefined ? Number.NaN : done - (sentAt.get(id) ?? Number.NaN);
      })
      .filter((x) => Number.isFinite(x))
      .sort((a, b) => a - b);
    if (lat.length < steady.length)
      throw new Error(`latency known for ${lat.length} of ${steady.length} events`);
    await app.stop();

    const redisRtt = await rawRedis(settings.redis.url, 20_000);
    const pgRate = await rawPostgresInsert(pool, 100_000);
    return {
      name: 'pipeline (Kafka → rate → Redis Lua → Postgres ledger → commit), one processor',
      figures: {
        'backlog drained (events)': load.length,
        'drain throughput, processor start-up included (events/s)': Math.round(drainRate),
        'processor start → first offset commit (ms)': startupMs,
        'sustained throughput, first offset commit → last (events/s)': Math.round(sustained),
        'raw kafkajs consume of the same topics (messages/s)': Math.round(rawRate),
        'throughput / raw consume': Number((sustained / rawRate).toFixed(3)),
        ...cpu,
        'steady load offered, 60% of sustained (events/s)': Math.round(offeredRate),
        'produce ack → ledger commit and offset commit p50 (ms)': percentile(lat, 50),
        'produce ack → ledger commit and offset commit p99 (ms)': percentile(lat, 99),
        'produce ack → ledger commit and offset commit max (ms)': lat[lat.length - 1] ?? Number.NaN,
        'raw Redis round trip p50 (ms)': Number(redisRtt.p50.toFixed(3)),
        'raw Redis round trip p99 (ms)': Number(redisRtt.p99.toFixed(3)),
        'raw Postgres unnest insert, 1,000-row transactions (rows/s)': Math.round(pgRate),
        'throughput / raw Postgres insert': Number((sustained / pgRate).toFixed(3)),
      },
    };
  } finally {
    await pool.end();
    // The run's wallets and event markers: left for their TTL (days), millions of keys would
    // make Redis slower at every later run.
    const redis = new Redis(settings.redis.url);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${tag}:*`, 'COUNT', 5000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
    redis.disconnect();
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
