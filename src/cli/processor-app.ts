// The processor's composition root: connects Postgres (migrating it), Redis and Kafka, loads
// the rate plan, and runs the consumer, the hold sweeper and the HTTP server. `tollgate start`
// and the integration tests both build it from Settings.
import { readFile } from 'node:fs/promises';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { FastifyInstance } from 'fastify';
import type { Settings } from '../config/settings.js';
import {
  compilePlan,
  DEFAULT_PLAN_DOCUMENT,
  parsePlanText,
  type CompiledPlan,
} from '../rating/index.js';
import { createPool, ensureDatabase } from '../ledger/database.js';
import { migrate } from '../ledger/migrate.js';
import { ensurePartitions } from '../ledger/companies.js';
import { ledgerWallets } from '../ledger/ledger-reader.js';
import { ledgerWalletSource } from '../ledger/wallet-source.js';
import { WalletStore } from '../wallet/wallet-store.js';
import { createRedis } from '../wallet/redis-connection.js';
import { reconcileWallets, type ReconcileReport } from '../wallet/reconcile.js';
import { EventCodec } from '../ingest/codec.js';
import { createKafka, ensureTopics } from '../ingest/kafka.js';
import { BatchProcessor } from '../ingest/processor.js';
import { ProcessorConsumer } from '../ingest/consumer.js';
import { sweepHolds } from '../ingest/hold-sweeper.js';
import { buildServer } from '../api/server.js';
import { createBilling, type Billing } from '../billing/index.js'; // [issue 5]
import { createLogger, type Logger } from '../telemetry/logger.js';
import { createMetrics, type Metrics } from '../telemetry/metrics.js';

export interface ProcessorApp {
  readonly settings: Settings;
  readonly pool: pg.Pool;
  readonly redis: Redis;
  readonly kafka: Kafka;
  readonly wallets: WalletStore;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly plan: CompiledPlan;
  readonly server: FastifyInstance;
  /** Spending caps and the call gate's mirror; the pipeline calls billing.caps.afterCharges. */
  readonly billing: Billing; // [issue 5]
  reconcile(): Promise<ReconcileReport>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Serve HTTP (false in tests that only need the pipeline). */
  readonly http?: boolean;
  readonly sweepIntervalMs?: number;
  /** How often spending caps check for month rollovers and heal the Redis mirror. [issue 5] */
  readonly capCheckIntervalMs?: number;
}

export async function loadPlan(path: string): Promise<CompiledPlan> {
  if (path === '') return compilePlan(DEFAULT_PLAN_DOCUMENT);
  return compilePlan(parsePlanText(await readFile(path, 'utf8'), path));
}

export async function startProcessor(
  settings: Settings,
  options: StartOptions = {},
): Promise<ProcessorApp> {
  const log = createLogger(settings.logLevel);
  const metrics = createMetrics();
  const plan = await loadPlan(settings.ratePlanPath);

  await ensureDatabase(settings.postgres.url);
  const pool = createPool(settings.postgres.url);
  const applied = await migrate(pool);
  if (applied.length) log.info({ applied }, 'ledger migrations applied');
  await ensurePartitions(pool);

  // Writes of one event-loop turn leave together (see redis-connection.ts).
  const redis = createRedis(settings.redis.url, { maxRetriesPerRequest: null });
  const wallets = new WalletStore(redis, settings.redis.prefix, ledgerWalletSource(pool));

  const kafka = createKafka(settings.kafka.brokers, settings.kafka.clientId, log);
  await ensureTopics(kafka, settings.topics);
  const codec = new EventCodec(settings.schemaRegistryUrl);
  const admin = kafka.admin();
  await admin.connect();

  const sweepProducer: Producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await sweepProducer.connect();
  // Spending caps and the Redis mirror of each company's billing state (issue 5): the pipeline
  // refuses call starts the gate refuses, and reports its charges after each ledger commit.
  const billing = createBilling({
    pool,
    redis,
    prefix: settings.redis.prefix,
    producer: sweepProducer,
    topics: settings.topics,
    log,
  });

  const processor = new BatchProcessor({
    pool,
    wallets,
    codec,
    topics: settings.topics,
    plan,
    log,
    metrics,
    holdSeconds: settings.holdSeconds,
    maxPayloadBytes: settings.maxPayloadBytes,
    callGate: async (companyId, campaignId) => {
      const read = await billing.mirror.read(companyId, campaignId);
      if (read.state !== 'known') return null;
      const { gate, campaignPause } = read;
      if (gate.paused) return 'company_paused';
      if (gate.capReached || (gate.capMicros !== null && gate.spentMicros >= gate.capMicros)) {
        return 'spending_cap_reached';
      }
      if (campaignPause !== undefined) return 'campaign_paused';
      return null;
    },
    afterCommit: async (companyIds) => {
      // The ledger has committed: a failure here must not redeliver the batch. The periodic
      // cap check repairs whatever this missed.
      await billing.caps.afterCharges(companyIds).catch((err: unknown) => {
        log.warn({ err }, 'spending cap check after charges failed; the periodic check will retry');
      });
    },
  });
  const consumer = new ProcessorConsumer(
    kafka,
    processor,
    {
      groupId: settings.kafka.groupId,
      chunkSize: settings.batchMaxEvents,
      sessionTimeoutMs: settings.kafka.sessionTimeoutMs,
    },
    log,
    metrics,
  );
  await consumer.start();

  let sweeping = Promise.resolve();
  const sweepTimer = setInterval(() => {
    sweeping = sweeping
      .then(() =>
        sweepHolds({
          pool,
          wallets,
          producer: sweepProducer,
          plan,
          callsControlTopic: settings.topics.callsControl,
          holdSeconds: settings.holdSeconds,
          log,
          metrics,
        }),
      )
      .then(
        () => undefined,
        (err: unknown) => log.warn({ err }, 'hold sweep failed; retrying next round'),
      );
  }, options.sweepIntervalMs ?? 5_000);

  const reconcile = async (): Promise<ReconcileReport> => {
    const report = await reconcileWallets(wallets, await ledgerWallets(pool));
    metrics.walletsDrifted.set(report.drifted.length);
    metrics.walletDriftMicros.reset();
    for (const d of report.drifted) {
      metrics.walletDriftMicros.set(
        { company: d.companyId },
        d.redisBalanceMicros - d.ledgerBalanceMicros,
      );
    }
    return report;
  };

  // [issue 5] the periodic month-rollover check.
  let capChecking = Promise.resolve();
  const capTimer = setInterval(() => {
    capChecking = capChecking
      .then(() => billing.caps.checkMonthRollover())
      .catch((err: unknown) => log.warn({ err }, 'spending cap check failed; retrying next round'));
  }, options.capCheckIntervalMs ?? 60_000);
  // [/issue 5]
  const server = buildServer({
    api: { pool, redis, wallets, plan, settings, producer: sweepProducer, billing }, // [issue 5]
    log,
    metricsRegistry: metrics.registry,
    readiness: {
      postgres: async () => {
        await pool.query('select 1');
      },
      redis: async () => {
        await redis.ping();
      },
      kafka: async () => {
        await admin.describeCluster();
      },
    },
  });
  if (options.http ?? true) {
    await server.listen({ host: settings.http.host, port: settings.http.port });
  }
  log.info({ topics: processor.inputTopics, http: settings.http }, 'tollgate processor started');

  return {
    settings,
    pool,
    redis,
    kafka,
    wallets,
    metrics,
    log,
    plan,
    server,
    billing, // [issue 5]
    reconcile,
    async stop() {
      clearInterval(sweepTimer);
      clearInterval(capTimer); // [issue 5]
      await capChecking; // [issue 5]
      await sweeping;
      await server.close();
      await consumer.stop();
      await sweepProducer.disconnect();
      await admin.disconnect();
      redis.disconnect();
      await pool.end();
    },
  };
}
