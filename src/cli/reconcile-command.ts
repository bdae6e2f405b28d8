// `tollgate reconcile`: compares every wallet's Redis state with the ledger, prints one JSON
// report, and exits 1 when any wallet drifted (so cron or CI can alert on it).
import { Redis } from 'ioredis';
import type { Settings } from '../config/settings.js';
import { createPool } from '../ledger/database.js';
import { chainFaults, ledgerWallets } from '../ledger/ledger-reader.js';
import { ledgerWalletSource } from '../ledger/wallet-source.js';
import { WalletStore } from '../wallet/wallet-store.js';
import { reconcileWallets } from '../wallet/reconcile.js';

export async function runReconcile(settings: Settings): Promise<number> {
  const pool = createPool(settings.postgres.url, 2);
  const redis = new Redis(settings.redis.url);
  try {
    const store = new WalletStore(redis, settings.redis.prefix, ledgerWalletSource(pool));
    const report = await reconcileWallets(store, await ledgerWallets(pool));
    const faults = await chainFaults(pool);
    process.stdout.write(`${JSON.stringify({ ...report, chainFaults: faults })}\n`);
    return report.drifted.length === 0 && faults.length === 0 ? 0 : 1;
  } finally {
    redis.disconnect();
    await pool.end();
  }
}
