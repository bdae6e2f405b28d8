// Applies the numbered, append-only SQL migrations in ./migrations, one transaction each,
// recorded in tollgate_migrations. An advisory lock lets several replicas start at once.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

const migrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url));
const lockKey = 7_270_001; // arbitrary, constant: "tollgate migrations"

export interface Migration {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

export async function readMigrations(): Promise<Migration[]> {
  const files = (await readdir(migrationsDir)).filter((f) => /^\d{6}[-_].*\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (name) => ({
      id: Number(name.slice(0, 6)),
      name,
      sql: await readFile(migrationsDir + name, 'utf8'),
    })),
  );
}

/** Applies pending migrations; returns the names applied (empty when up to date). */
export async function migrate(pool: pg.Pool): Promise<string[]> {
  const client = await pool.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [lockKey]);
    await client.query(`create table if not exists tollgate_migrations (
      id integer primary key, name text not null, applied_at timestamptz not null default now())`);
    const done = new Set(
      (await client.query<{ id: number }>('select id from tollgate_migrations')).rows.map(
        (r) => r.id,
      ),
    );
    const applied: string[] = [];
    for (const m of await readMigrations()) {
      if (done.has(m.id)) continue;
      await client.query('begin');
      try {
        await client.query(m.sql);
        await client.query('insert into tollgate_migrations (id, name) values ($1, $2)', [
          m.id,
          m.name,
        ]);
        await client.query('commit');
      } catch (err) {
        await client.query('rollback');
        throw new Error(`migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(m.name);
    }
    return applied;
  } finally {
    await client.query('select pg_advisory_unlock($1)', [lockKey]).catch(() => undefined);
    client.release();
  }
}
