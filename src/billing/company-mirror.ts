// The call gate's copy of each company in Redis, under the company's hash tag beside its wallet:
// settings that decide whether a call may start (set up, paused, mode, cap), month-to-date spend
// and cap state, and paused campaigns. Postgres is the record; `refresh` rewrites the copy from
// it after every change, and a missing copy (Redis restarted empty) is rebuilt on first read.
import { readFileSync } from 'node:fs';
import type { ChainableCommander, Redis } from 'ioredis';
import type pg from 'pg';
import { findBillingSettings } from './company-records.js';
import { reachedMonths } from './cap-records.js';
import { pausedCampaigns } from './campaign-records.js';
import { spentInMonths } from './month-spend.js';
import { monthWindow } from './month.js';
import type { CampaignPause, CompanyGate } from './call-authorization.js';
import type { BillingMode } from './company-status.js';
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

/** A wallet as the gate reads it; null when Redis holds no state for it (not loaded). */
export interface GateWallet {
  readonly balanceMicros: number;
  readonly heldMicros: number;
}

export type GateRead =
  | { readonly state: 'known'; readonly gate: CompanyGate; readonly campaignPause?: CampaignPause }
  | { readonly state: 'unknown' };

/** How long "no such company" is remembered, so unknown ids do not reach Postgres each time. */
const unknownTtlSeconds = 30;
const readCallGateLua = readFileSync(new URL('./lua/readCallGate-3.lua', import.meta.url), 'utf8');
type Field = string | null | undefined;

/** A Redis connection that knows the readCallGate script (see gateConnection). */
export interface GateConnection {
  readCallGate(profile: string, pauses: string, wallet: string, campaign: string): Promise<Field[]>;
}

const taught = new WeakSet<Redis>();

/** `redis`, taught the readCallGate script (KEYS profile, pauses, wallet; ARGV campaign id). */
export function gateConnection(redis: Redis): Redis & GateConnection {
  if (!taught.has(redis)) {
    redis.defineCommand('readCallGate', { numberOfKeys: 3, lua: readCallGateLua });
    taught.add(redis);
  }
  return redis as Redis & GateConnection;
}

/** How many companies' key names readForCall keeps, so the hot path builds no strings. */
const callKeysLimit = 10_000;

export class CompanyMirror {
  private readonly loading = new Map<string, Promise<void>>();
  private readonly gate: GateConnection;
  /** Company id → [profile, campaign pauses, wallet] key names; the oldest entry leaves first. */
  private readonly callKeys = new Map<string, readonly [string, string, string]>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly pool: pg.Pool,
    private readonly now: () => number = Date.now,
  ) {
    this.gate = gateConnection(redis);
  }

  /**
   * The gate, the campaign's pause and the wallet in one Redis command – the dialer's hot path –
   * sent over `via` (by default the mirror's own connection; see gateConnection for another).
   * The company's copy is rebuilt from Postgres only when Redis has none; `wallet` is null when
   * the wallet is not loaded (the caller loads it through the wallet store).
   */
  async readForCall(
    companyId: string,
    campaignId: string | undefined,
    via: GateConnection = this.gate,
  ): Promise<{ readonly company: GateRead; readonly wallet: GateWallet | null }> {
    const [profile, pauses, w] = this.callKeysOf(companyId);
    let reply = await via.readCallGate(profile, pauses, w, campaignId ?? '');
    let company = gateOf(reply);
    if (company === null) {
      await this.refreshOne(companyId);
      reply = await via.readCallGate(profile, pauses, w, campaignId ?? '');
      company = gateOf(reply) ?? { state: 'unknown' };
    }
    const [bal, held, seq] = [reply[10], reply[11], reply[12]];
    const wallet =
      seq === null || seq === undefined
        ? null
        : { balanceMicros: Number(bal ?? 0), heldMicros: Number(held ?? 0) };
    return { company, wallet };
  }

  keys(companyId: string): CompanyMirrorKeys {
    return companyMirrorKeys(this.prefix, companyId);
  }

  private callKeysOf(companyId: string): readonly [string, string, string] {
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

/** Reads a gate from readCallGate's reply: the profile fields, then the campaign's pause. */
function gateOf(values: readonly Field[]): GateRead | null {
  const [none, setup, paused, mode, cap, spent, ms, me, hit, pause] = values;
  if (none === '1') return { state: 'unknown' };
  if (setup === null || setup === undefined || mode === null || mode === undefined) return null;
  const gate: CompanyGate = {
    setUp: setup === '1',
    paused: paused === '1',
    billingMode: mode as BillingMode,
    capMicros: cap === null || cap === undefined || cap === '' ? null : Number(cap),
    spentMicros: Number(spent ?? 0),
    monthStartMs: Number(ms ?? 0),
    monthEndMs: Number(me ?? 0),
    capReached: hit === '1',
  };
  return pause === 'manual' || pause === 'spending_cap'
    ? { state: 'known', gate, campaignPause: pause }
    : { state: 'known', gate };
}

/** Runs a MULTI and surfaces the first failed command (exec reports them, it does not throw). */
async function execAll(multi: ChainableCommander): Promise<void> {
  const results = await multi.exec();
  if (results === null) throw new Error('redis transaction aborted');
  for (const [err] of results) if (err) throw err;
}
