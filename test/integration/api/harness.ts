// Stands up the HTTP API for one test file on the real stack: its own database (cloned from the
// migrated template), Redis prefix and Kafka topics, a movable clock, an admin key, and a helper
// that records usage the way the pipeline does (Lua, then the ledger, then afterCharges).
import type { Redis } from 'ioredis';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../../src/api/server.js';
import { ApiKeyStore, type Role } from '../../../src/api/api-keys.js';
import { createBilling, type Billing } from '../../../src/billing/index.js';
import type { Settings } from '../../../src/config/settings.js';
import { createKafka, ensureTopics } from '../../../src/ingest/kafka.js';
import { writeLedgerBatch } from '../../../src/ledger/ledger-writer.js';
import { ledgerWalletSource } from '../../../src/ledger/wallet-source.js';
import { compilePlan, type CompiledPlan, type PlanDocument } from '../../../src/rating/index.js';
import { createLogger } from '../../../src/telemetry/logger.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';
import { WalletStore } from '../../../src/wallet/wallet-store.js';
import { createRedis } from '../../../src/wallet/redis-connection.js';
import {
  createTestDatabase,
  randomId,
  testSettings,
  type TestDatabase,
} from '../../helpers/services.js';
import { readTopic } from '../../helpers/pipeline.js';

/** Voice priced per destination, WhatsApp calls anywhere, a cost-plus call, SMS. */
export const testPlan: PlanDocument = {
  id: 'api-test-plan',
  currency: 'USD',
  timezone: 'UTC',
  defaultRegion: 'GB',
  maxCallSeconds: 7200,
  channels: {
    voice: { kind: 'call' },
    whatsapp_call: { kind: 'call' },
    sip_resale: { kind: 'call' },
    sms: { kind: 'message', unit: 'segment' },
  },
  destinations: { GB: ['44'], US: ['1'] },
  versions: [
    {
      name: '2025',
      activeFrom: '2025-01-01T00:00:00Z',
      rates: [
        // 0.06 per minute, billed per second: 1,000 micro-units a second.
        { channel: 'voice', destination: 'GB', rate: '0.06', rateUnit: 60, increment: 1 },
        { channel: 'voice', destination: 'US', rate: '0.012', rateUnit: 60, increment: 6 },
        // The seeds' price: 0.02 per started minute.
        { channel: 'whatsapp_call', rate: '0.02', rateUnit: 60, increment: 60 },
        { channel: 'sip_resale', markup: '1.5' },
        { channel: 'sms', destination: 'GB', rate: '0.04' },
      ],
    },
  ],
};

export interface Answer<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
}

export interface RequestOptions {
  readonly token?: string | null;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export class ApiHarness {
  nowMs = Date.parse('2026-11-10T12:00:00Z');
  adminToken = '';
  readonly producer: Producer;
  readonly keys: ApiKeyStore;
  readonly billing: Billing;
  readonly app: FastifyInstance;
  readonly wallets: WalletStore;

  private constructor(
    readonly db: TestDatabase,
    readonly settings: Settings,
    readonly redis: Redis,
    readonly kafka: Kafka,
    readonly plan: CompiledPlan,
    keyCacheMs: number,
  ) {
    const log = createLogger('warn');
    const now = () => this.nowMs;
    this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    this.wallets = new WalletStore(redis, settings.redis.prefix, ledgerWalletSource(db.pool));
    this.keys = new ApiKeyStore(db.pool, redis, settings.redis.prefix);
    this.billing = createBilling({
      pool: db.pool,
      redis,
      prefix: settings.redis.prefix,
      producer: this.producer,
      topics: settings.topics,
      log,
      now,
    });
    this.app = buildServer({
      log,
      metricsRegistry: createMetrics(false).registry,
      readiness: {},
      api: {
        pool: db.pool,
        redis,
        wallets: this.wallets,
        plan,
        settings,
        producer: this.producer,
        billing: this.billing,
        now,
        keyCacheMs,
      },
    });
  }

  /**
   * keyCacheMs: how long the server trusts a checked key (default 0: asks Redis each time).
   * redisUrl: where the server and the harness reach Redis (a relay, to take it away).
   */
  static async start(
    options: { readonly keyCacheMs?: number; readonly redisUrl?: string } = {},
  ): Promise<ApiHarness> {
    const db = await createTestDatabase();
    const base = testSettings(db.url);
    const settings =
      options.redisUrl === undefined
        ? base
        : { ...base, redis: { ...base.redis, url: options.redisUrl } };
    const redis = createRedis(settings.redis.url);
    const kafka = createKafka(settings.kafka.brokers, 'api-test', createLogger('error'));
    await ensureTopics(kafka, settings.topics, 1);
    const h = new ApiHarness(
      db,
      settings,
      redis,
      kafka,
      compilePlan(testPlan),
      options.keyCacheMs ?? 0,
    );
    await h.producer.connect();
    await h.app.ready();
    h.adminToken = (await h.keys.create('admin', null, 'test admin')).token;
    return h;
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.producer.disconnect();
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(
        cursor,
        'MATCH',
        `${this.settings.redis.prefix}:*`,
        'COUNT',
        500,
      );
      cursor = next;
      if (found.length > 0) await this.redis.del(...found);
    } while (cursor !== '0');
    this.redis.disconnect();
    await this.db.drop();
  }

  async request<T = Record<string, unknown>>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    options: RequestOptions = {},
  ): Promise<Answer<T>> {
    const token = options.token === undefined ? this.adminToken : options.token;
    const res = await this.app.inject({
      method,
      url,
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { payload: options.body as Record<string, unknown> }),
    });
    return { status: res.statusCode, body: (res.body === '' ? null : res.json()) as T };
  }

  /** Creates a company through the API (set up: one recipient) and returns its id. */
  async company(settings: Record<string, unknown> = {}): Promise<string> {
    const id = randomId('co-');
    const res = await this.request('POST', '/v1/companies', {
      body: {
        id,
        name: `Company ${id}`,
        notificationRecipients: ['billing@example.com'],
        ...settings,
      },
    });
    if (res.status !== 201) throw new Error(`company not created: ${JSON.stringify(res.body)}`);
    return id;
  }

  async token(role: Role, companyId: string | null): Promise<string> {
    return (await this.keys.create(role, companyId, null)).token;
  }

  async topUp(companyId: string, micros: number): Promise<void> {
    const res = await this.request('POST', `/v1/companies/${companyId}/wallet/transactions`, {
      headers: { 'idempotency-key': randomId('topup-') },
      body: { type: 'balance_added', amountMicros: micros },
    });
    if (res.status !== 200) throw new Error(`top-up failed: ${JSON.stringify(res.body)}`);
  }

  /** Records usage as the pipeline does, then runs the cap check it will run after commit. */
  async charge(companyId: string, micros: number, atMs = this.nowMs): Promise<void> {
    const eventId = randomId('usage-');
    const moved = await this.wallets.applyCredit(companyId, eventId, -micros, false);
    if (moved.status === 'insufficient_funds') throw new Error('unreachable');
    await writeLedgerBatch(this.db.pool, {
      transfers: [
        {
          eventId,
          companyId,
          kind: 'usage',
          seq: moved.seq,
          amountMicros: -micros,
          balanceAfterMicros: moved.balanceAfterMicros,
          occurredAt: atMs,
          details: { channel: 'voice', description: 'voice call' },
        },
      ],
      holdsOpened: [],
      holdsClosed: [],
      refusals: [],
    });
    await this.billing.caps.afterCharges([companyId]);
  }

  async authorize(
    body: Record<string, unknown>,
    token: string | null = this.adminToken,
  ): Promise<Answer> {
    return this.request('POST', '/v1/authorize', { token, body });
  }

  /** Messages on `topic` (a Topics key) about `companyId`, once `enough` of them arrived. */
  async messages(
    topic: 'campaignsControl' | 'billingAlerts',
    companyId: string,
    enough: (seen: readonly Record<string, unknown>[]) => boolean,
    timeoutMs = 20_000,
  ): Promise<Record<string, unknown>[]> {
    const mine = (all: readonly Record<string, unknown>[]) =>
      all.filter((m) => m.company_id === companyId);
    return mine(
      await readTopic(
        this.kafka,
        this.settings.topics[topic],
        (all) => enough(mine(all)),
        timeoutMs,
      ),
    );
  }
}
