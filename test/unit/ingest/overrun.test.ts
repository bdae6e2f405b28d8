// overrunMicros: the part of a charge that neither the call's own hold nor the free balance
// covered. The wallet scripts report the state after the charge; these tests describe cases by
// the state before it (balance, other holds, this hold, cost), which is how people reason.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { overrunMicros } from '../../../src/ingest/charge-event.js';

interface Before {
  /** Wallet balance before the charge, in micro-units; negative after an earlier overrun. */
  readonly balance: number;
  /** Holds of other calls, still in place after the charge. */
  readonly otherHolds: number;
  /** This call's hold, released by the charge; 0 for messages. */
  readonly hold: number;
  readonly cost: number;
}

/** Calls overrunMicros with what settleCall/applyCredit return for that state. */
function overrunFrom(b: Before): number {
  return overrunMicros(b.cost, b.hold, b.balance - b.cost, b.otherHolds);
}

const free = (b: Before) => b.balance - b.otherHolds - b.hold;

describe('overrunMicros', () => {
  it.each([
    // label, balance, otherHolds, hold, cost, overrun
    ['the hold covers the call', 1_000, 0, 150, 100, 0],
    ['hold and free balance cover it exactly', 100, 0, 40, 100, 0],
    ['one micro-unit short', 100, 0, 40, 101, 1],
    ['free balance alone covers a message', 500, 0, 0, 500, 0],
    ['a message on an empty wallet', 0, 0, 0, 50, 50],
    ['a message after an earlier overrun', -20, 0, 0, 50, 50],
    ['other calls hold most of the balance', 100, 80, 0, 50, 30],
    ['other holds exceed the balance, the hold still counts', 50, 80, 30, 40, 10],
    ['a hold larger than the cost, free balance negative', 50, 80, 50, 40, 0],
    ['nothing to charge', 0, 0, 0, 0, 0],
    ['nothing to charge, wallet already negative', -1_000, 500, 0, 0, 0],
    ['a hold on an overdrawn wallet', -100, 0, 200, 300, 100],
  ])('%s', (_label, balance, otherHolds, hold, cost, expected) => {
    expect(overrunFrom({ balance, otherHolds, hold, cost })).toBe(expected);
  });

  const amount = fc.integer({ min: 0, max: 1_000_000_000_000 });
  const before: fc.Arbitrary<Before> = fc.record({
    balance: fc.integer({ min: -1_000_000_000_000, max: 1_000_000_000_000 }),
    otherHolds: amount,
    hold: amount,
    cost: amount,
  });

  it('is never negative and never more than the cost', () => {
    fc.assert(
      fc.property(before, (b) => {
        const overrun = overrunFrom(b);
        expect(overrun).toBeGreaterThanOrEqual(0);
        expect(overrun).toBeLessThanOrEqual(b.cost);
      }),
    );
  });

  it('is zero when the hold and the free balance before cover the cost', () => {
    fc.assert(
      fc.property(before, (b) => {
        fc.pre(b.hold + free(b) >= b.cost);
        expect(overrunFrom(b)).toBe(0);
      }),
    );
  });

  it('is the cost less the hold and the free balance (when positive) otherwise', () => {
    fc.assert(
      fc.property(before, (b) => {
        const covered = b.hold + Math.max(0, free(b));
        fc.pre(covered < b.cost);
        expect(overrunFrom(b)).toBe(b.cost - b.hold - Math.max(0, free(b)));
      }),
    );
  });

  it('is zero whenever the hold alone covers the cost, however overdrawn the wallet', () => {
    fc.assert(
      fc.property(before, (b) => {
        fc.pre(b.hold >= b.cost);
        expect(overrunFrom(b)).toBe(0);
      }),
    );
  });

  it('never grows when the wallet holds more money', () => {
    fc.assert(
      fc.property(before, amount, (b, extra) => {
        expect(overrunFrom({ ...b, balance: b.balance + extra })).toBeLessThanOrEqual(
          overrunFrom(b),
        );
      }),
    );
  });
});
