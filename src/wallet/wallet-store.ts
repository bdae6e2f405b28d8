// The wallet's only door to Redis. Builds KEYS/ARGV for the Lua scripts (callers never see key
// names), turns their integer codes into typed outcomes, and rebuilds a wallet from its source
// of truth (the ledger, injected as WalletSource) when a script finds it not loaded. All amounts
// are integer micro-units of the wallet currency, carried as JS numbers (safe integers).
import type { Redis } from 'ioredis';
import { DependencyError, TollgateError } from '../errors/tollgate-error.js';
import { walletKeys, type WalletKeys } from './keys.js';
import { defineWalletCommands } from './scripts.js';

/** A wallet's state as the ledger knows it: what Redis is rebuilt from. */
export interface WalletSnapshot {
  readonly balanceMicros: number;
  readonly seq: number;
  readonly holds: ReadonlyArray<{ readonly callId: string; readonly amountMicros: number }>;
}

export interface WalletSource {
  snapshot(companyId: string): Promise<WalletSnapshot>;
}

type Reply = (string | number)[];
interface WalletCommands {
  applyCredit(
    wallet: string,
    marker: string,
    amount: string,
    floor: string,
    ttl: number,
  ): Promise<Reply>;
  reserveHold(...args: (string | number)[]): Promise<Reply>;
  settleCall(...args: (string | number)[]): Promise<Reply>;
  releaseHold(wallet: string, holds: string, callId: string): Promise<number>;
  extendHold(...args: (string | number)[]): Promise<Reply>;
  loadWallet(...args: string[]): Promise<number>;
  applyBatch(numberOfKeys: number, ...keysThenArgs: string[]): Promise<Reply[]>;
}

/** One event's operation waiting for its wallet's next batch (see `queue`). */
interface QueuedOperation {
  /** Its keys after the wallet and holds hashes, and its letter and arguments (applyBatch). */
  readonly keys: readonly string[];
  readonly args: readonly string[];
  /** The same operation as its own script, for a batch of one or a batch Redis refused. */
  readonly alone: () => Promise<Reply>;
  readonly resolve: (reply: Reply) => void;
  readonly reject: (err: unknown) => void;
}

const NOT_LOADED = -1;

export type MoneyMovement =
  | {
      readonly status: 'applied' | 'duplicate';
      readonly seq: number;
      readonly balanceAfterMicros: number;
      readonly heldAfterMicros: number;
    }
  | { readonly status: 'insufficient_funds' };

export type HoldOutcome =
  | {
      readonly status: 'held' | 'duplicate';
      readonly holdMicros: number;
      readonly availableMicros: number;
      readonly code: number;
    }
  | { readonly status: 'refused'; readonly availableMicros: number }
  | { readonly status: 'already_ended' | 'already_held'; readonly holdMicros: number };

export type Settlement =
  | {
      readonly status: 'applied' | 'duplicate';
      readonly seq: number;
      readonly balanceAfterMicros: number;
      readonly heldAfterMicros: number;
      readonly holdReleasedMicros: number;
    }
  | { readonly status: 'duplicate_call_end' };

export interface WalletView {
  readonly balanceMicros: number;
  readonly heldMicros: number;
  readonly seq: number;
}

export class WalletStore {
  private readonly redis: Redis & WalletCommands;
  /** Operations of this event-loop turn, by company: sent as one script run per wallet. */
  private queued = new Map<string, QueuedOperation[]>();
  private flushQueued = false;
  /** Key names per company, built once (every event needs them). Bounded: emptied when full. */
  private readonly keysOf = new Map<string, WalletKeys>();

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly source: WalletSource,
    /** How long an applied event's marker is kept for redelivery, in seconds. */
    private readonly markerTtlSeconds = 7 * 24 * 3600,
  ) {
    defineWalletCommands(redis);
    this.redis = redis as Redis & WalletCommands;
  }

  keys(companyId: string): WalletKeys {
    let keys = this.keysOf.get(companyId);
    if (keys === undefined) {
      if (this.keysOf.size >= 100_000) this.keysOf.clear();
      keys = walletKeys(this.prefix, companyId);
      this.keysOf.set(companyId, keys);
    }
    return keys;
  }

  /** Signed credit (positive) or debit (negative). `floor` refuses to go below zero available. */
  async applyCredit(
    companyId: string,
    eventId: string,
    amountMicros: number,
    floor: boolean,
  ): Promise<MoneyMovement> {
    const k = this.keys(companyId);
    const marker = k.event(eventId);
    const amount = int(amountMicros);
    const floorFlag = floor ? '1' : '0';
    const r = await this.withLoaded(companyId, () =>
      this.queue(companyId, [marker], ['c', amount, floorFlag], () =>
        this.redis.applyCredit(k.wallet, marker, amount, floorFlag, this.markerTtlSeconds),
      ),
    );
    const code = Number(r[0]);
    if (code === -2) return { status: 'insufficient_funds' };
    return {
      status: code === 1 ? 'applied' : 'duplicate',
      seq: Number(r[1]),
      balanceAfterMicros: Number(r[2]),
      heldAfterMicros: Number(r[3]),
    };
  }

  async reserveHold(
    companyId: string,
    eventId: string,
    callId: string,
    wantedMicros: number,
    minimumMicros: number,
  ): Promise<HoldOutcome> {
    const k = this.keys(companyId);
    const marker = k.event(eventId);
    const ended = callEndedKey(k, callId);
    const wanted = int(wantedMicros);
    const minimum = int(minimumMicros);
    const r = await this.withLoaded(companyId, () =>
      this.queue(companyId, [marker, ended], ['r', callId, wanted, minimum], () =>
        this.redis.reserveHold(
          k.wallet,
          k.holds,
          marker,
          ended,
          callId,
          wanted,
          minimum,
          this.markerTtlSeconds,
        ),
      ),
    );
    const code = Number(r[0]);
    const duplicate = code === 0;
    // A duplicate's stored outcome starts with the original code.
    const original = duplicate ? Number(r[1]) : code;
    const hold = Number(duplicate ? r[2] : r[1]);
    const available = Number(duplicate ? r[3] : r[2]);
    switch (original) {
      case 1:
        return {
          status: duplicate ? 'duplicate' : 'held',
          holdMicros: hold,
          availableMicros: available,
          code: original,
        };
      case 2:
        return { status: 'refused', availableMicros: available };
      case 3:
        return { status: hold > 0 ? 'already_held' : 'already_ended', holdMicros: hold };
      default:
        throw new TollgateError('wallet_script', `reserveHold returned ${String(r[0])}`);
    }
  }

  async settleCall(
    companyId: string,
    eventId: string,
    callId: string,
    costMicros: number,
  ): Promise<Settlement> {
    const k = this.keys(companyId);
    const marker = k.event(eventId);
    const ended = callEndedKey(k, callId);
    // Signed, so a free call sends "0": Redis refuses "-0" as an integer.
    const delta = int(-costMicros);
    const r = await this.withLoaded(companyId, () =>
      this.queue(companyId, [marker, ended], ['s', callId, delta], () =>
        this.redis.settleCall(
          k.wallet,
          k.holds,
          marker,
          ended,
          callId,
          delta,
          this.markerTtlSeconds,
        ),
      ),
    );
    const code = Number(r[0]);
    if (code === -4) return { status: 'duplicate_call_end' };
    return {
      status: code === 1 ? 'applied' : 'duplicate',
      seq: Number(r[1]),
      balanceAfterMicros: Number(r[2]),
      heldAfterMicros: Number(r[3]),
      holdReleasedMicros: Number(r[4]),
    };
  }

  /** Releases an expired hold; returns the micro-units released (0 if none was left). */
  async releaseHold(companyId: string, callId: string): Promise<number> {
    const k = this.keys(companyId);
    return Number(await this.redis.releaseHold(k.wallet, k.holds, callId));
  }

  /** Grows a running call's hold; 'insufficient' means the call should be cut off. */
  async extendHold(
    companyId: string,
    callId: string,
    extraMicros: number,
    minimumMicros: number,
  ): Promise<{ status: 'extended'; holdMicros: number } | { status: 'no_hold' | 'insufficient' }> {
    const k = this.keys(companyId);
    const r = await this.withLoaded(companyId, () =>
      this.redis.extendHold(k.wallet, k.holds, callId, int(extraMicros), int(minimumMicros)),
    );
    const code = Number(r[0]);
    if (code === 1) return { status: 'extended', holdMicros: Number(r[1]) };
    return { status: code === 0 ? 'no_hold' : 'insufficient' };
  }

  /** Current state, loading the wallet from the ledger first if Redis lost it. */
  async view(companyId: string): Promise<WalletView> {
    const k = this.keys(companyId);
    let fields = await this.redis.hmget(k.wallet, 'bal', 'held', 'seq');
    if (fields[2] === null) {
      await this.load(companyId);
      fields = await this.redis.hmget(k.wallet, 'bal', 'held', 'seq');
    }
    return {
      balanceMicros: Number(fields[0] ?? 0),
      heldMicros: Number(fields[1] ?? 0),
      seq: Number(fields[2] ?? 0),
    };
  }

  /** Reads without loading: null when Redis holds no state for the wallet. */
  async peek(companyId: string): Promise<WalletView | null> {
    const fields = await this.redis.hmget(this.keys(companyId).wallet, 'bal', 'held', 'seq');
    if (fields[2] === null) return null;
    return {
      balanceMicros: Number(fields[0]),
      heldMicros: Number(fields[1] ?? 0),
      seq: Number(fields[2]),
    };
  }

  /** Loads, from the ledger, those of `companyIds` whose wallets Redis does not hold. */
  async ensureLoaded(companyIds: readonly string[]): Promise<void> {
    const present = await Promise.all(
      companyIds.map((c) => this.redis.hexists(this.keys(c).wallet, 'seq')),
    );
    await Promise.all(companyIds.filter((_, i) => present[i] === 0).map((c) => this.load(c)));
  }

  /** Rebuilds Redis state from the ledger (no-op if another writer loaded it meanwhile). */
  async load(companyId: string): Promise<void> {
    const snap = await this.source.snapshot(companyId);
    const k = this.keys(companyId);
    const holdArgs = snap.holds.flatMap((h) => [h.callId, int(h.amountMicros)]);
    await this.redis.loadWallet(
      k.wallet,
      k.holds,
      int(snap.balanceMicros),
      int(snap.seq),
      ...holdArgs,
    );
  }

  /**
   * Drops a wallet's cached state so the next operation rebuilds it from the ledger. Used when
   * the ledger proves Redis wrong (an event Redis applied was already recorded).
   */
  async evict(companyId: string): Promise<void> {
    const k = this.keys(companyId);
    await this.redis.del(k.wallet, k.holds);
  }

  /**
   * Forgets that these events were applied (their markers, and the call-ended markers of
   * `callIds`), after a ledger transaction that would have recorded them rolled back and the
   * wallet was evicted: their redelivery must apply them to the rebuilt wallet afresh.
   */
  async forget(
    companyId: string,
    eventIds: readonly string[],
    callIds: readonly string[],
  ): Promise<void> {
    const k = this.keys(companyId);
    const keys = [...eventIds.map((e) => k.event(e)), ...callIds.map((c) => callEndedKey(k, c))];
    if (keys.length > 0) await this.redis.del(...keys);
  }

  /**
   * Runs an event's operation with the other operations on the same wallet issued in this
   * event-loop turn, as one applyBatch script run in the order they were issued (a command per
   * event costs Redis and ioredis more than most operations themselves). Each operation keeps
   * its own reply. If Redis refuses the batch, each operation runs as its own script instead, in
   * order: those the batch had applied return their stored outcome, so nothing applies twice.
   */
  private queue(
    companyId: string,
    keys: readonly string[],
    args: readonly string[],
    alone: () => Promise<Reply>,
  ): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      let ops = this.queued.get(companyId);
      if (ops === undefined) {
        ops = [];
        this.queued.set(companyId, ops);
      }
      ops.push({ keys, args, alone, resolve, reject });
      if (!this.flushQueued) {
        this.flushQueued = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const queued = this.queued;
    this.queued = new Map();
    this.flushQueued = false;
    for (const [companyId, ops] of queued) {
      const [only] = ops;
      if (ops.length === 1 && only !== undefined) {
        only.alone().then(only.resolve, only.reject);
        continue;
      }
      const k = this.keys(companyId);
      const keys = [k.wallet, k.holds];
      const args = [String(this.markerTtlSeconds)];
      for (const op of ops) {
        keys.push(...op.keys);
        args.push(...op.args);
      }
      this.redis.applyBatch(keys.length, ...keys, ...args).then(
        (replies) => {
          ops.forEach((op, n) => {
            const reply = replies[n];
            if (reply === undefined)
              op.reject(new TollgateError('wallet_script', 'batch reply short'));
            else op.resolve(reply);
          });
        },
        (err: unknown) => {
          if (!(err instanceof Error && err.name === 'ReplyError')) {
            for (const op of ops) op.reject(err);
            return;
          }
          void (async () => {
            for (const op of ops) await op.alone().then(op.resolve, op.reject);
          })();
        },
      );
    }
  }

  private async withLoaded(companyId: string, run: () => Promise<Reply>): Promise<Reply> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const reply = await run();
      if (Number(reply[0]) !== NOT_LOADED) return reply;
      await this.load(companyId);
    }
    throw new DependencyError(
      'wallet_not_loaded',
      `wallet ${companyId} could not be loaded into Redis`,
    );
  }
}

function callEndedKey(k: WalletKeys, callId: string): string {
  return k.event(`call-ended:${callId}`);
}

function int(n: number): string {
  if (!Number.isSafeInteger(n))
    throw new TollgateError('not_an_integer', `amount ${n} is not a safe integer`);
  return String(n);
}
