// The rating engine's public face: compile a rate plan once, then price usage events in integer
// micro-units and answer a dialer's "how long can this call last". Pure: no I/O, no clocks.
export { compilePlan } from './compile-plan.js';
export { rate } from './rate.js';
export type { IntervalCharge, RateBreakdown, RateResult } from './rate.js';
export { firstIncrementCostMicros, maxAffordableSeconds } from './max-affordable.js';
export type { CompiledPlan } from './compiled-plan.js';
export { parseUsage, usageSchema } from './usage.js';
export type { CallQuery, Usage, UsageInput } from './usage.js';
export { DEFAULT_MAX_CALL_SECONDS, planJsonSchema, planSchema } from './plan-schema.js';
export type { PlanDocument } from './plan-schema.js';
export { parsePlanText } from './plan-text.js';
export { DEFAULT_PLAN_DOCUMENT } from './default-plan.js';
export { InvalidPlanError, RATING_ERROR_CODES, RatingError } from './errors.js';
export type { RatingErrorCode } from './errors.js';
export { countSegments } from './segments.js';
export type { SegmentCount, SmsEncoding } from './segments.js';
export { countryOfNumber, normalizeNumber } from './phone-number.js';
export { formatMicros, MICROS_PER_UNIT } from './money.js';
export type { RoundingMethod, RoundingRule } from './rounding.js';
