// Destination numbers to the E.164 digits prefixes are matched on. Numbers already written in
// E.164 ("+447700900123") take a fast syntactic path, because rating must keep up with a
// million events a second; anything else (national, spaced, "00…") is parsed by libphonenumber-js.
import { isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';
import type { CountryCode } from 'libphonenumber-js';
import { RatingError } from './errors.js';

/**
 * "+" then a country code (no leading 0) and 6–14 more digits: E.164 allows 15 digits in all.
 * A loop rather than a regular expression: this runs once per event.
 */
function isE164(text: string): boolean {
  const length = text.length;
  if (length < 8 || length > 16 || text.charCodeAt(0) !== 43 /* + */) return false;
  const first = text.charCodeAt(1);
  if (first < 49 || first > 57) return false;
  for (let i = 2; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

/**
 * `input` in E.164, e.g. "+447700900123" (the input itself when it already is). `defaultRegion`
 * (ISO 3166-1 alpha-2, e.g. "GB") lets a national number be read. Throws `invalid_number` when
 * the input is not a possible phone number.
 */
export function normalizeNumber(input: string, defaultRegion?: string): string {
  if (isE164(input)) return input;
  let region: CountryCode | undefined;
  if (defaultRegion !== undefined) {
    if (!isSupportedCountry(defaultRegion)) {
      throw new RatingError('invalid_usage', `unknown default region "${defaultRegion}"`, {
        defaultRegion,
      });
    }
    region = defaultRegion;
  }
  const parsed = parsePhoneNumberFromString(
    input,
    region === undefined ? {} : { defaultCountry: region },
  );
  if (parsed === undefined || !parsed.isPossible()) {
    throw new RatingError('invalid_number', `"${input}" is not a possible phone number`, {
      destination: input,
      ...(defaultRegion === undefined ? {} : { defaultRegion }),
    });
  }
  return parsed.number;
}

/** Whether libphonenumber-js can read national numbers of this region ("GB", "US", …). */
export function isKnownRegion(region: string): boolean {
  return isSupportedCountry(region);
}

/**
 * ISO 3166-1 alpha-2 country of an E.164 number (with or without "+"), as libphonenumber-js
 * knows it. A number outside every known range (test numbers, new ranges) gets the main country
 * of its calling code (GB for +44); undefined when even that is unknown. Far slower than rating:
 * for reports and the `rate` command, not the hot path.
 */
export function countryOfNumber(e164: string): string | undefined {
  const parsed = parsePhoneNumberFromString(e164.startsWith('+') ? e164 : `+${e164}`);
  if (parsed === undefined) return undefined;
  // libphonenumber lists a calling code's main country first (GB before GG, IM, JE).
  return parsed.country ?? parsed.getPossibleCountries()[0];
}
