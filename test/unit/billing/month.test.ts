import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidTimeZone, monthWindow, projectMonthSpend } from '../../../src/billing/month.js';

const at = (iso: string) => Date.parse(iso);

describe('monthWindow', () => {
  it('takes the month in the company time zone, not UTC', () => {
    // 23:30 on 30 November in New York is already December in UTC.
    expect(monthWindow(at('2026-12-01T04:30:00Z'), 'America/New_York')).toEqual({
      key: '2026-11',
      firstDay: '2026-11-01',
      startMs: at('2026-11-01T04:00:00Z'), // EDT, before the clocks go back on 1 November
      endMs: at('2026-12-01T05:00:00Z'), // EST
    });
    expect(monthWindow(at('2026-12-01T05:00:00Z'), 'America/New_York').key).toBe('2026-12');
    // Tokyo is ahead: 16:00 UTC on 31 January is 1 February there.
    expect(monthWindow(at('2027-01-31T16:00:00Z'), 'Asia/Tokyo')).toMatchObject({
      key: '2027-02',
      startMs: at('2027-01-31T15:00:00Z'),
      endMs: at('2027-02-28T15:00:00Z'),
    });
    expect(monthWindow(at('2026-03-15T00:00:00Z'), 'Asia/Kathmandu').startMs).toBe(
      at('2026-02-28T18:15:00Z'),
    );
  });

  it('always contains the instant it was asked about, whatever the zone', () => {
    const zones = [
      'UTC',
      'America/New_York',
      'Australia/Lord_Howe',
      'Pacific/Chatham',
      'Europe/London',
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: at('2000-01-01T00:00:00Z'), max: at('2100-01-01T00:00:00Z') }),
        fc.constantFrom(...zones),
        (now, zone) => {
          const w = monthWindow(now, zone);
          expect(w.startMs).toBeLessThanOrEqual(now);
          expect(now).toBeLessThan(w.endMs);
          expect(monthWindow(w.endMs, zone).startMs).toBe(w.endMs);
          expect(w.firstDay).toBe(`${w.key}-01`);
        },
      ),
    );
  });

  it('refuses a zone it cannot use', () => {
    expect(() => monthWindow(0, 'Mars/Olympus')).toThrow(/not a usable time zone/);
  });
});

describe('isValidTimeZone', () => {
  it.each([
    ['UTC', true],
    ['Europe/London', true],
    ['America/Argentina/Salta', true],
    ['Etc/GMT+3', true],
    ['Mars/Olympus', false],
    ['+03:00', false],
    ['EST', false],
    ['', false],
    ['Europe/London; drop table', false],
  ])('%s → %s', (zone, ok) => {
    expect(isValidTimeZone(zone)).toBe(ok);
  });
});

describe('projectMonthSpend', () => {
  const november = monthWindow(at('2026-11-10T00:00:00Z'), 'UTC'); // 30 days

  it('projects the month-to-date pace linearly, rounding half up', () => {
    expect(projectMonthSpend(1_000_000n, november, at('2026-11-16T00:00:00Z'))).toBe(2_000_000n);
    expect(projectMonthSpend(1_000_000n, november, at('2026-11-11T00:00:00Z'))).toBe(3_000_000n);
    // 7 × 30 / 20 = 10.5 → 11 (half up); 1 × 30 / 20 = 1.5 → 2
    expect(projectMonthSpend(7n, november, at('2026-11-21T00:00:00Z'))).toBe(11n);
    expect(projectMonthSpend(1n, november, at('2026-11-21T00:00:00Z'))).toBe(2n);
  });

  it('counts at least one day elapsed, and the month end as the whole month', () => {
    // An hour into the month, 100 spent: as if over one day, not 720× an hour.
    expect(projectMonthSpend(100n, november, at('2026-11-01T01:00:00Z'))).toBe(3_000n);
    expect(projectMonthSpend(100n, november, at('2026-12-05T00:00:00Z'))).toBe(100n);
    expect(projectMonthSpend(0n, november, at('2026-11-02T00:00:00Z'))).toBe(0n);
  });

  it('never projects less than was spent, and stays exact with huge amounts', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 18n }),
        fc.integer({ min: november.startMs, max: november.endMs }),
        (spent, now) => {
          const projected = projectMonthSpend(spent, november, now);
          expect(projected >= spent).toBe(true);
          expect(projected <= spent * 30n).toBe(true);
        },
      ),
    );
  });
});
