import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventTimeMs, parseIsoUtc } from '../../../src/rating/event-time.js';
import { errorWith } from './fixtures.js';

describe('event times', () => {
  it.each([
    ['2025-03-04T10:00:00Z', Date.UTC(2025, 2, 4, 10, 0, 0)],
    ['2025-03-04T10:00:00.5Z', Date.UTC(2025, 2, 4, 10, 0, 0, 500)],
    ['2025-03-04T10:00:00.123456789Z', Date.UTC(2025, 2, 4, 10, 0, 0, 123)],
    ['2025-03-04T12:00:00+02:00', Date.UTC(2025, 2, 4, 10, 0, 0)],
    ['2025-03-04T05:30:00-04:30', Date.UTC(2025, 2, 4, 10, 0, 0)],
    ['2024-02-29T23:59:59Z', Date.UTC(2024, 1, 29, 23, 59, 59)],
    ['1970-01-01T00:00:00Z', 0],
    ['1969-12-31T23:59:59Z', -1000],
  ])('reads %s', (text, ms) => {
    expect(eventTimeMs(text)).toBe(ms);
  });

  it('reads each date afresh after another one', () => {
    // Dates are remembered from one timestamp to the next: a change of date must be noticed,
    // and a date checked again when it is not the remembered one.
    expect(parseIsoUtc('2025-02-28T10:00:00Z')).toBe(Date.UTC(2025, 1, 28, 10));
    expect(parseIsoUtc('2025-02-29T10:00:00Z')).toBeUndefined();
    expect(parseIsoUtc('2025-02-28T23:00:00.5Z')).toBe(Date.UTC(2025, 1, 28, 23, 0, 0, 500));
    expect(parseIsoUtc('2024-02-29T10:00:00Z')).toBe(Date.UTC(2024, 1, 29, 10));
    expect(parseIsoUtc('2024-02-29T10:00:60Z')).toBeUndefined();
    expect(parseIsoUtc('2024-03-29T10:00:00Z')).toBe(Date.UTC(2024, 2, 29, 10));
    expect(parseIsoUtc('2O24-03-29T10:00:00Z')).toBeUndefined();
  });

  it('takes epoch milliseconds as they are', () => {
    expect(eventTimeMs(1741082400000)).toBe(Date.UTC(2025, 2, 4, 10, 0, 0));
  });

  it.each([
    '2025-03-04T10:00:00', // no zone: would silently be local time
    '2025-03-04 10:00:00Z',
    '2025-02-29T10:00:00Z',
    '2025-13-01T10:00:00Z',
    '2025-03-04T24:00:00Z',
    '2025-03-04T10:00:60Z',
    '2025-03-04T10:00:00.Z',
    '2025-03-04T10:00:00+0200',
    '2025-03-04',
    'yesterday',
    '',
  ])('refuses %j', (text) => {
    expect(() => eventTimeMs(text)).toThrow(errorWith({ code: 'invalid_usage' }));
  });

  it.each([Number.NaN, 1.5, 1e20, Infinity])('refuses the number %d', (n) => {
    expect(() => eventTimeMs(n)).toThrow(errorWith({ code: 'invalid_usage' }));
  });

  it('agrees with Date.parse on every instant it writes', () => {
    fc.assert(
      fc.property(
        // A day inside years 1..9999 on both sides, so the shifted local time stays 4-digit.
        fc.date({
          min: new Date('0001-01-02T00:00:00Z'),
          max: new Date('9999-12-30T23:59:59Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
        (date, offsetMinutes) => {
          const local = new Date(date.getTime() + offsetMinutes * 60_000).toISOString();
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          const text = local.slice(0, 23) + zone;
          expect(parseIsoUtc(text)).toBe(Date.parse(text));
          expect(parseIsoUtc(date.toISOString())).toBe(date.getTime());
        },
      ),
    );
  });
});
