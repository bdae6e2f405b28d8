// Runs once before the integration tests: proves every service of the local stack answers (a
// missing service fails the run, it never skips it) and prepares a migrated template database
// that each test file clones (CREATE DATABASE ... TEMPLATE), so no test sees another's rows.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import type { TestProject } from 'vitest/node';
import { loadSettings } from '../../src/config/settings.js';
import { createPool } from '../../src/ledger/database.js';
import { migrate, readMigrations } from '../../src/ledger/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const settings = loadSettings();

  const redis = new Redis(settings.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect().catch((err: Error) => {
    throw new Error(
      `Redis at ${settings.redis.url} does not answer (${err.message}); run npm run stack:up`,
    );
  });
  redis.disconnect();

  const kafka = new Kafka({ brokers: [...settings.kafka.brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.describeCluster();
  await admin.disconnect();

  const subjects = await fetch(`${settings.schemaRegistryUrl}/subjects`).catch((err: Error) => {
    throw new Error(
      `schema registry at ${settings.schemaRegistryUrl} does not answer (${err.message})`,
    );
  });
  if (!subjects.ok) throw new Error(`schema registry answered ${subjects.status} to GET /subjects`);

  const migrations = await readMigrations();
  const digest = createHash('sha256')
    .update(migrations.map((m) => m.name + m.sql).join('\n'))
    .digest('hex')
    .slice(0, 12);
  const template = `tollgate_tpl_${digest}`;
  const serverUrl = new URL(settings.postgres.url);
  serverUrl.pathname = '/postgres';
  const admin2 = new pg.Client({ connectionString: serverUrl.toString() });
  await admin2.connect();
  try {
    const exists = await admin2.query('select 1 from pg_database where datname = $1', [template]);
    if (exists.rowCount === 0) {
      const building = `${template}_build_${process.pid}`;
      await admin2.query(`create database "${building}"`);
      const url = new URL(serverUrl);
      url.pathname = `/${building}`;
      const pool = createPool(url.toString(), 1);
      await migrate(pool);
      await pool.end();
      // Renamed only once complete, so a half-built template is never cloned.
      await admin2
        .query(`alter database "${building}" rename to "${template}"`)
        .catch(async (err: { code?: string }) => {
          if (err.code !== '42P04') throw err; // a concurrent run finished first
          await admin2.query(`drop database "${building}"`);
        });
    }
  } finally {
    await admin2.end();
  }
  project.provide('templateDatabase', template);
}
