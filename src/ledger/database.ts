// Postgres pool creation, and creating the configured database when it does not exist yet, so
// a newcomer's first `tollgate start` works against a bare server.
import pg from 'pg';

// bigint (int8) columns come back as JS bigint-safe strings by default; money is bigint.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => BigInt(v));

export function createPool(url: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, application_name: 'tollgate' });
  // An idle connection that the server drops (restart, failover) must not crash the process:
  // the pool discards it and the next query opens a new one.
  pool.on('error', () => undefined);
  // Nor may one dropped while checked out (mid-transaction), which pg reports as an 'error'
  // event on the client with no listener (the pool listens only while it is idle). Its queries
  // fail and their callers handle that; the pool discards the dead client on release.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  return pool;
}

/** Creates the database named in `url` if missing, connecting to the server's `postgres` db. */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) return;
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount === 0) {
      // Identifiers cannot be bound as parameters; quote it the way Postgres does.
      await client
        .query(`create database "${name.replace(/"/g, '""')}"`)
        .catch((err: { code?: string }) => {
          if (err.code !== '42P04') throw err; // created concurrently by another replica
        });
    }
  } finally {
    await client.end();
  }
}
