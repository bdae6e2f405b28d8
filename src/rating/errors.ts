// Typed errors of the rating engine. Each one names why an event cannot be priced, with a stable
// code the pipeline puts in dead-letter records and the `rate` command prints per line; rating
// never answers "zero" for something it does not know how to price.
import { InvalidInputError } from '../errors/tollgate-error.js';

export const RATING_ERROR_CODES = [
  /** The event's channel is not declared in the plan. */
  'unknown_channel',
  /** The destination cannot be read as a phone number. */
  'invalid_number',
  /** An addressed channel (call, SMS, …) was given no destination. */
  'missing_destination',
  /** No rate of the plan covers this destination (and channel, time) – the call is not allowed. */
  'unauthorized_destination',
  /** No plan version is in force at the event's time. */
  'no_active_plan',
  /** The event lacks a field its channel needs, or a field has an impossible value. */
  'invalid_usage',
  /** A cost-plus rate matched but the event carries no provider cost. */
  'missing_provider_cost',
  /** The question has no answer for this rate (e.g. affordable seconds of a cost-plus call). */
  'not_predictable',
  /** The amount does not fit in a safe integer of micro-units (about 9 billion units). */
  'amount_overflow',
] as const;

export type RatingErrorCode = (typeof RATING_ERROR_CODES)[number];

/** An event that cannot be rated as sent; never retriable, it goes to the dead-letter topic. */
export class RatingError extends InvalidInputError {
  declare readonly code: RatingErrorCode;

  constructor(code: RatingErrorCode, message: string, context: Record<string, unknown> = {}) {
    super(code, message, { context });
  }
}

/** A rate plan document that cannot be used; lists every problem with its path. */
export class InvalidPlanError extends InvalidInputError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('invalid_plan', `invalid rate plan:\n  ${problems.join('\n  ')}`, {
      context: { problems },
    });
    this.problems = problems;
  }
}
