// Redis key names of one company's wallet. Every key of a company carries the hash tag
// {c:<id>} so each Lua script touches a single Redis Cluster slot.
export interface WalletKeys {
  /** Hash: bal, held, seq (see lua/includes/walletKeys.lua). */
  readonly wallet: string;
  /** Hash: callId -> held micro-units. */
  readonly holds: string;
  /** Marker of one applied event, holding its outcome for redelivery. */
  event(eventId: string): string;
}

export function walletKeys(prefix: string, companyId: string): WalletKeys {
  const base = `${prefix}:{c:${companyId}}`;
  return {
    wallet: `${base}:w`,
    holds: `${base}:h`,
    event: (eventId) => `${base}:e:${eventId}`,
  };
}
