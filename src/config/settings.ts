// All of tollgate's settings, read once at start-up from environment variables and validated by
// one zod schema. Raw env → parsed values → a fully-defaulted, frozen Settings object. Every
// problem names the variable and says what is wrong; the defaults point at the local stack.
import { z } from 'zod';
import { ConfigError } from '../errors/tollgate-error.js';

const urlWithScheme = (schemes: readonly string[]) =>
  z.string().refine(
    (v) => {
      try {
        return schemes.includes(new URL(v).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${schemes.map((s) => `${s}://`).join(' or ')}` },
  );

const intIn = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `must be between ${min} and ${max}` });

const brokerList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
  )
  .refine((list) => list.length > 0 && list.every((b) => /^[\w.-]+:\d+$/.test(b)), {
    message: 'must be a comma-separated list of host:port',
  });

const topicPrefix = z
  .string()
  .regex(/^[A-Za-z0-9._-]*$/, 'may contain only letters, digits, ".", "_" and "-"');

const keyPrefix = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/, 'must be non-empty and contain only letters, digits, "_" and "-"');

/** Environment variable → schema. The variable name is the key, so errors name it exactly. */
const envSchema = z.object({
  TOLLGATE_KAFKA_BROKERS: brokerList.default(['127.0.0.1:9092']),
  TOLLGATE_KAFKA_CLIENT_ID: z.string().min(1).default('tollgate'),
  TOLLGATE_KAFKA_GROUP_ID: z.string().min(1).default('tollgate-processor'),
  TOLLGATE_KAFKA_SESSION_TIMEOUT_MS: intIn(6_000, 300_000).default(30_000),
  TOLLGATE_TOPIC_PREFIX: topicPrefix.default(''),
  TOLLGATE_SCHEMA_REGISTRY_URL: urlWithScheme(['http', 'https']).default(
    'http://127.0.0.1:8081/apis/ccompat/v7',
  ),
  TOLLGATE_REDIS_URL: urlWithScheme(['redis', 'rediss']).default('redis://127.0.0.1:6379'),
  TOLLGATE_REDIS_PREFIX: keyPrefix.default('tg'),
  TOLLGATE_POSTGRES_URL: urlWithScheme(['postgres', 'postgresql']).default(
    'postgres://postgres@127.0.0.1:5432/tollgate',
  ),
  TOLLGATE_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  TOLLGATE_HTTP_PORT: intIn(0, 65535).default(8080),
  TOLLGATE_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info'),
  // Empty: the built-in plan (WhatsApp calls at 0.02 USD/min, rounded up to the minute).
  TOLLGATE_RATE_PLAN: z.string().default(''),
  TOLLGATE_BATCH_MAX_EVENTS: intIn(1, 100_000).default(2_000),
  TOLLGATE_HOLD_SECONDS: intIn(10, 86_400).default(300),
  TOLLGATE_MAX_PAYLOAD_BYTES: intIn(256, 10_485_760).default(65_536),
});

export interface Topics {
  readonly callsStarted: string;
  readonly callsEnded: string;
  readonly messagesSent: string;
  readonly walletCommands: string;
  readonly campaignsControl: string;
  readonly callsControl: string;
  readonly billingAlerts: string;
  readonly rechargeRequests: string;
  readonly dlq: string;
}

export interface Settings {
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly clientId: string;
    readonly groupId: string;
    readonly sessionTimeoutMs: number;
  };
  readonly topics: Topics;
  readonly schemaRegistryUrl: string;
  readonly redis: { readonly url: string; readonly prefix: string };
  readonly postgres: { readonly url: string };
  readonly http: { readonly host: string; readonly port: number };
  readonly logLevel: z.infer<typeof envSchema>['TOLLGATE_LOG_LEVEL'];
  readonly ratePlanPath: string;
  readonly batchMaxEvents: number;
  /** How long a call's hold lives without a call end before it is released, in seconds. */
  readonly holdSeconds: number;
  readonly maxPayloadBytes: number;
}

export function topicNames(prefix: string): Topics {
  const t = (name: string) => `${prefix}${name}`;
  return Object.freeze({
    callsStarted: t('calls.started'),
    callsEnded: t('calls.ended'),
    messagesSent: t('messages.sent'),
    walletCommands: t('wallet.commands'),
    campaignsControl: t('campaigns.control'),
    callsControl: t('calls.control'),
    billingAlerts: t('billing.alerts'),
    rechargeRequests: t('wallet.recharge-requests'),
    dlq: t('billing.dlq'),
  });
}

/** Settings that no longer exist, with what to do instead: set, they stop start-up. */
const removedVariables: Readonly<Record<string, string>> = {
  TOLLGATE_PARTITION_CONCURRENCY:
    'was removed: every partition of a fetch is now processed together, in one round; unset it',
};

/**
 * Reads and validates settings from `env`. Empty strings count as unset, so `FOO=` falls back
 * to the default rather than failing obscurely. Throws ConfigError naming every bad variable.
 */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') raw[key] = value.trim();
  }
  const removed = Object.entries(removedVariables)
    .filter(([variable]) => (env[variable] ?? '').trim() !== '')
    .map(([variable, why]) => `${variable}: ${why}`);
  if (removed.length > 0) throw new ConfigError(removed);
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? '(environment)');
        const shown =
          raw[variable] === undefined ? '' : ` (got "${redact(variable, raw[variable])}")`;
        return `${variable}: ${issue.message}${shown}`;
      }),
    );
  }
  const e = parsed.data;
  return Object.freeze({
    kafka: {
      brokers: e.TOLLGATE_KAFKA_BROKERS,
      clientId: e.TOLLGATE_KAFKA_CLIENT_ID,
      groupId: e.TOLLGATE_KAFKA_GROUP_ID,
      sessionTimeoutMs: e.TOLLGATE_KAFKA_SESSION_TIMEOUT_MS,
    },
    topics: topicNames(e.TOLLGATE_TOPIC_PREFIX),
    schemaRegistryUrl: e.TOLLGATE_SCHEMA_REGISTRY_URL,
    redis: { url: e.TOLLGATE_REDIS_URL, prefix: e.TOLLGATE_REDIS_PREFIX },
    postgres: { url: e.TOLLGATE_POSTGRES_URL },
    http: { host: e.TOLLGATE_HTTP_HOST, port: e.TOLLGATE_HTTP_PORT },
    logLevel: e.TOLLGATE_LOG_LEVEL,
    ratePlanPath: e.TOLLGATE_RATE_PLAN,
    batchMaxEvents: e.TOLLGATE_BATCH_MAX_EVENTS,
    holdSeconds: e.TOLLGATE_HOLD_SECONDS,
    maxPayloadBytes: e.TOLLGATE_MAX_PAYLOAD_BYTES,
  });
}

/** URLs may carry passwords; a config error must not print them. */
function redact(variable: string, value: string | undefined): string {
  if (value === undefined) return '';
  if (!variable.endsWith('_URL')) return value;
  // Everything between the scheme and the last "@" is credentials (a password may itself hold
  // "/" or "@"): keep the user name, hide the rest.
  const start = value.indexOf('//');
  const at = value.lastIndexOf('@');
  if (start < 0 || at < start) return value;
  const credentials = value.slice(start + 2, at);
  const colon = credentials.indexOf(':');
  const user = colon < 0 ? credentials : credentials.slice(0, colon);
  return `${value.slice(0, start + 2)}${user}:***${value.slice(at)}`;
}

/** The documented variables, for the README table and `tollgate config`. */
export const settingVariables: readonly string[] = Object.keys(envSchema.shape);
