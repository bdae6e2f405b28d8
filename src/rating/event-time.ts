// Event times to epoch milliseconds. An event's time is UTC: an ISO-8601 timestamp with an
// explicit zone ("Z" or "+02:00") or epoch milliseconds. The ISO form is parsed by hand because
// Date.parse alone costs more than the rest of rating an event, and it would silently read a
// zone-less timestamp as the machine's local time.
import { RatingError } from './errors.js';

const CHAR_ZERO = 48;
const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;
/** The range a JavaScript Date can hold: ±100,000,000 days around 1970. */
const MAX_TIME_MS = 8.64e15;

/** Epoch milliseconds of `time`; throws `invalid_usage` for anything else. */
export function eventTimeMs(time: string | number): number {
  if (typeof time === 'number') {
    if (Number.isSafeInteger(time) && Math.abs(time) <= MAX_TIME_MS) return time;
    throw invalidTime(time);
  }
  const ms = parseIsoUtc(time);
  if (ms === undefined) throw invalidTime(time);
  return ms;
}

function invalidTime(time: unknown): RatingError {
  return new RatingError(
    'invalid_usage',
    `startTime must be an ISO-8601 timestamp with a zone (…Z or …+hh:mm) or epoch milliseconds, got ${JSON.stringify(time)}`,
    { startTime: time },
  );
}

// The date of the last timestamp read, and its day number: a stream of events mostly shares
// one date, so its calendar arithmetic is done once.
let lastYear = -1;
let lastMonth = -1;
let lastDate = -1;
let lastDays = 0;

/** YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM) → epoch ms, or undefined when malformed. */
export function parseIsoUtc(text: string): number | undefined {
  if (text.length < 20) return undefined;
  const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  if (
    text.charCodeAt(4) !== 45 || // -
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 || // T
    text.charCodeAt(13) !== 58 || // :
    text.charCodeAt(16) !== 58 ||
    year < 0 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59
  ) {
    return undefined;
  }
  let i = 19;
  let millis = 0;
  if (text.charCodeAt(i) === 46) {
    // .fraction: keep milliseconds, drop finer digits (an event time is not priced below 1 ms).
    i++;
    const start = i;
    while (i < text.length && isDigit(text.charCodeAt(i))) {
      if (i - start < 3) millis = millis * 10 + (text.charCodeAt(i) - CHAR_ZERO);
      i++;
    }
    const count = i - start;
    if (count === 0) return undefined;
    for (let k = count; k < 3; k++) millis *= 10;
  }
  let offsetMinutes = 0;
  const zone = text.charCodeAt(i);
  if (zone === 90 && i + 1 === text.length) {
    // Z
  } else if (
    (zone === 43 || zone === 45) &&
    i + 6 === text.length &&
    text.charCodeAt(i + 3) === 58
  ) {
    const offsetHours = twoDigits(text, i + 1);
    const offsetMins = twoDigits(text, i + 4);
    if (offsetHours < 0 || offsetHours > 23 || offsetMins < 0 || offsetMins > 59) return undefined;
    offsetMinutes = (zone === 43 ? 1 : -1) * (offsetHours * 60 + offsetMins);
  } else {
    return undefined;
  }
  if (year !== lastYear || month !== lastMonth || day !== lastDate) {
    if (day > daysInMonth(year, month)) return undefined;
    lastDays = daysFromCivil(year, month, day);
    lastYear = year;
    lastMonth = month;
    lastDate = day;
  }
  const days = lastDays;
  return days * MS_PER_DAY + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + millis;
}

/**
 * The number written by the two ASCII digits at `start`, or -10,000 when they are not two
 * digits: low enough that a year read as two pairs is negative when either pair is not digits.
 */
function twoDigits(text: string, start: number): number {
  const tens = text.charCodeAt(start) - CHAR_ZERO;
  const ones = text.charCodeAt(start + 1) - CHAR_ZERO;
  return tens >= 0 && tens <= 9 && ones >= 0 && ones <= 9 ? tens * 10 + ones : -10_000;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (civil-from-days, inverted). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

export { MS_PER_DAY, MS_PER_MINUTE };
