// Applies the numbered, append-only SQL migrations in ./migrations, one transaction each,
// recorded in tollgate_migrations. An advisory lock lets several replicas start at once.
import { createHash } from 'node:crypto';
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
    await client.query('alter table tollgate_migrations add column if not exists checksum text');
    const done = new Map(
      (
        await client.query<{ id: number; checksum: string | null }>(
          'select id, checksum from tollgate_migrations',
        )
      ).rows.map((r) => [r.id, r.checksum]),
    );
    const applied: string[] = [];
    for (const m of await readMigrations()) {
      const sum = checksum(m.sql);
      if (done.has(m.id)) {
        // Migrations are append-only: one edited after it ran would leave this database
        // different from every other, so refuse to start rather than run on it.
        const recorded = done.get(m.id);
        if (recorded !== null && recorded !== undefined && recorded !== sum) {
          throw new Error(
            `migration ${m.name} changed after it was applied to this database; add a new migration instead`,
          );
        }
        // Applied before checksums were recorded (they never were, until this was fixed): what
        // it held then is unknown, so the file as it is now becomes the record.
        if (recorded === null || recorded === undefined)
          await client.query(
            'update tollgate_migrations set checksum = $2 where id = $1 and checksum is null',
            [m.id, sum],
          );
        continue;
      }
      await client.query('begin');
      try {
        await client.query(m.sql);
        await client.query(
          'insert into tollgate_migrations (id, name, checksum) values ($1, $2, $3)',
          [m.id, m.name, sum],
        );
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

function checksum(sql: string): string {
  return createHash('sha256').update(sql).digest('hex');
}
