// The ledger as the wallet's source of truth: what a lost Redis wallet is rebuilt from.
import type pg from 'pg';
import type { WalletSnapshot, WalletSource } from '../wallet/wallet-store.js';
import { walletSnapshot } from './ledger-reader.js';

export function ledgerWalletSource(pool: pg.Pool): WalletSource {
  return {
    snapshot: (companyId: string): Promise<WalletSnapshot> => walletSnapshot(pool, companyId),
  };
}
