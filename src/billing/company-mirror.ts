// The call gate's copy of each company in Redis, under the company's hash tag beside its wallet:
// settings that decide whether a call may start (set up, paused, mode, cap), month-to-date spend
// and cap state, and paused campaigns. Postgres is the record; `refresh` rewrites the copy from
// it after every change, and a missing copy (Redis restarted empty) is rebuilt on first read.
import type { ChainableCommander, Redis } from 'ioredis';
import type pg from 'pg';
import { findBillingSettings } from './company-records.js';
import { reachedMonths } from './cap-records.js';
import { pausedCampaigns } from './campaign-records.js';
import { spentInMonths } from './month-spend.js';
import { monthWindow } from './month.js';
import {
  decodeCallGate,
  readCallGate,
  type CallGateKeys,
  type CallGateRead,
  type GateConnection,
  type GateRead,
} from './call-gate-script.js';
import { walletKeys } from '../wallet/keys.js';

export interface CompanyMirrorKeys {
  /** Hash: setup, paused, mode, cap, spent, ms, me, hit (or `none` for an unknown company). */
  readonly profile: string;
  /** Hash: campaign id → pause reason, for paused campaigns only. */
  readonly campaignPauses: string;
}

export function companyMirrorKeys(prefix: string, companyId: string): CompanyMirrorKeys {
  const base = `${prefix}:{c:${companyId}}`;
  return { profile: `${base}:p`, campaignPauses: `${base}:cp` };
}

/** How long "no such company" is remembered, so unknown ids do not reach Postgres each time. */
const unknownTtlSeconds = 30;

/** How many companies' key names readForCall keeps, so the hot path builds no strings. */
const callKeysLimit = 10_000;

export class CompanyMirror {
  private readonly loading = new Map<string, Promise<void>>();
  private readonly gate: GateConnection;
  /** Company id → [profile, campaign pauses, wallet] key names; the oldest entry leaves first. */
  private readonly callKeys = new Map<string, CallGateKeys>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly pool: pg.Pool,
    private readonly now: () => number = Date.now,
  ) {
    this.gate = { readCallGate: (keys, campaign) => readCallGate(redis, keys, campaign) };
  }

  /**
   * The gate, the campaign's pause and the wallet in one Redis command – the dialer's hot path –
   * sent over `via` (by default the mirror's own connection; see readCallGate for another).
   * The company's copy is rebuilt from Postgres only when Redis has none; `wallet` is null when
   * the wallet is not loaded (the caller loads it through the wallet store).
   */
  readForCall(
    companyId: string,
    campaignId: string | undefined,
    via: GateConnection = this.gate,
  ): Promise<CallGateRead> {
    const keys = this.callKeysOf(companyId);
    const campaign = campaignId ?? '';
    return via
      .readCallGate(keys, campaign)
      .then(
        (reply) => decodeCallGate(reply) ?? this.rebuildAndRead(companyId, keys, campaign, via),
      );
  }

  private async rebuildAndRead(
    companyId: string,
    keys: CallGateKeys,
    campaign: string,
    via: GateConnection,
  ): Promise<CallGateRead> {
    await this.refreshOne(companyId);
    return decodeCallGate(await via.readCallGate(keys, campaign), true);
  }

  keys(companyId: string): CompanyMirrorKeys {
    return companyMirrorKeys(this.prefix, companyId);
  }

  private callKeysOf(companyId: string): CallGateKeys {
    const known = this.callKeys.get(companyId);
    if (known !== undefined) return known;
    const k = this.keys(companyId);
    const names = [k.profile, k.campaignPauses, walletKeys(this.prefix, companyId).wallet] as const;
    if (this.callKeys.size >= callKeysLimit) {
      const oldest = this.callKeys.keys().next();
      if (oldest.done !== true) this.callKeys.delete(oldest.value);
    }
    this.callKeys.set(companyId, names);
    return names;
  }

  /**
   * The company's gate and the campaign's pause (see readForCall).
   */
  async read(companyId: string, campaignId?: string): Promise<GateRead> {
    return (await this.readForCall(companyId, campaignId)).company;
  }

  /** Rewrites the copies of `companyIds` from Postgres (unknown ids are remembered as such). */
  async refresh(companyIds: readonly string[]): Promise<void> {
    const ids = [...new Set(companyIds)];
    if (ids.length === 0) return;
    const now = this.now();
    const settings = await findBillingSettings(this.pool, ids);
    const windows = new Map(settings.map((s) => [s.id, monthWindow(now, s.timeZone)]));
    const [spent, reached, paused] = await Promise.all([
      spentInMonths(
        this.pool,
        settings.map((s) => ({ companyId: s.id, month: windows.get(s.id)?.firstDay ?? '' })),
      ),
      reachedMonths(this.pool, ids),
      pausedCampaigns(this.pool, ids),
    ]);
    // One MULTI per company: each touches one hash tag, so this also holds on Redis Cluster.
    const writes: Promise<unknown>[] = [];
    const known = new Set<string>();
    for (const s of settings) {
      known.add(s.id);
      const w = windows.get(s.id);
      if (w === undefined) continue;
      const k = this.keys(s.id);
      const multi = this.redis.multi().del(k.profile, k.campaignPauses);
      multi.hset(k.profile, {
        setup: s.notificationRecipients.length > 0 ? '1' : '0',
        paused: s.paused ? '1' : '0',
        mode: s.billingMode,
        cap: s.spendingCapMicros === null ? '' : String(s.spendingCapMicros),
        spent: String(spent.get(s.id) ?? 0n),
        ms: String(w.startMs),
        me: String(w.endMs),
        hit: reached.get(s.id) === w.firstDay ? '1' : '0',
      });
      const pauses = paused.get(s.id);
      if (pauses !== undefined && pauses.size > 0)
        multi.hset(k.campaignPauses, Object.fromEntries(pauses));
      writes.push(execAll(multi));
    }
    for (const id of ids) {
      if (known.has(id)) continue;
      const k = this.keys(id);
      writes.push(
        execAll(
          this.redis
            .multi()
            .del(k.profile, k.campaignPauses)
            .hset(k.profile, 'none', '1')
            .expire(k.profile, unknownTtlSeconds),
        ),
      );
    }
    await Promise.all(writes);
  }

  /** Drops a company's copy, so the next read rebuilds it. */
  async forget(companyId: string): Promise<void> {
    const k = this.keys(companyId);
    await this.redis.del(k.profile, k.campaignPauses);
  }

  private refreshOne(companyId: string): Promise<void> {
    const pending = this.loading.get(companyId);
    if (pending !== undefined) return pending;
    const load = this.refresh([companyId]).finally(() => this.loading.delete(companyId));
    this.loading.set(companyId, load);
    return load;
  }
}

/** Runs a MULTI and surfaces the first failed command (exec reports them, it does not throw). */
async function execAll(multi: ChainableCommander): Promise<void> {
  const results = await multi.exec();
  if (results === null) throw new Error('redis transaction aborted');
  for (const [err] of results) if (err) throw err;
}
