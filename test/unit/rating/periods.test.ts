import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PlanClock,
  WEEKDAYS,
  compilePeriod,
  minuteOfDay,
  periodsOverlap,
} from '../../../src/rating/periods.js';

const at = (day: number, hhmm: string): number => day * 1440 + minuteOfDay(hhmm);
const MON = 0;
const FRI = 4;
const SAT = 5;
const SUN = 6;

describe('compilePeriod', () => {
  const weekdayDaytime = compilePeriod([
    { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:00' },
  ]);
  const nights = compilePeriod([{ days: ['fri', 'sat'], from: '22:00', to: '06:00' }]);

  it.each([
    [at(MON, '08:00'), 1],
    [at(MON, '07:59'), 0],
    [at(MON, '17:59'), 1],
    [at(MON, '18:00'), 0], // `to` is exclusive
    [at(FRI, '12:00'), 1],
    [at(SAT, '12:00'), 0],
  ])('weekday daytime at minute %d is %d', (minute, inside) => {
    expect(weekdayDaytime[minute]).toBe(inside);
  });

  it.each([
    [at(FRI, '21:59'), 0],
    [at(FRI, '22:00'), 1],
    [at(SAT, '05:59'), 1], // runs past midnight into the next day
    [at(SAT, '06:00'), 0],
    [at(SUN, '03:00'), 1], // Saturday's window, after midnight
    [at(MON, '03:00'), 0], // Sunday has no window of its own
  ])('Friday and Saturday nights at minute %d is %d', (minute, inside) => {
    expect(nights[minute]).toBe(inside);
  });

  it('wraps Sunday night into Monday morning', () => {
    const sundayNight = compilePeriod([{ days: ['sun'], from: '23:00', to: '01:00' }]);
    expect(sundayNight[at(MON, '00:30')]).toBe(1);
    expect(sundayNight[at(SUN, '23:30')]).toBe(1);
    expect(sundayNight[at(MON, '01:00')]).toBe(0);
  });

  it('takes 24:00 as the end of the day and refuses an empty window', () => {
    const allDay = compilePeriod([{ days: ['sun'], from: '00:00', to: '24:00' }]);
    expect(allDay.reduce((sum, v) => sum + v, 0)).toBe(1440);
    expect(() => compilePeriod([{ days: ['mon'], from: '09:00', to: '09:00' }])).toThrow(/empty/);
    expect(() => minuteOfDay('24:01')).toThrow(RangeError);
  });

  it('knows when two periods share a minute', () => {
    expect(periodsOverlap(weekdayDaytime, nights)).toBe(false);
    const lunch = compilePeriod([{ days: ['wed'], from: '12:00', to: '13:00' }]);
    expect(periodsOverlap(weekdayDaytime, lunch)).toBe(true);
    expect(periodsOverlap(null, lunch)).toBe(true); // "always" overlaps everything
  });
});

describe('PlanClock', () => {
  it.each([
    // UTC instant, zone, local weekday, local time
    ['2025-03-04T10:00:00Z', 'UTC', 'tue', '10:00'],
    ['2025-03-04T10:00:00Z', 'Europe/London', 'tue', '10:00'], // GMT in winter
    ['2025-03-30T00:59:00Z', 'Europe/London', 'sun', '00:59'], // last GMT minute
    ['2025-03-30T01:00:00Z', 'Europe/London', 'sun', '02:00'], // BST begins
    ['2025-10-26T00:59:00Z', 'Europe/London', 'sun', '01:59'], // last BST minute
    ['2025-10-26T01:00:00Z', 'Europe/London', 'sun', '01:00'], // back to GMT
    ['2025-01-06T04:30:00Z', 'America/New_York', 'sun', '23:30'], // a day behind UTC
    ['2025-07-07T03:30:00Z', 'America/New_York', 'sun', '23:30'], // EDT, UTC-4
    ['2025-01-05T18:45:00Z', 'Asia/Kathmandu', 'mon', '00:30'], // UTC+05:45
    ['2025-04-05T15:30:00Z', 'Australia/Lord_Howe', 'sun', '02:00'], // half-hour DST, ends 02:00
  ])('%s in %s is %s %s', (instant, zone, weekday, time) => {
    const clock = new PlanClock(zone);
    const minute = clock.weekMinute(Date.parse(instant));
    expect(WEEKDAYS[Math.floor(minute / 1440)]).toBe(weekday);
    expect(minute % 1440).toBe(minuteOfDay(time));
  });

  it('refuses a time zone the runtime does not know', () => {
    expect(() => new PlanClock('Mars/Olympus_Mons')).toThrow(RangeError);
  });

  it('agrees with Intl for any instant, cached or not', () => {
    const zones = ['Europe/London', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata'];
    const clocks = new Map(zones.map((z) => [z, new PlanClock(z)]));
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }),
        fc.constantFrom(...zones),
        (ms, zone) => {
          const parts = new Intl.DateTimeFormat('en-GB', {
            timeZone: zone,
            weekday: 'short',
            hour: '2-digit',
            minute: '2-digit',
            hourCycle: 'h23',
          }).formatToParts(ms);
          const part = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
          const weekday = WEEKDAYS.indexOf(
            part('weekday').toLowerCase() as (typeof WEEKDAYS)[number],
          );
          const expected = weekday * 1440 + Number(part('hour')) * 60 + Number(part('minute'));
          expect(clocks.get(zone)?.weekMinute(ms)).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
