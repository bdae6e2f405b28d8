// applyBatch on real Redis: many events of one wallet in one script run must give each event
// the very reply its own script gives, and leave the wallet exactly as those scripts would, for
// every outcome (applied, duplicate, refused, insufficient, already ended, duplicate call end).
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { defineWalletCommands } from '../../src/wallet/scripts.js';
import { walletKeys, type WalletKeys } from '../../src/wallet/keys.js';
import { randomId } from '../helpers/services.js';

type Reply = (string | number)[];
type WalletRedis = Redis & {
  applyCredit(...args: (string | number)[]): Promise<Reply>;
  reserveHold(...args: (string | number)[]): Promise<Reply>;
  settleCall(...args: (string | number)[]): Promise<Reply>;
  loadWallet(...args: (string | number)[]): Promise<number>;
  applyBatch(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<Reply[]>;
};

/** One operation, as applyBatch takes it: its keys after the wallet's, its letter and args. */
type Op =
  | { op: 'c'; event: string; amount: string; floor: '0' | '1' }
  | { op: 'r'; event: string; call: string; wanted: string; minimum: string }
  | { op: 's'; event: string; call: string; delta: string };

const ttl = 600;

/** A day of one wallet: top-ups, calls (some overlapping), duplicates and refusals. */
const day: Op[] = [
  { op: 'c', event: 'top-1', amount: '1000000', floor: '0' },
  { op: 'r', event: 'start-1', call: 'c1', wanted: '600000', minimum: '10000' },
  { op: 'r', event: 'start-2', call: 'c2', wanted: '600000', minimum: '10000' },
  // Nothing left to hold: refused.
  { op: 'r', event: 'start-3', call: 'c3', wanted: '600000', minimum: '10000' },
  { op: 'r', event: 'start-1', call: 'c1', wanted: '600000', minimum: '10000' },
  { op: 's', event: 'end-1', call: 'c1', delta: '-250000' },
  { op: 's', event: 'end-1', call: 'c1', delta: '-250000' },
  // The same call ended again under another event id.
  { op: 's', event: 'end-1b', call: 'c1', delta: '-250000' },
  // A start that comes after its call's end gets no hold.
  { op: 's', event: 'end-4', call: 'c4', delta: '-30000' },
  { op: 'r', event: 'start-4', call: 'c4', wanted: '600000', minimum: '10000' },
  // A start for a call that already holds.
  { op: 'r', event: 'start-2b', call: 'c2', wanted: '1000', minimum: '10' },
  { op: 'c', event: 'debit-1', amount: '-900000', floor: '1' },
  { op: 'c', event: 'debit-2', amount: '-100000', floor: '1' },
  { op: 's', event: 'end-2', call: 'c2', delta: '0' },
  { op: 'c', event: 'sms-1', amount: '-40000', floor: '0' },
  { op: 'c', event: 'top-1', amount: '1000000', floor: '0' },
];

describe('applyBatch', () => {
  const redis = new Redis(
    process.env.TOLLGATE_REDIS_URL ?? 'redis://127.0.0.1:6379',
  ) as WalletRedis;
  defineWalletCommands(redis);
  const prefix = randomId('tgtest-batch');
  const used: string[] = [];

  const wallet = async (name: string): Promise<WalletKeys> => {
    const k = walletKeys(prefix, name);
    used.push(k.wallet, k.holds);
    expect(await redis.loadWallet(k.wallet, k.holds, '0', '0')).toBe(1);
    return k;
  };
  const keysOf = (k: WalletKeys, o: Op): string[] => {
    const keys = o.op === 'c' ? [k.event(o.event)] : [k.event(o.event), k.event(`ended:${o.call}`)];
    used.push(...keys);
    return keys;
  };
  const state = async (k: WalletKeys) => ({
    wallet: await redis.hgetall(k.wallet),
    holds: await redis.hgetall(k.holds),
  });

  afterAll(async () => {
    if (used.length > 0) await redis.del(...used);
    redis.disconnect();
  });

  it('gives every operation the reply of its own script and leaves the same wallet', async () => {
    const alone = await wallet('alone');
    const single: Reply[] = [];
    for (const o of day) {
      const [marker, ended] = keysOf(alone, o) as [string, string];
      if (o.op === 'c')
        single.push(await redis.applyCredit(alone.wallet, marker, o.amount, o.floor, ttl));
      else if (o.op === 'r')
        single.push(
          await redis.reserveHold(
            alone.wallet,
            alone.holds,
            marker,
            ended,
            o.call,
            o.wanted,
            o.minimum,
            ttl,
          ),
        );
      else
        single.push(
          await redis.settleCall(alone.wallet, alone.holds, marker, ended, o.call, o.delta, ttl),
        );
    }

    const together = await wallet('together');
    const keys = [together.wallet, together.holds];
    const args: string[] = [String(ttl)];
    for (const o of day) {
      keys.push(...keysOf(together, o));
      if (o.op === 'c') args.push('c', o.amount, o.floor);
      else if (o.op === 'r') args.push('r', o.call, o.wanted, o.minimum);
      else args.push('s', o.call, o.delta);
    }
    const batched = await redis.applyBatch(keys.length, ...keys, ...args);

    expect(batched).toEqual(single);
    // Every kind of outcome occurred: applied 1, duplicate 0, refused 2, already 3,
    // insufficient -2, duplicate call end -4.
    expect(new Set(single.map((r) => r[0]))).toEqual(new Set([1, 0, 2, 3, -2, -4]));
    expect(await state(together)).toEqual(await state(alone));
  });

  it('answers not loaded for every operation of a wallet Redis does not hold', async () => {
    const k = walletKeys(prefix, 'missing');
    const ops: Op[] = [
      { op: 'c', event: 'm-1', amount: '5', floor: '0' },
      { op: 's', event: 'm-2', call: 'x', delta: '-5' },
    ];
    const keys = [k.wallet, k.holds, ...ops.flatMap((o) => keysOf(k, o))];
    const replies = await redis.applyBatch(
      keys.length,
      ...keys,
      String(ttl),
      'c',
      '5',
      '0',
      's',
      'x',
      '-5',
    );
    expect(replies).toEqual([[-1], [-1]]);
    expect(await redis.exists(k.wallet)).toBe(0);
  });
});
