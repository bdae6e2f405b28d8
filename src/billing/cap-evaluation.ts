// What a company's monthly spending cap calls for, given its month-to-date spend: pause its
// campaigns, resume them, or warn. Pure integer arithmetic on micro-units; spending-caps.ts
// carries the answer out.

/** Why paused campaigns are resumed. */
export type ResumeReason = 'cap_raised' | 'cap_removed' | 'month_rollover';

export interface CapSituation {
  /** Monthly cap, integer micro-units; null when the company has none. */
  readonly capMicros: bigint | null;
  /** Usage charged so far this month (company's time zone), micro-units. */
  readonly spentMicros: bigint;
  /** Linear projection of the month's spend, micro-units. */
  readonly projectedMicros: bigint;
  /** Percentages of the cap to warn at, each below 100. */
  readonly warningPercents: readonly number[];
  /** Notice kinds already sent this month (warningKind(80), PROJECTED_OVER_CAP). */
  readonly sentThisMonth: ReadonlySet<string>;
  /** First day ("2026-11-01") of the month the cap is recorded as reached in; null if not. */
  readonly reachedMonth: string | null;
  /** First day of the current month in the company's time zone. */
  readonly currentMonth: string;
}

export interface CapActions {
  /** Resume the campaigns the cap paused (before anything else), and why. */
  readonly resume: ResumeReason | null;
  /** Record the cap as reached this month and pause the active campaigns. */
  readonly pause: boolean;
  /** Warning percentages crossed this month and not yet announced, lowest first (none once the
   *  cap itself is reached). */
  readonly warnings: readonly number[];
  /** The projection for the month exceeds the cap and was not yet announced. */
  readonly projectedOverCap: boolean;
}

export const PROJECTED_OVER_CAP = 'projected_over_cap';

export function warningKind(percent: number): string {
  return `cap_warning_${percent}`;
}

/** Whether `spent` has reached `cap`: at the cap nothing more may be spent. */
export function capReached(capMicros: bigint | null, spentMicros: bigint): boolean {
  return capMicros !== null && spentMicros >= capMicros;
}

/** What is left to spend this month under the cap, never below zero; null without a cap. */
export function capRemainingMicros(capMicros: bigint | null, spentMicros: bigint): bigint | null {
  if (capMicros === null) return null;
  return spentMicros >= capMicros ? 0n : capMicros - spentMicros;
}

export function evaluateCap(s: CapSituation): CapActions {
  const reachedNow = capReached(s.capMicros, s.spentMicros);
  let resume: ResumeReason | null = null;
  let recordedThisMonth = s.reachedMonth === s.currentMonth;
  if (s.reachedMonth !== null) {
    if (s.reachedMonth !== s.currentMonth) resume = 'month_rollover';
    else if (s.capMicros === null) resume = 'cap_removed';
    else if (!reachedNow) resume = 'cap_raised';
    if (resume !== null) recordedThisMonth = false;
  }
  const pause = reachedNow && !recordedThisMonth;

  const warnings: number[] = [];
  let projectedOverCap = false;
  // Warnings announce a cap being approached; once it is reached, the cap-reached alert says it.
  if (s.capMicros !== null && !reachedNow) {
    const cap = s.capMicros;
    for (const percent of [...new Set(s.warningPercents)].sort((a, b) => a - b)) {
      // spent / cap >= percent / 100, without division.
      if (
        s.spentMicros * 100n >= cap * BigInt(percent) &&
        !s.sentThisMonth.has(warningKind(percent))
      )
        warnings.push(percent);
    }
    projectedOverCap = s.projectedMicros > cap && !s.sentThisMonth.has(PROJECTED_OVER_CAP);
  }
  return { resume, pause, warnings, projectedOverCap };
}
