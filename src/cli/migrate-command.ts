// `tollgate migrate`: creates the configured database when missing and applies migrations.
import type { Settings } from '../config/settings.js';
import { createPool, ensureDatabase } from '../ledger/database.js';
import { migrate } from '../ledger/migrate.js';

export async function runMigrate(settings: Settings): Promise<number> {
  await ensureDatabase(settings.postgres.url);
  const pool = createPool(settings.postgres.url, 2);
  try {
    const applied = await migrate(pool);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'up to date\n');
    return 0;
  } finally {
    await pool.end();
  }
}
