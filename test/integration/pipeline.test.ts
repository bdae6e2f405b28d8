// The metering pipeline end to end on the real stack: Kafka in (JSON and registry-framed Avro),
// Lua wallets on Redis, the Postgres ledger, and Kafka out (dead letters, cut-offs).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcessor, type ProcessorApp } from '../../src/cli/processor-app.js';
import { upsertCompany } from '../../src/ledger/companies.js';
import { chainFaults, unbalancedTransfers } from '../../src/ledger/ledger-reader.js';
import { EventCodec } from '../../src/ingest/codec.js';
import { createKafka, ensureTopics } from '../../src/ingest/kafka.js';
import { createLogger } from '../../src/telemetry/logger.js';
import {
  createTestDatabase,
  randomId,
  testSettings,
  type TestDatabase,
} from '../helpers/services.js';
import { EventProducer, eventually, readTopic, waitForCaughtUp } from '../helpers/pipeline.js';

const plan = 'schemas/examples/example-plan.yaml';
const t0 = Date.parse('2026-11-20T10:00:00Z');

describe('metering pipeline', () => {
  let db: TestDatabase;
  let app: ProcessorApp;
  let producer: EventProducer;
  let prefix: string;

  const inputTopics = () => Object.values(app.settings.topics).slice(0, 4) as string[];
  const caughtUp = () => waitForCaughtUp(app.kafka, app.settings.kafka.groupId, inputTopics());
  const ledgerBalance = async (company: string) => {
    const r = await db.pool.query<{ b: bigint | null }>(
      'select balance_after_micros as b from ledger_transfers where company_id = $1 order by wallet_seq desc limit 1',
      [company],
    );
    return Number(r.rows[0]?.b ?? 0n);
  };
  const company = async (name: string) => {
    const id = randomId(`${name}-`);
    await upsertCompany(db.pool, { id, name });
    return id;
  };
  const topUp = (companyId: string, micros: number, id = randomId('topup-')) => ({
    event_id: id,
    company_id: companyId,
    occurred_at: t0,
    type: 'balance_added',
    amount_micros: micros,
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    const settings = testSettings(db.url, { ratePlanPath: plan, batchMaxEvents: 500 });
    prefix = settings.topics.callsStarted.replace('calls.started', '');
    app = await startProcessor(settings, { http: false, sweepIntervalMs: 60_000 });
    producer = new EventProducer(app.kafka, new EventCodec(settings.schemaRegistryUrl), prefix);
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await app?.stop();
    await db?.drop();
  });

  it('rates calls and messages, debits the wallet once, and records double entries', async () => {
    const acme = await company('acme');
    await producer.send('wallet.commands', [topUp(acme, 10_000_000)], 'avro');
    await producer.send('calls.started', [
      {
        event_id: 'cs-1',
        company_id: acme,
        occurred_at: t0,
        call_id: 'c1',
        channel: 'voice',
        number: '+442071838750',
      },
    ]);
    await producer.send(
      'calls.ended',
      [
        {
          event_id: 'ce-1',
          company_id: acme,
          occurred_at: t0 + 125_000,
          started_at: t0,
          call_id: 'c1',
          channel: 'voice',
          number: '+442071838750',
          duration_seconds: 125,
          status: 'completed',
          campaign_id: 'spring',
          manager_email: 'ann@acme.test',
        },
        // The seeds' WhatsApp price: 61 s is two started minutes at 0.02 USD.
        {
          event_id: 'ce-2',
          company_id: acme,
          occurred_at: t0 + 61_000,
          call_id: 'c2',
          channel: 'whatsapp_call',
          number: '+447700900123',
          duration_seconds: 61,
          status: 'completed',
        },
      ],
      'avro',
    );
    await producer.send('messages.sent', [
      {
        event_id: 'm-1',
        company_id: acme,
        occurred_at: t0,
        message_id: 'm1',
        channel: 'sms',
        number: '+442071838750',
        body: 'hello',
      },
    ]);
    await caughtUp();

    // 10 USD − (0.01 connect + 125 s at 0.012/min = 0.035) − 0.04 (WhatsApp 2 min) − 0.04 (SMS)
    expect(await ledgerBalance(acme)).toBe(9_885_000);
    expect(await app.wallets.view(acme)).toEqual({
      balanceMicros: 9_885_000,
      heldMicros: 0,
      seq: 4,
    });

    const call = await db.pool.query(
      `select amount_micros, balance_after_micros, billed_seconds, country, campaign_id, manager_email, call_status
         from ledger_entries where event_id = 'ce-1' and account = 'wallet'`,
    );
    expect(call.rows[0]).toMatchObject({
      amount_micros: -35_000n,
      billed_seconds: 125,
      country: 'GB',
      campaign_id: 'spring',
      manager_email: 'ann@acme.test',
      call_status: 'completed',
    });
    const hold = await db.pool.query(`select close_reason from call_holds where call_id = 'c1'`);
    expect(hold.rows[0]).toEqual({ close_reason: 'settled' });
    expect(await unbalancedTransfers(db.pool)).toEqual([]);
    expect(await chainFaults(db.pool)).toEqual([]);
  });

  it('changes nothing when the topics are replayed from the start by another consumer group', async () => {
    const globex = await company('globex');
    await producer.send('wallet.commands', [topUp(globex, 2_000_000)]);
    await producer.send('messages.sent', [
      {
        event_id: randomId('m-'),
        company_id: globex,
        occurred_at: t0,
        message_id: 'x',
        channel: 'sms',
        number: '+442071838750',
        segments: 2,
      },
    ]);
    await caughtUp();
    const before = await db.pool.query(
      'select event_id, wallet_seq, balance_after_micros from ledger_transfers order by 1',
    );
    const entriesBefore = await db.pool.query('select count(*)::int as n from ledger_entries');

    const replay = await startProcessor(
      { ...app.settings, kafka: { ...app.settings.kafka, groupId: randomId('replay-') } },
      { http: false, sweepIntervalMs: 60_000 },
    );
    try {
      await waitForCaughtUp(replay.kafka, replay.settings.kafka.groupId, inputTopics());
    } finally {
      await replay.stop();
    }
    const after = await db.pool.query(
      'select event_id, wallet_seq, balance_after_micros from ledger_transfers order by 1',
    );
    expect(after.rows).toEqual(before.rows);
    expect((await db.pool.query('select count(*)::int as n from ledger_entries')).rows).toEqual(
      entriesBefore.rows,
    );
    expect((await app.wallets.view(globex)).balanceMicros).toBe(2_000_000 - 80_000);
  });

  it('refuses a call at zero balance, records why, and sends a cut-off', async () => {
    const broke = await company('broke');
    await producer.send('calls.started', [
      {
        event_id: randomId('cs-'),
        company_id: broke,
        occurred_at: t0,
        call_id: 'z1',
        channel: 'voice',
        number: '+442071838750',
        campaign_id: 'k1',
      },
    ]);
    await caughtUp();
    const refusal = await db.pool.query(
      'select reason, available_micros, required_micros from call_refusals where company_id = $1',
      [broke],
    );
    expect(refusal.rows).toEqual([
      { reason: 'zero_balance', available_micros: 0n, required_micros: 16_000n },
    ]);
    const control = await readTopic(app.kafka, app.settings.topics.callsControl, (seen) =>
      seen.some((m) => m.company_id === broke),
    );
    expect(control.find((m) => m.company_id === broke)).toMatchObject({
      type: 'cut_off',
      call_id: 'z1',
      reason: 'zero_balance',
      campaign_id: 'k1',
    });
  });

  it('refuses call starts of a company whose spending cap is reached, whatever its balance', async () => {
    const capped = await company('capped');
    await producer.send('wallet.commands', [topUp(capped, 5_000_000)]);
    await caughtUp();
    await db.pool.query('update companies set spending_cap_micros = 0 where id = $1', [capped]);
    await app.billing.mirror.refresh([capped]);
    await producer.send('calls.started', [
      {
        event_id: randomId('cs-'),
        company_id: capped,
        occurred_at: t0,
        call_id: 'cap1',
        channel: 'voice',
        number: '+442071838750',
      },
    ]);
    await caughtUp();
    const refusal = await db.pool.query('select reason from call_refusals where company_id = $1', [
      capped,
    ]);
    expect(refusal.rows).toEqual([{ reason: 'spending_cap_reached' }]);
    expect((await app.wallets.view(capped)).heldMicros).toBe(0);
  });

  it('holds of concurrent calls never exceed the balance, and a call end without its start is still rated', async () => {
    const small = await company('small');
    await producer.send('wallet.commands', [topUp(small, 100_000)]); // 0.10 USD
    const starts = Array.from({ length: 30 }, (_, i) => ({
      event_id: `${small}-s${i}`,
      company_id: small,
      occurred_at: t0,
      call_id: `k${i}`,
      channel: 'voice',
      number: '+442071838750',
    }));
    await producer.send('calls.started', starts);
    await caughtUp();
    const view = await app.wallets.view(small);
    expect(view.heldMicros).toBeLessThanOrEqual(view.balanceMicros);
    const held = await db.pool.query<{ n: number; total: bigint }>(
      'select count(*)::int as n, sum(amount_micros) as total from call_holds where company_id = $1',
      [small],
    );
    expect(Number(held.rows[0]?.total)).toBe(view.heldMicros);
    const refused = await db.pool.query<{ n: number }>(
      'select count(*)::int as n from call_refusals where company_id = $1',
      [small],
    );
    expect((held.rows[0]?.n ?? 0) + (refused.rows[0]?.n ?? 0)).toBe(30);
    expect(refused.rows[0]?.n).toBeGreaterThan(0);

    // An end whose start never came: rated from the end alone (30 s minimum, 0.01 connect).
    await producer.send('calls.ended', [
      {
        event_id: randomId('ce-'),
        company_id: small,
        occurred_at: t0 + 10_000,
        call_id: 'orphan',
        channel: 'voice',
        number: '+442071838750',
        duration_seconds: 10,
      },
    ]);
    await caughtUp();
    const orphan = await db.pool.query(
      `select amount_micros from ledger_transfers where company_id = $1 and call_id = 'orphan'`,
      [small],
    );
    expect(orphan.rows).toEqual([{ amount_micros: -16_000n }]);
    // ... and its start, arriving late, places no hold.
    await producer.send('calls.started', [
      {
        event_id: randomId('cs-'),
        company_id: small,
        occurred_at: t0,
        call_id: 'orphan',
        channel: 'voice',
        number: '+442071838750',
      },
    ]);
    await caughtUp();
    expect(
      (
        await db.pool.query(
          `select 1 from call_holds where company_id = $1 and call_id = 'orphan'`,
          [small],
        )
      ).rowCount,
    ).toBe(0);
  });

  it('dead-letters every kind of bad input with its reason and keeps processing what follows', async () => {
    const ok = await company('dlq');
    const ended = (over: Record<string, unknown>) => ({
      event_id: randomId('bad-'),
      company_id: ok,
      occurred_at: t0 + 60_000,
      call_id: randomId('call-'),
      channel: 'voice',
      number: '+442071838750',
      duration_seconds: 60,
      ...over,
    });
    const dupCall = randomId('dup-');
    await producer.send('wallet.commands', [topUp(ok, 1_000_000)]);
    await producer.sendRaw('calls.ended', ok, Buffer.from('\u0001not an event'));
    await producer.sendRaw('calls.ended', ok, Buffer.from('{"event_id": "x", '));
    await producer.sendRaw('calls.ended', ok, Buffer.from([0, 0, 0x0f, 0x42, 0x3f, 2, 4])); // schema id 999999
    await producer.sendRaw(
      'calls.ended',
      ok,
      Buffer.from(JSON.stringify({ ...ended({}), pad: 'x'.repeat(70_000) })),
    );
    const noCallId: Record<string, unknown> = ended({});
    delete noCallId.call_id;
    await producer.send('calls.ended', [
      noCallId,
      ended({ duration_seconds: 'long' }),
      ended({ duration_seconds: -5 }),
      ended({ duration_seconds: 10 * 24 * 3600 }),
      ended({ started_at: t0 + 120_000 }),
      ended({ company_id: 'nobody-knows-me' }),
      ended({ number: '+999123' }),
      ended({ number: '+8613800138000' }),
      ended({ channel: 'pigeon' }),
      ended({ call_id: dupCall }),
      ended({ call_id: dupCall }),
      ended({ event_id: 'good-after-bad', call_id: randomId('call-') }),
    ]);
    await caughtUp();

    // Outputs are at-least-once: a dead letter is identified by the offset it came from.
    const mine = (d: Record<string, unknown>) =>
      d.company_id === ok || d.company_id === 'nobody-knows-me' || d.company_id === null;
    const distinct = (all: readonly Record<string, unknown>[]) => [
      ...new Map(
        all
          .filter(mine)
          .map((d) => [
            `${String(d.source_topic)}:${String(d.source_partition)}:${String(d.source_offset)}`,
            d,
          ]),
      ).values(),
    ];
    const dlq = distinct(
      await readTopic(app.kafka, app.settings.topics.dlq, (seen) => distinct(seen).length >= 14),
    );
    const reasons = dlq.map((d) => d.reason);
    expect(reasons.sort()).toEqual(
      [
        'undecodable',
        'malformed_json',
        'unknown_schema',
        'oversized_payload',
        'missing_field',
        'invalid_field',
        'negative_duration',
        'absurd_duration',
        'end_before_start',
        'unknown_company',
        'invalid_number',
        'unauthorized_destination',
        'unknown_channel',
        'duplicate_call_end',
      ].sort(),
    );
    const original = dlq.find((d) => d.reason === 'undecodable');
    expect(Buffer.from(String(original?.original_base64), 'base64').toString()).toBe(
      '\u0001not an event',
    );
    // The valid event behind the bad ones was charged: 0.01 + 60 s at 0.012/min.
    const good = await db.pool.query(
      `select amount_micros from ledger_transfers where event_id = 'good-after-bad'`,
    );
    expect(good.rows).toEqual([{ amount_micros: -22_000n }]);
    const metrics = await app.metrics.registry.getSingleMetricAsString('tollgate_dlq_total');
    expect(metrics).toMatch(/reason="unknown_company"\} [1-9]/);
  });

  it('rebuilds a flushed wallet from the ledger, and reconcile reports drift', async () => {
    const flushy = await company('flushy');
    await producer.send('wallet.commands', [topUp(flushy, 5_000_000)]);
    await producer.send('messages.sent', [
      {
        event_id: randomId('m-'),
        company_id: flushy,
        occurred_at: t0,
        message_id: 'a',
        channel: 'sms',
        number: '+442071838750',
        segments: 1,
      },
    ]);
    await caughtUp();
    const keys = app.wallets.keys(flushy);
    await app.redis.del(keys.wallet, keys.holds);

    await producer.send('messages.sent', [
      {
        event_id: randomId('m-'),
        company_id: flushy,
        occurred_at: t0,
        message_id: 'b',
        channel: 'sms',
        number: '+442071838750',
        segments: 1,
      },
    ]);
    await caughtUp();
    expect(await app.wallets.view(flushy)).toEqual({
      balanceMicros: 4_920_000,
      heldMicros: 0,
      seq: 3,
    });
    expect(await ledgerBalance(flushy)).toBe(4_920_000);

    const clean = await app.reconcile();
    expect(clean.drifted).toEqual([]);
    await app.redis.hincrby(keys.wallet, 'bal', 7);
    const report = await eventually(async () => {
      const r = await app.reconcile();
      if (r.drifted.length === 0) throw new Error('no drift yet');
      return r;
    });
    expect(report.drifted).toEqual([
      expect.objectContaining({
        companyId: flushy,
        ledgerBalanceMicros: 4_920_000,
        redisBalanceMicros: 4_920_007,
      }),
    ]);
    expect(
      await app.metrics.registry.getSingleMetricAsString('tollgate_wallet_drift_micros'),
    ).toContain(`company="${flushy}"} 7`);
  });
  it('applies the next chunk again when the ledger proves its wallet wrong while it was applied', async () => {
    // Chunks of two, so the redelivered pair and the new events are separate chunks of one round:
    // the second is applied to the wallet while the first is recorded.
    const settings = testSettings(db.url, { ratePlanPath: plan, batchMaxEvents: 2 });
    const small = await startProcessor(settings, { http: false, sweepIntervalMs: 60_000 });
    const smallProducer = new EventProducer(
      small.kafka,
      new EventCodec(settings.schemaRegistryUrl),
      settings.topics.callsStarted.replace('calls.started', ''),
    );
    await smallProducer.connect();
    try {
      const lossy = await company('lossy');
      const sms = (id: string) => ({
        event_id: id,
        company_id: lossy,
        occurred_at: t0,
        message_id: id,
        channel: 'sms',
        number: '+442071838750',
        segments: 1,
      });
      await smallProducer.send('wallet.commands', [topUp(lossy, 5_000_000)]);
      const first = [sms(randomId('old-')), sms(randomId('old-'))];
      await smallProducer.send('messages.sent', first);
      await waitForCaughtUp(
        small.kafka,
        settings.kafka.groupId,
        Object.values(settings.topics).slice(0, 4) as string[],
      );

      // The two messages' markers are lost (expired, say) while the wallet stays: when they are
      // delivered again, Redis applies them a second time and the ledger, which has them, says
      // so after the commit. The wallet is then rebuilt, and the new messages, applied meanwhile
      // to the wrong balance, must be applied again.
      const keys = small.wallets.keys(lossy);
      await small.redis.del(...first.map((e) => keys.event(e.event_id)));
      const fresh = Array.from({ length: 4 }, () => sms(randomId('new-')));
      await smallProducer.send('messages.sent', [...first, ...fresh]);
      await waitForCaughtUp(
        small.kafka,
        settings.kafka.groupId,
        Object.values(settings.topics).slice(0, 4) as string[],
      );

      const rows = await db.pool.query<{ n: number }>(
        'select count(*)::int as n from ledger_transfers where company_id = $1',
        [lossy],
      );
      expect(rows.rows[0]?.n).toBe(1 + 2 + 4);
      expect((await chainFaults(db.pool)).filter((f) => f.companyId === lossy)).toEqual([]);
      expect(await ledgerBalance(lossy)).toBe(5_000_000 - 6 * 40_000);
      expect((await small.wallets.view(lossy)).balanceMicros).toBe(5_000_000 - 6 * 40_000);
    } finally {
      await smallProducer.disconnect();
      await small.stop();
    }
  });
  it('applies a call start before its end when both arrive in one chunk', async () => {
    // Both are on their topics before the processor starts, so its first fetch holds both.
    const settings = testSettings(db.url, { ratePlanPath: plan });
    const kafka = createKafka(settings.kafka.brokers, 'test', createLogger('error'));
    await ensureTopics(kafka, settings.topics);
    const early = new EventProducer(
      kafka,
      new EventCodec(settings.schemaRegistryUrl),
      settings.topics.callsStarted.replace('calls.started', ''),
    );
    await early.connect();
    const both = await company('both');
    const call = randomId('call-');
    try {
      await early.send('wallet.commands', [topUp(both, 10_000_000)]);
      await early.send('calls.ended', [
        {
          event_id: randomId('ce-'),
          company_id: both,
          occurred_at: t0 + 30_000,
          started_at: t0,
          call_id: call,
          channel: 'voice',
          number: '+442071838750',
          duration_seconds: 30,
        },
      ]);
      await early.send('calls.started', [
        {
          event_id: randomId('cs-'),
          company_id: both,
          occurred_at: t0,
          call_id: call,
          channel: 'voice',
          number: '+442071838750',
        },
      ]);
    } finally {
      await early.disconnect();
    }
    const late = await startProcessor(settings, { http: false, sweepIntervalMs: 60_000 });
    try {
      await waitForCaughtUp(
        late.kafka,
        settings.kafka.groupId,
        Object.values(settings.topics).slice(0, 4) as string[],
      );
    } finally {
      await late.stop();
    }
    const hold = await db.pool.query<{ close_reason: string; amount_micros: bigint }>(
      'select close_reason, amount_micros from call_holds where company_id = $1 and call_id = $2',
      [both, call],
    );
    expect(hold.rows).toEqual([{ close_reason: 'settled', amount_micros: expect.any(BigInt) }]);
    expect(Number(hold.rows[0]?.amount_micros)).toBeGreaterThan(0);
    expect(await ledgerBalance(both)).toBe(10_000_000 - 16_000);
  });
});
