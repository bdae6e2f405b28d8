import { describe, expect, it } from 'vitest';
import { countryOfNumber, normalizeNumber } from '../../../src/rating/phone-number.js';
import { RatingError } from '../../../src/rating/errors.js';
import { errorWith } from './fixtures.js';

describe('normalizeNumber', () => {
  it.each([
    ['+447700900123', undefined, '447700900123'],
    ['+44 7700 900123', undefined, '447700900123'],
    ['+44 (0)20 7946 0958', undefined, '442079460958'],
    ['07700 900123', 'GB', '447700900123'],
    ['00447700900123', 'GB', '447700900123'],
    ['(212) 555-0123', 'US', '12125550123'],
    ['011 44 20 7946 0958', 'US', '442079460958'],
    ['06 12 34 56 78', 'FR', '33612345678'],
  ])('%s (region %s) is %s', (input, region, digits) => {
    expect(normalizeNumber(input, region)).toBe(`+${digits}`);
  });

  it.each([
    ['+44 12', undefined],
    ['07700 900123', undefined], // national without a region
    ['hello', 'GB'],
    ['', 'GB'],
    ['+0123456789', undefined],
  ])('%j (region %s) is an invalid_number', (input, region) => {
    expect(() => normalizeNumber(input, region)).toThrow(errorWith({ code: 'invalid_number' }));
  });

  it('refuses a region libphonenumber does not know', () => {
    const attempt = (): string => normalizeNumber('07700 900123', 'XX');
    expect(attempt).toThrow(RatingError);
    expect(attempt).toThrow(errorWith({ code: 'invalid_usage' }));
  });
});

describe('countryOfNumber', () => {
  it.each([
    ['+12125550123', 'US'],
    ['18095550100', 'DO'], // +1 is shared: libphonenumber knows 809 is the Dominican Republic
    ['+5511987654321', 'BR'],
    ['+33612345678', 'FR'],
    ['+447700900123', 'GB'], // a drama-reserved range: the main country of +44
  ])('%s is in %s', (number, country) => {
    expect(countryOfNumber(number)).toBe(country);
  });

  it('does not guess for a number that cannot be parsed', () => {
    expect(countryOfNumber('+999')).toBeUndefined();
  });
});
