// The Postgres pool on a real server: a connection the server drops while it is checked out
// (mid-transaction) fails its queries but does not bring the process down, and the pool goes on
// with a fresh connection. And migrations: each one's checksum is recorded, and a migration
// edited after it ran stops start-up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../src/ledger/database.js';
import { migrate } from '../../src/ledger/migrate.js';
import { createTestDatabase, type TestDatabase } from '../helpers/services.js';

describe('createPool', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db.drop();
  });

  it('survives a connection dropped while checked out', async () => {
    const pool = createPool(db.url, 2);
    try {
      const client = await pool.connect();
      await client.query('begin');
      const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
      await db.pool.query('select pg_terminate_backend($1)', [rows[0]?.pid]);
      // The drop reaches the client as an 'error' event; unhandled, it would end the process
      // (and fail this run with an uncaught exception).
      await new Promise((r) => setTimeout(r, 200));
      await expect(client.query('select 1')).rejects.toThrow();
      client.release();
      const after = await pool.query<{ ok: number }>('select 1 as ok');
      expect(after.rows[0]?.ok).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it("records each migration's checksum and refuses a migration edited after it ran", async () => {
    expect(await migrate(db.pool)).toEqual([]); // the template database is migrated already
    const rows = await db.pool.query<{ id: number; checksum: string | null }>(
      'select id, checksum from tollgate_migrations order by id',
    );
    expect(rows.rows.length).toBeGreaterThanOrEqual(2);
    for (const r of rows.rows) expect(r.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(await migrate(db.pool)).toEqual([]);

    await db.pool.query(`update tollgate_migrations set checksum = repeat('0', 64) where id = 1`);
    await expect(migrate(db.pool)).rejects.toThrow(/000001.*changed after it was applied/);
  });
});
