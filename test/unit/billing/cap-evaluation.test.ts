import { describe, expect, it } from 'vitest';
import {
  capRemainingMicros,
  evaluateCap,
  PROJECTED_OVER_CAP,
  warningKind,
  type CapSituation,
} from '../../../src/billing/cap-evaluation.js';

const base: CapSituation = {
  capMicros: 1_000_000n,
  spentMicros: 0n,
  projectedMicros: 0n,
  warningPercents: [80],
  sentThisMonth: new Set(),
  reachedMonth: null,
  currentMonth: '2026-11-01',
};
const none = { resume: null, pause: false, warnings: [], projectedOverCap: false };

describe('evaluateCap', () => {
  it('does nothing under every threshold, or without a cap', () => {
    expect(evaluateCap({ ...base, spentMicros: 799_999n, projectedMicros: 1_000_000n })).toEqual(
      none,
    );
    expect(
      evaluateCap({
        ...base,
        capMicros: null,
        spentMicros: 10n ** 12n,
        projectedMicros: 10n ** 13n,
      }),
    ).toEqual(none);
  });

  it('warns once per threshold crossed, lowest first', () => {
    const s = { ...base, warningPercents: [90, 50, 80, 80], spentMicros: 850_000n };
    expect(evaluateCap(s).warnings).toEqual([50, 80]);
    expect(evaluateCap({ ...s, sentThisMonth: new Set([warningKind(50)]) }).warnings).toEqual([80]);
    expect(
      evaluateCap({ ...s, sentThisMonth: new Set([warningKind(50), warningKind(80)]) }).warnings,
    ).toEqual([]);
    // Exactly at the threshold counts (integer comparison, no rounding).
    expect(evaluateCap({ ...base, spentMicros: 800_000n }).warnings).toEqual([80]);
    expect(
      evaluateCap({ ...base, capMicros: 3n, spentMicros: 2n, warningPercents: [67] }).warnings,
    ).toEqual([]);
    expect(
      evaluateCap({ ...base, capMicros: 3n, spentMicros: 2n, warningPercents: [66] }).warnings,
    ).toEqual([66]);
  });

  it('warns when the projection exceeds the cap, once a month', () => {
    expect(
      evaluateCap({ ...base, spentMicros: 100n, projectedMicros: 1_000_001n }).projectedOverCap,
    ).toBe(true);
    expect(
      evaluateCap({ ...base, spentMicros: 100n, projectedMicros: 1_000_000n }).projectedOverCap,
    ).toBe(false);
    expect(
      evaluateCap({
        ...base,
        projectedMicros: 2_000_000n,
        sentThisMonth: new Set([PROJECTED_OVER_CAP]),
      }).projectedOverCap,
    ).toBe(false);
  });

  it('pauses when spend reaches the cap, once, and lets the cap alert speak instead of warnings', () => {
    expect(evaluateCap({ ...base, spentMicros: 1_000_000n, projectedMicros: 3_000_000n })).toEqual({
      ...none,
      pause: true,
    });
    expect(evaluateCap({ ...base, spentMicros: 1_500_000n, reachedMonth: '2026-11-01' })).toEqual(
      none,
    );
    // A cap of zero allows nothing.
    expect(evaluateCap({ ...base, capMicros: 0n }).pause).toBe(true);
  });

  it('resumes when the cap is raised above the spend or removed', () => {
    const reached = { ...base, spentMicros: 1_000_000n, reachedMonth: '2026-11-01' };
    expect(evaluateCap({ ...reached, capMicros: 2_000_000n })).toMatchObject({
      resume: 'cap_raised',
      pause: false,
    });
    expect(evaluateCap({ ...reached, capMicros: 1_000_000n }).resume).toBe(null);
    expect(evaluateCap({ ...reached, capMicros: null })).toEqual({
      ...none,
      resume: 'cap_removed',
    });
    // Raised, but 80 % of the new cap is already spent: resume and warn.
    expect(evaluateCap({ ...reached, capMicros: 1_100_000n })).toMatchObject({
      resume: 'cap_raised',
      warnings: [80],
    });
  });

  it('resumes in a new month, and pauses again if the new month is already over the cap', () => {
    const lastMonth = { ...base, reachedMonth: '2026-10-01' };
    expect(evaluateCap(lastMonth)).toEqual({ ...none, resume: 'month_rollover' });
    expect(evaluateCap({ ...lastMonth, capMicros: 0n })).toMatchObject({
      resume: 'month_rollover',
      pause: true,
    });
  });
});

describe('capRemainingMicros', () => {
  it('is what is left, never negative, and null without a cap', () => {
    expect(capRemainingMicros(1_000n, 300n)).toBe(700n);
    expect(capRemainingMicros(1_000n, 5_000n)).toBe(0n);
    expect(capRemainingMicros(null, 5_000n)).toBe(null);
  });
});
