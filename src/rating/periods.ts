// Time-of-day and day-of-week periods (peak, evenings, weekends) in the plan's time zone.
// A period compiles to a bitmap over the 10,080 minutes of a week, so "does this event fall in
// it" is one array read once the event's local minute of the week is known.
import { MS_PER_DAY, MS_PER_MINUTE } from './event-time.js';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface PeriodWindow {
  readonly days: readonly Weekday[];
  /** "HH:MM", inclusive. */
  readonly from: string;
  /** "HH:MM" or "24:00", exclusive; earlier than `from` means the window runs past midnight. */
  readonly to: string;
}

const MINUTES_PER_DAY = 1440;
export const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;

/** A set of minutes of the week (Monday 00:00 = 0); 1 = inside the period. */
export type PeriodMask = Uint8Array;

/** "08:30" → 510; throws on anything but HH:MM within 00:00..24:00. */
export function minuteOfDay(text: string): number {
  const match = /^(\d{2}):(\d{2})$/.exec(text);
  const hours = Number(match?.[1] ?? NaN);
  const minutes = Number(match?.[2] ?? NaN);
  const total = hours * 60 + minutes;
  if (!(minutes < 60 && total <= MINUTES_PER_DAY)) throw new RangeError(`"${text}" is not HH:MM`);
  return total;
}

export function compilePeriod(windows: readonly PeriodWindow[]): PeriodMask {
  const mask = new Uint8Array(MINUTES_PER_WEEK);
  for (const window of windows) {
    const from = minuteOfDay(window.from);
    const to = minuteOfDay(window.to);
    if (from === to) throw new RangeError(`window ${window.from}-${window.to} is empty`);
    // A window that ends before it starts belongs to its start day and runs into the next.
    const length = to > from ? to - from : MINUTES_PER_DAY - from + to;
    for (const day of window.days) {
      const start = WEEKDAYS.indexOf(day) * MINUTES_PER_DAY + from;
      for (let m = 0; m < length; m++) mask[(start + m) % MINUTES_PER_WEEK] = 1;
    }
  }
  return mask;
}

/** True when two periods share at least one minute of the week. */
export function periodsOverlap(a: PeriodMask | null, b: PeriodMask | null): boolean {
  if (a === null || b === null) return true;
  for (let m = 0; m < MINUTES_PER_WEEK; m++) if (a[m] === 1 && b[m] === 1) return true;
  return false;
}

const OFFSET_BUCKET_MS = 15 * MS_PER_MINUTE;
const OFFSET_CACHE_LIMIT = 8192;

/**
 * Minute of the week of a UTC instant in one IANA time zone. Offsets are cached per quarter
 * hour (Intl formatting is slow); a quarter hour holding a DST change is computed per event.
 */
export class PlanClock {
  private readonly format: Intl.DateTimeFormat | null;
  private readonly offsets = new Map<number, number>();

  /** Throws a RangeError for a time zone the runtime does not know. */
  constructor(readonly timeZone: string) {
    const format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    this.format = format.resolvedOptions().timeZone === 'UTC' ? null : format;
  }

  weekMinute(utcMs: number): number {
    const local = utcMs + this.offsetMs(utcMs);
    const days = Math.floor(local / MS_PER_DAY);
    // 1970-01-01 was a Thursday: index 3 when Monday is 0.
    const weekday = (((days + 3) % 7) + 7) % 7;
    return weekday * MINUTES_PER_DAY + Math.floor((local - days * MS_PER_DAY) / MS_PER_MINUTE);
  }

  /** Local time minus UTC at `utcMs`, in milliseconds. */
  offsetMs(utcMs: number): number {
    if (this.format === null) return 0;
    const bucket = Math.floor(utcMs / OFFSET_BUCKET_MS);
    const cached = this.offsets.get(bucket);
    if (cached !== undefined) return cached;
    const start = bucket * OFFSET_BUCKET_MS;
    const atStart = this.computeOffset(this.format, start);
    const atEnd = this.computeOffset(this.format, start + OFFSET_BUCKET_MS - 1);
    if (atStart !== atEnd) return this.computeOffset(this.format, utcMs);
    if (this.offsets.size >= OFFSET_CACHE_LIMIT) this.offsets.clear();
    this.offsets.set(bucket, atStart);
    return atStart;
  }

  private computeOffset(format: Intl.DateTimeFormat, utcMs: number): number {
    const fields: Record<string, number> = {};
    for (const part of format.formatToParts(utcMs)) {
      if (part.type !== 'literal') fields[part.type] = Number(part.value);
    }
    const asUtc = Date.UTC(
      fields.year ?? 1970,
      (fields.month ?? 1) - 1,
      fields.day ?? 1,
      fields.hour ?? 0,
      fields.minute ?? 0,
      fields.second ?? 0,
    );
    return asUtc - (utcMs - (((utcMs % 1000) + 1000) % 1000));
  }
}
