// Compares every wallet's Redis state with what the ledger records, to the micro-unit. A wallet
// that Redis does not hold is not drift (it is rebuilt on first use); one that differs is.
import type { WalletStore } from './wallet-store.js';

export interface LedgerSide {
  readonly companyId: string;
  readonly balanceMicros: number;
  readonly seq: number;
  readonly openHoldsMicros: number;
}

export interface WalletDrift {
  readonly companyId: string;
  readonly ledgerBalanceMicros: number;
  readonly redisBalanceMicros: number;
  readonly ledgerHeldMicros: number;
  readonly redisHeldMicros: number;
  readonly ledgerSeq: number;
  readonly redisSeq: number;
}

export interface ReconcileReport {
  readonly wallets: number;
  readonly notCached: number;
  readonly drifted: readonly WalletDrift[];
}

export async function reconcileWallets(
  store: WalletStore,
  ledger: readonly LedgerSide[],
): Promise<ReconcileReport> {
  const drifted: WalletDrift[] = [];
  let notCached = 0;
  for (const l of ledger) {
    const r = await store.peek(l.companyId);
    if (r === null) {
      notCached++;
      continue;
    }
    if (
      r.balanceMicros !== l.balanceMicros ||
      r.seq !== l.seq ||
      r.heldMicros !== l.openHoldsMicros
    ) {
      drifted.push({
        companyId: l.companyId,
        ledgerBalanceMicros: l.balanceMicros,
        redisBalanceMicros: r.balanceMicros,
        ledgerHeldMicros: l.openHoldsMicros,
        redisHeldMicros: r.heldMicros,
        ledgerSeq: l.seq,
        redisSeq: r.seq,
      });
    }
  }
  return { wallets: ledger.length, notCached, drifted };
}
