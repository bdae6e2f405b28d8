// One error hierarchy for tollgate. Every error has a stable machine-readable `code` (used in
// DLQ records, HTTP 4xx bodies and metrics labels) and a `retriable` flag, so a caller knows
// whether to retry, dead-letter, or stop.

export interface TollgateErrorOptions {
  readonly retriable?: boolean;
  readonly cause?: unknown;
  /** Context fields (ids, names) safe to log; never secrets. */
  readonly context?: Readonly<Record<string, unknown>>;
}

export class TollgateError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, options: TollgateErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.context = options.context ?? {};
  }
}

/** Settings that cannot be used; names every offending variable. Never retriable. */
export class ConfigError extends TollgateError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('invalid_config', `invalid configuration:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

/** Input that can never be processed as sent: it is dead-lettered or answered with a 4xx. */
export class InvalidInputError extends TollgateError {
  constructor(
    code: string,
    message: string,
    options: Omit<TollgateErrorOptions, 'retriable'> = {},
  ) {
    super(code, message, { ...options, retriable: false });
  }
}

/** A dependency (Kafka, Redis, Postgres) failed; the same work may succeed later. */
export class DependencyError extends TollgateError {
  constructor(
    code: string,
    message: string,
    options: Omit<TollgateErrorOptions, 'retriable'> = {},
  ) {
    super(code, message, { ...options, retriable: true });
  }
}
