// What an integration test needs to stand on its own: a fresh database cloned from the migrated
// template, a random Redis key prefix, random Kafka topic names, and settings pointing at them.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { loadSettings, topicNames, type Settings } from '../../src/config/settings.js';
import { createPool } from '../../src/ledger/database.js';

export function randomId(prefix: string): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

function serverUrl(database: string): string {
  const url = new URL(loadSettings().postgres.url);
  url.pathname = `/${database}`;
  return url.toString();
}

export interface TestDatabase {
  readonly url: string;
  readonly pool: pg.Pool;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = randomId('tollgate_test_');
  const admin = new pg.Client({ connectionString: serverUrl('postgres') });
  await admin.connect();
  await admin.query(`create database "${name}" template "${inject('templateDatabase')}"`);
  await admin.end();
  const url = serverUrl(name);
  const pool = createPool(url, 8);
  return {
    url,
    pool,
    async drop() {
      await pool.end();
      const a = new pg.Client({ connectionString: serverUrl('postgres') });
      await a.connect();
      await a.query(`drop database if exists "${name}" with (force)`);
      await a.end();
    },
  };
}

/** Settings for one test: its own topics (random prefix), Redis prefix and database. */
export function testSettings(databaseUrl: string, overrides: Partial<Settings> = {}): Settings {
  const base = loadSettings();
  const tag = randomId('t');
  return {
    ...base,
    kafka: { ...base.kafka, groupId: `${tag}-group` },
    topics: topicNames(`${tag}.`),
    redis: { ...base.redis, prefix: tag },
    postgres: { url: databaseUrl },
    logLevel: 'warn',
    ...overrides,
  };
}
