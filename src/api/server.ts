// The processor's HTTP surface. Health, readiness, metrics and the API docs (/docs) are open;
// every /v1 route needs an API key (Authorization: Bearer, or X-Api-Key) of a role it allows.
// Requests and answers are validated by zod schemas, which also generate the OpenAPI document;
// every 4xx body is { "error": { "code", "message", "field"? } }.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type { Producer } from 'kafkajs';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import type { Settings } from '../config/settings.js';
import type { CompiledPlan } from '../rating/index.js';
import type { WalletStore } from '../wallet/wallet-store.js';
import { createBilling, type Billing } from '../billing/index.js';
import type { Logger } from '../telemetry/logger.js';
import { registerErrorHandling } from './api-error.js';
import { ApiKeyStore } from './api-keys.js';
import { Authenticator, requireApiKeys } from './authentication.js';
import { GateReadConnection } from './gate-read-connection.js';
import type { ApiContext } from './api-context.js';
import { registerAuthorizeRoute } from './routes/authorize-route.js';
import { registerCompanyRoutes } from './routes/company-routes.js';
import { registerWalletRoutes } from './routes/wallet-routes.js';
import { registerCampaignRoutes } from './routes/campaign-routes.js';
import { registerKeyRoutes } from './routes/key-routes.js';

/** A named dependency check for readiness: resolves when healthy, rejects with the reason. */
export type ReadinessCheck = () => Promise<void>;

/** What the /v1 API needs; without it the server has only health, readiness and metrics. */
export interface ApiDeps {
  readonly pool: pg.Pool;
  /** The wallets' Redis connection (authorize reads over a duplicate of it, see GateReadConnection). */
  readonly redis: Redis;
  readonly wallets: WalletStore;
  readonly plan: CompiledPlan;
  readonly settings: Settings;
  /** Publishes campaigns.control and billing.alerts (null: they wait in the outbox). */
  readonly producer: Producer | null;
  /** Shared with the pipeline's spending caps; built from the above when absent. */
  readonly billing?: Billing;
  /** The clock, epoch ms. */
  readonly now?: () => number;
  /** How long a checked API key is trusted before asking Redis again, ms. */
  readonly keyCacheMs?: number;
}

export interface ServerDeps {
  readonly log: Logger;
  readonly metricsRegistry: Registry;
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
  readonly api?: ApiDeps;
}

/** How often the API key mirror in Redis is topped up from Postgres. */
const keyMirrorHealMs = 60_000;

export function buildServer(deps: ServerDeps): FastifyInstance {
  const logger: FastifyBaseLogger = deps.log.child({ component: 'http' });
  const app: FastifyInstance = Fastify({
    loggerInstance: logger,
    // No line per request: authorize runs thousands of times a second.
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request either (it costs more than the authorize answer itself);
    // routes log with the component logger and ids as fields.
    childLoggerFactory: (parent) => parent,
    bodyLimit: 64 * 1024,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);

  app.get('/healthz', () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    const results = await Promise.all(
      Object.entries(deps.readiness).map(async ([name, check]) => {
        try {
          await withTimeout(check(), 2_000);
          return [name, { ok: true }] as const;
        } catch (err) {
          return [name, { ok: false, error: (err as Error).message }] as const;
        }
      }),
    );
    const checks: Record<string, { ok: boolean; error?: string }> = {};
    for (const [name, result] of results) checks[name] = result;
    const ready = results.every(([, r]) => r.ok);
    return reply.code(ready ? 200 : 503).send({ ready, checks });
  });

  app.get('/metrics', async (_req, reply) => {
    return reply.type(deps.metricsRegistry.contentType).send(await deps.metricsRegistry.metrics());
  });

  if (deps.api !== undefined) registerApi(app, deps.api, deps.log);
  return app;
}

function registerApi(app: FastifyInstance, api: ApiDeps, log: Logger): void {
  const now = api.now ?? Date.now;
  const keys = new ApiKeyStore(api.pool, api.redis, api.settings.redis.prefix);
  const gate = new GateReadConnection(api.redis, log);
  const ctx: ApiContext = {
    pool: api.pool,
    redis: api.redis,
    wallets: api.wallets,
    plan: api.plan,
    settings: api.settings,
    billing:
      api.billing ??
      createBilling({
        pool: api.pool,
        redis: api.redis,
        prefix: api.settings.redis.prefix,
        producer: api.producer,
        topics: api.settings.topics,
        log,
        now,
      }),
    keys,
    gate,
    now,
  };
  const auth = new Authenticator(keys, { cacheMs: api.keyCacheMs });

  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'tollgate API',
        description:
          'Call authorization for dialers, wallets, billing settings, spending caps, campaigns ' +
          'and API keys. Money is integer micro-units of the wallet currency (1 USD = 1,000,000).',
        version: '1',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  void app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  void app.register((scope, _opts, done) => {
    requireApiKeys(scope, auth);
    const zapp = scope.withTypeProvider<ZodTypeProvider>();
    registerAuthorizeRoute(zapp, ctx);
    registerCompanyRoutes(zapp, ctx);
    registerWalletRoutes(zapp, ctx);
    registerCampaignRoutes(zapp, ctx);
    registerKeyRoutes(zapp, ctx);
    done();
  });

  // A key created while Redis was unreachable reaches the mirror here.
  const heal = setInterval(() => {
    keys.reload().catch((err: unknown) => log.warn({ err }, 'API key mirror not refreshed'));
  }, keyMirrorHealMs);
  heal.unref();
  app.addHook('onClose', (_instance, done) => {
    clearInterval(heal);
    gate.close();
    done();
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
