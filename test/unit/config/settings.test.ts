// loadSettings: the defaults that run against the local stack, the message each bad variable
// gets, and that a bad URL never prints its password.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/tollgate-error.js';
import { loadSettings, settingVariables, topicNames } from '../../../src/config/settings.js';

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadSettings(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`accepted: ${JSON.stringify(env)}`);
}

const defaults = {
  kafka: {
    brokers: ['127.0.0.1:9092'],
    clientId: 'tollgate',
    groupId: 'tollgate-processor',
    sessionTimeoutMs: 30_000,
  },
  topics: {
    callsStarted: 'calls.started',
    callsEnded: 'calls.ended',
    messagesSent: 'messages.sent',
    walletCommands: 'wallet.commands',
    campaignsControl: 'campaigns.control',
    callsControl: 'calls.control',
    billingAlerts: 'billing.alerts',
    rechargeRequests: 'wallet.recharge-requests',
    dlq: 'billing.dlq',
  },
  schemaRegistryUrl: 'http://127.0.0.1:8081/apis/ccompat/v7',
  redis: { url: 'redis://127.0.0.1:6379', prefix: 'tg' },
  postgres: { url: 'postgres://postgres@127.0.0.1:5432/tollgate' },
  http: { host: '127.0.0.1', port: 8080 },
  logLevel: 'info',
  ratePlanPath: '',
  batchMaxEvents: 2_000,
  holdSeconds: 300,
  maxPayloadBytes: 65_536,
};

/** Variables any non-empty value is good for: they can fall back to a default, never fail. */
const freeText = [
  'TOLLGATE_KAFKA_CLIENT_ID',
  'TOLLGATE_KAFKA_GROUP_ID',
  'TOLLGATE_HTTP_HOST',
  'TOLLGATE_RATE_PLAN',
];

// variable, bad value, what the message must say
const badValues: readonly (readonly [string, string, string])[] = [
  ['TOLLGATE_KAFKA_BROKERS', 'localhost', 'must be a comma-separated list of host:port'],
  ['TOLLGATE_KAFKA_BROKERS', ' , ', 'must be a comma-separated list of host:port'],
  ['TOLLGATE_KAFKA_BROKERS', 'kafka:9092,kafka2', 'must be a comma-separated list of host:port'],
  ['TOLLGATE_KAFKA_SESSION_TIMEOUT_MS', '5999', 'must be between 6000 and 300000'],
  ['TOLLGATE_KAFKA_SESSION_TIMEOUT_MS', '300001', 'must be between 6000 and 300000'],
  ['TOLLGATE_KAFKA_SESSION_TIMEOUT_MS', '30s', 'must be a whole number'],
  ['TOLLGATE_TOPIC_PREFIX', 'team/', 'may contain only letters, digits'],
  [
    'TOLLGATE_SCHEMA_REGISTRY_URL',
    'registry:8081',
    'must be a URL starting with http:// or https://',
  ],
  ['TOLLGATE_SCHEMA_REGISTRY_URL', 'not a url', 'must be a URL starting with http:// or https://'],
  [
    'TOLLGATE_REDIS_URL',
    'http://127.0.0.1:6379',
    'must be a URL starting with redis:// or rediss://',
  ],
  ['TOLLGATE_REDIS_PREFIX', 'tg:prod', 'must be non-empty and contain only letters'],
  [
    'TOLLGATE_POSTGRES_URL',
    'mysql://127.0.0.1/tollgate',
    'must be a URL starting with postgres:// or postgresql://',
  ],
  ['TOLLGATE_HTTP_PORT', '65536', 'must be between 0 and 65535'],
  ['TOLLGATE_HTTP_PORT', '-1', 'must be a whole number'],
  ['TOLLGATE_HTTP_PORT', '80.5', 'must be a whole number'],
  ['TOLLGATE_LOG_LEVEL', 'verbose', 'expected one of'],
  ['TOLLGATE_BATCH_MAX_EVENTS', '0', 'must be between 1 and 100000'],
  ['TOLLGATE_BATCH_MAX_EVENTS', '100001', 'must be between 1 and 100000'],
  ['TOLLGATE_HOLD_SECONDS', '9', 'must be between 10 and 86400'],
  ['TOLLGATE_HOLD_SECONDS', '86401', 'must be between 10 and 86400'],
  ['TOLLGATE_MAX_PAYLOAD_BYTES', '255', 'must be between 256 and 10485760'],
  ['TOLLGATE_MAX_PAYLOAD_BYTES', '10485761', 'must be between 256 and 10485760'],
];

describe('loadSettings', () => {
  it('defaults every setting to the local stack', () => {
    expect(loadSettings({})).toEqual(defaults);
  });

  it('returns a frozen object', () => {
    const settings = loadSettings({});
    expect(Object.isFrozen(settings)).toBe(true);
    expect(Object.isFrozen(settings.topics)).toBe(true);
  });

  it('names a setting that was removed, rather than ignoring it', () => {
    expect(() => loadSettings({ TOLLGATE_PARTITION_CONCURRENCY: '4' })).toThrow(
      /TOLLGATE_PARTITION_CONCURRENCY: was removed/,
    );
    expect(loadSettings({ TOLLGATE_PARTITION_CONCURRENCY: ' ' })).toEqual(defaults);
  });

  it('ignores variables it does not know', () => {
    expect(loadSettings({ TOLLGATE_UNKNOWN: 'x', PATH: '/usr/bin' })).toEqual(defaults);
  });

  it('reads every variable it is given', () => {
    const settings = loadSettings({
      TOLLGATE_KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9092,,',
      TOLLGATE_KAFKA_CLIENT_ID: 'tollgate-7',
      TOLLGATE_KAFKA_GROUP_ID: 'charging',
      TOLLGATE_KAFKA_SESSION_TIMEOUT_MS: '6000',
      TOLLGATE_TOPIC_PREFIX: 'staging.',
      TOLLGATE_SCHEMA_REGISTRY_URL: 'https://registry.internal',
      TOLLGATE_REDIS_URL: 'rediss://:secret@redis.internal:6380',
      TOLLGATE_REDIS_PREFIX: 'tg_staging',
      TOLLGATE_POSTGRES_URL: 'postgresql://app:secret@db.internal/tollgate',
      TOLLGATE_HTTP_HOST: '0.0.0.0',
      TOLLGATE_HTTP_PORT: '0',
      TOLLGATE_LOG_LEVEL: 'debug',
      TOLLGATE_RATE_PLAN: '/etc/tollgate/plan.yaml',
      TOLLGATE_BATCH_MAX_EVENTS: '100000',
      TOLLGATE_HOLD_SECONDS: '10',
      TOLLGATE_MAX_PAYLOAD_BYTES: '256',
    });
    expect(settings).toEqual({
      kafka: {
        brokers: ['kafka-1:9092', 'kafka-2:9092'],
        clientId: 'tollgate-7',
        groupId: 'charging',
        sessionTimeoutMs: 6_000,
      },
      topics: topicNames('staging.'),
      schemaRegistryUrl: 'https://registry.internal',
      redis: { url: 'rediss://:secret@redis.internal:6380', prefix: 'tg_staging' },
      postgres: { url: 'postgresql://app:secret@db.internal/tollgate' },
      http: { host: '0.0.0.0', port: 0 },
      logLevel: 'debug',
      ratePlanPath: '/etc/tollgate/plan.yaml',
      batchMaxEvents: 100_000,
      holdSeconds: 10,
      maxPayloadBytes: 256,
    });
    expect(settings.topics.dlq).toBe('staging.billing.dlq');
  });

  it('trims the values it reads', () => {
    const settings = loadSettings({ TOLLGATE_HTTP_PORT: ' 9090 ', TOLLGATE_LOG_LEVEL: '\twarn\n' });
    expect(settings.http.port).toBe(9090);
    expect(settings.logLevel).toBe('warn');
  });

  it.each(settingVariables.flatMap((variable) => ['', '   ', '\t\n'].map((v) => [variable, v])))(
    '%s=%j falls back to its default',
    (variable, value) => {
      expect(loadSettings({ [variable]: value })).toEqual(defaults);
    },
  );

  it.each(badValues)('%s=%j is refused, naming the variable', (variable, value, says) => {
    const err = configError({ [variable]: value });
    expect(err.code).toBe('invalid_config');
    expect(err.retriable).toBe(false);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(new RegExp(`^${variable}: `));
    expect(err.problems[0]).toContain(says);
    expect(err.problems[0]).toContain(`(got "${value.trim()}")`);
    expect(err.message).toContain(err.problems[0]);
  });

  it('every variable that can be wrong has a bad value above', () => {
    const tested = new Set(badValues.map(([variable]) => variable));
    expect([...settingVariables].sort()).toEqual([...tested, ...freeText].sort());
  });

  it('names every bad variable at once', () => {
    const err = configError({
      TOLLGATE_HTTP_PORT: 'http',
      TOLLGATE_LOG_LEVEL: 'loud',
      TOLLGATE_REDIS_URL: 'localhost',
    });
    expect(err.problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'TOLLGATE_HTTP_PORT',
      'TOLLGATE_LOG_LEVEL',
      'TOLLGATE_REDIS_URL',
    ]);
  });

  it.each([
    ['TOLLGATE_REDIS_URL', 'http://tollgate:s3cret-pw@redis.internal:6379', 'tollgate:***@'],
    ['TOLLGATE_POSTGRES_URL', 'mysql://app:s3cret-pw@db.internal/tollgate', 'app:***@'],
    ['TOLLGATE_SCHEMA_REGISTRY_URL', 'ftp://registry:s3cret-pw@registry.internal', 'registry:***@'],
    ['TOLLGATE_POSTGRES_URL', 'postgres://app:s3cret-pw@db.internal:port/tollgate', 'app:***@'],
  ])('%s does not print the password of %s', (variable, url, shown) => {
    const err = configError({ [variable]: url });
    expect(err.message).not.toContain('s3cret-pw');
    expect(err.problems[0]).toContain(shown);
    expect(err.problems[0]).toContain('internal');
  });

  it('a URL without a password is shown whole', () => {
    const err = configError({ TOLLGATE_REDIS_URL: 'http://redis.internal:6379' });
    expect(err.problems[0]).toContain('(got "http://redis.internal:6379")');
  });
});

// Regressions: each of these once leaked a password into the error message.
describe('credentials in malformed URLs', () => {
  it.each([
    [
      'a password without a user name',
      'TOLLGATE_REDIS_URL',
      'http://:s3cret-pw@redis.internal:6379',
    ],
    [
      'a password containing "/"',
      'TOLLGATE_REDIS_URL',
      'redis://app:s3cret-pw/x@redis.internal:6379',
    ],
    [
      'a password containing "@"',
      'TOLLGATE_POSTGRES_URL',
      'pg://app:pw@s3cret-pw@db.internal/tollgate',
    ],
  ])('hides %s', (_label, variable, url) => {
    expect(configError({ [variable]: url }).message).not.toContain('s3cret-pw');
  });
});
