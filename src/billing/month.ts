// Calendar months in a company's time zone: the window month-to-date spend is counted in, and
// the linear projection of a month's spend. Pure: the caller passes "now" (epoch ms).
import { DateTime, IANAZone } from 'luxon';
import { InvalidInputError } from '../errors/tollgate-error.js';

const DAY_MS = 86_400_000;

/** One calendar month in a time zone, as the instants that bound it. */
export interface MonthWindow {
  /** "2026-11". */
  readonly key: string;
  /** First day, "2026-11-01": the `month` column of company_month_spend. */
  readonly firstDay: string;
  /** Epoch ms of local midnight on the first day (inclusive). */
  readonly startMs: number;
  /** Epoch ms of local midnight on the first day of the next month (exclusive). */
  readonly endMs: number;
}

// Region/City names only: Intl also accepts offsets ("+03:00") and abbreviations that Postgres
// reads differently or not at all, and a zone Postgres cannot read would break the ledger trigger.
const ZONE_NAME = /^(?:UTC|[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){1,2})$/;

/** Whether `zone` is an IANA time-zone name ("Europe/London", "America/Argentina/Salta", "UTC"). */
export function isValidTimeZone(zone: string): boolean {
  return ZONE_NAME.test(zone) && IANAZone.isValidZone(zone);
}

/** The month containing `nowMs` in `timeZone`. */
export function monthWindow(nowMs: number, timeZone: string): MonthWindow {
  const local = DateTime.fromMillis(nowMs, { zone: timeZone });
  if (!local.isValid) {
    throw new InvalidInputError('invalid_time_zone', `"${timeZone}" is not a usable time zone`, {
      context: { timeZone },
    });
  }
  const start = local.startOf('month');
  const next = start.plus({ months: 1 });
  return {
    key: start.toFormat('yyyy-MM'),
    firstDay: start.toFormat('yyyy-MM-dd'),
    startMs: start.toMillis(),
    endMs: next.toMillis(),
  };
}

/**
 * Spend at the end of the month if it goes on at the month-to-date pace, in integer micro-units:
 * spent × monthLength / elapsed, rounded half up. Time is measured in milliseconds of the real
 * month (a DST month is an hour shorter or longer), and elapsed counts as at least one day so the
 * first hours of a month do not project a few calls into a fortune.
 */
export function projectMonthSpend(spentMicros: bigint, month: MonthWindow, nowMs: number): bigint {
  if (spentMicros <= 0n) return spentMicros;
  const length = month.endMs - month.startMs;
  const elapsed = Math.min(length, Math.max(DAY_MS, nowMs - month.startMs));
  const total = BigInt(length);
  const part = BigInt(elapsed);
  return (spentMicros * total + part / 2n) / part;
}
