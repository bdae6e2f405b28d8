// What the API's routes share: connections, the wallet store, the rate plan, billing, the key
// store, the call gate's connection and the clock. Built once by buildServer.
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Settings } from '../config/settings.js';
import type { CompiledPlan } from '../rating/index.js';
import type { WalletStore } from '../wallet/wallet-store.js';
import type { Billing, GateConnection } from '../billing/index.js';
import type { ApiKeyStore } from './api-keys.js';

export interface ApiContext {
  readonly pool: pg.Pool;
  readonly redis: Redis;
  readonly wallets: WalletStore;
  readonly plan: CompiledPlan;
  readonly settings: Settings;
  readonly billing: Billing;
  readonly keys: ApiKeyStore;
  /** The connection authorize reads the call gate over (its own, see GateReadConnection). */
  readonly gate: GateConnection;
  /** Epoch ms. */
  readonly now: () => number;
}

export type ZodApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;
