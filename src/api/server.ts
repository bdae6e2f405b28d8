// The processor's HTTP surface. Health and metrics are open; every other route needs an API key
// (added by the routes that need it).
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from '../telemetry/logger.js';

/** A named dependency check for readiness: resolves when healthy, rejects with the reason. */
export type ReadinessCheck = () => Promise<void>;

export interface ServerDeps {
  readonly log: Logger;
  readonly metricsRegistry: Registry;
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
}

export function buildServer(deps: ServerDeps): FastifyInstance {
  const logger: FastifyBaseLogger = deps.log.child({ component: 'http' });
  const app: FastifyInstance = Fastify({
    loggerInstance: logger,
    disableRequestLogging: true,
  });

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

  return app;
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
