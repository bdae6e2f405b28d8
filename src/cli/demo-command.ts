// `tollgate demo`: the main job end to end on the local stack. Starts the processor, drives a
// realistic synthetic load through Kafka (calls as registry-framed Avro, messages and wallet
// commands as JSON) for a few companies, shows progress, and ends with balances and ledger
// totals checked against Redis.
import { Partitioners } from 'kafkajs';
import type { Settings } from '../config/settings.js';
import { EventCodec } from '../ingest/codec.js';
import { groupLag } from '../ingest/kafka.js';
import { upsertCompany } from '../ledger/companies.js';
import { chainFaults, unbalancedTransfers } from '../ledger/ledger-reader.js';
import { formatMicros } from '../rating/index.js';
import { syntheticLoad } from '../demo/synthetic-events.js';
import { startProcessor } from './processor-app.js';

const companies = [
  { id: 'demo-acme', name: 'Acme Staffing', timeZone: 'Europe/London' },
  { id: 'demo-globex', name: 'Globex Recruiting', timeZone: 'America/New_York' },
  { id: 'demo-initech', name: 'Initech Health', timeZone: 'Europe/Madrid' },
];

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isSafeInteger(v) || v <= 0)
    throw new Error(`${name} must be a positive whole number`);
  return v;
}

export async function runDemo(args: string[], settings: Settings): Promise<number> {
  const total = option(args, '--events', 50_000);
  const keep = args.includes('--keep-running');
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const planPath = settings.ratePlanPath || 'schemas/examples/example-plan.yaml';

  out(`tollgate demo: ${total} events for ${companies.length} companies, plan ${planPath}`);
  const app = await startProcessor({ ...settings, ratePlanPath: planPath, logLevel: 'warn' });
  try {
    for (const c of companies)
      await upsertCompany(app.pool, { ...c, notificationRecipients: [`billing@${c.id}.example`] });
    const runId = `demo-${Date.now().toString(36)}`;
    const load = syntheticLoad({
      companies: companies.map((c) => c.id),
      events: total,
      seed: Date.now() % 100_000,
      idPrefix: runId,
      startMs: Date.now() - 3_600_000,
      initialTopUpMicros: 25_000_000,
    });

    const codec = new EventCodec(settings.schemaRegistryUrl);
    const schemaIds = new Map<string, number>();
    for (const t of ['calls.started', 'calls.ended'] as const) {
      schemaIds.set(
        t,
        await codec.registerContract(
          t,
          `${settings.topics.callsStarted.replace('calls.started', '')}${t}`,
        ),
      );
    }
    const topicOf = {
      'calls.started': settings.topics.callsStarted,
      'calls.ended': settings.topics.callsEnded,
      'messages.sent': settings.topics.messagesSent,
      'wallet.commands': settings.topics.walletCommands,
    } as const;
    const nullable = ['campaign_name', 'started_at', 'provider_cost_micros'];
    const producer = app.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const started = Date.now();
    let lastReport = 0;
    for (let i = 0; i < load.length; i += 2000) {
      const byTopic = new Map<string, { key: string; value: Buffer | string }[]>();
      for (const { topic, event } of load.slice(i, i + 2000)) {
        const id = schemaIds.get(topic);
        const value =
          id === undefined
            ? JSON.stringify(event)
            : await codec.encode(
                id,
                Object.fromEntries([...nullable.map((f) => [f, null]), ...Object.entries(event)]),
              );
        const list = byTopic.get(topicOf[topic]) ?? [];
        list.push({ key: event.company_id, value });
        byTopic.set(topicOf[topic], list);
      }
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
      if (Date.now() - lastReport > 1000) {
        lastReport = Date.now();
        out(`  produced ${Math.min(i + 2000, load.length)}/${load.length}`);
      }
    }
    await producer.disconnect();
    const inputs = [
      settings.topics.callsStarted,
      settings.topics.callsEnded,
      settings.topics.messagesSent,
      settings.topics.walletCommands,
    ];
    for (;;) {
      const lag = await groupLag(app.kafka, settings.kafka.groupId, inputs);
      const done = await app.pool.query<{ n: number }>(
        'select count(*)::int as n from ledger_transfers where event_id like $1',
        [`${runId}-%`],
      );
      out(
        `  charged ${done.rows[0]?.n ?? 0} movements, ${lag} events still to process (${((Date.now() - started) / 1000).toFixed(1)} s)`,
      );
      if (lag === 0) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const seconds = (Date.now() - started) / 1000;

    out('\nwallets (ledger balance = Redis balance, to the micro-unit):');
    for (const c of companies) {
      const ledger = await app.pool.query<{ kind: string; n: number; total: bigint }>(
        `select kind, count(*)::int as n, sum(amount_micros) as total from ledger_transfers
          where company_id = $1 and event_id like $2 group by kind order by kind`,
        [c.id, `${runId}-%`],
      );
      const wallet = await app.wallets.view(c.id);
      const last = await app.pool.query<{ b: bigint }>(
        'select balance_after_micros as b from ledger_transfers where company_id = $1 order by wallet_seq desc limit 1',
        [c.id],
      );
      const lines = ledger.rows
        .map((r) => `${r.kind} ×${r.n} ${formatMicros(Number(r.total))}`)
        .join(', ');
      out(
        `  ${c.name.padEnd(18)} balance ${formatMicros(Number(last.rows[0]?.b ?? 0n)).padStart(12)} USD  (Redis ${formatMicros(wallet.balanceMicros)})  this run: ${lines}`,
      );
    }
    const refusals = await app.pool.query<{ n: number }>(
      'select count(*)::int as n from call_refusals where event_id like $1',
      [`${runId}-%`],
    );
    const report = await app.reconcile();
    out(
      `\n${load.length} events produced and charged in ${seconds.toFixed(1)} s (demo pace: Avro encoded one by one; npm run bench measures throughput)`,
    );
    out(`calls refused for lack of balance: ${refusals.rows[0]?.n ?? 0}`);
    out(
      `ledger: ${(await chainFaults(app.pool)).length} chain faults, ${(await unbalancedTransfers(app.pool)).length} unbalanced transfers; reconcile: ${report.drifted.length} of ${report.wallets} wallets drifted`,
    );
    out(`metrics: http://${settings.http.host}:${settings.http.port}/metrics`);
    if (keep) {
      out('processor keeps running; Ctrl-C to stop');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
    return report.drifted.length === 0 ? 0 : 1;
  } finally {
    await app.stop();
  }
}
