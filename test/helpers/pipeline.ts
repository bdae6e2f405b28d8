// Drives the real pipeline in tests: produce events (JSON or registry-framed Avro), wait until a
// consumer group has committed everything, and read output topics back.
import { Partitioners, type Kafka } from 'kafkajs';
import type { EventCodec } from '../../src/ingest/codec.js';
import { groupLag } from '../../src/ingest/kafka.js';

export type Format = 'json' | 'avro';

const contractOf: Record<string, string> = {
  'calls.started': 'calls.started',
  'calls.ended': 'calls.ended',
  'messages.sent': 'messages.sent',
  'wallet.commands': 'wallet.commands',
};

/** Fills Avro's nullable fields that a JSON event may leave out. */
function avroShape(contract: string, e: Record<string, unknown>): Record<string, unknown> {
  const optional: Record<string, string[]> = {
    'calls.started': [],
    'calls.ended': ['started_at', 'provider_cost_micros'],
    'messages.sent': ['number', 'segments', 'body', 'provider_cost_micros'],
    'wallet.commands': ['description', 'reference'],
  };
  const report = ['campaign_id', 'campaign_name', 'application_id', 'manager_id', 'manager_email'];
  const out: Record<string, unknown> = { ...e };
  for (const f of [
    ...(optional[contract] ?? []),
    ...(contract === 'wallet.commands' ? [] : report),
  ]) {
    out[f] ??= null;
  }
  return out;
}

export class EventProducer {
  private readonly producer;
  private readonly schemaIds = new Map<string, number>();

  constructor(
    kafka: Kafka,
    private readonly codec: EventCodec,
    private readonly prefix: string,
  ) {
    this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
  }

  /** Produces events to `<prefix><base>` keyed by company id, in order, in batches. */
  async send(
    base: string,
    events: readonly Record<string, unknown>[],
    format: Format = 'json',
  ): Promise<void> {
    const topic = `${this.prefix}${base}`;
    const contract = contractOf[base];
    if (contract === undefined) throw new Error(`no contract for ${base}`);
    let schemaId = this.schemaIds.get(topic);
    if (format === 'avro' && schemaId === undefined) {
      schemaId = await this.codec.registerContract(contract, topic);
      this.schemaIds.set(topic, schemaId);
    }
    for (let i = 0; i < events.length; i += 2000) {
      const slice = events.slice(i, i + 2000);
      const messages = await Promise.all(
        slice.map(async (e) => ({
          key: String(e.company_id),
          value:
            format === 'avro' && schemaId !== undefined
              ? await this.codec.encode(schemaId, avroShape(contract, e))
              : JSON.stringify(e),
        })),
      );
      await this.producer.send({ topic, acks: -1, messages });
    }
  }

  async sendRaw(base: string, key: string, value: Buffer): Promise<void> {
    await this.producer.send({ topic: `${this.prefix}${base}`, messages: [{ key, value }] });
  }
}

/** Resolves when `groupId` has committed up to the end of every partition of `topics`. */
export async function waitForCaughtUp(
  kafka: Kafka,
  groupId: string,
  topics: readonly string[],
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const behind = await groupLag(kafka, groupId, topics);
    if (behind === 0) return;
    if (Date.now() > deadline) throw new Error(`group ${groupId} still ${behind} messages behind`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Reads `topic` from the beginning, as parsed JSON, until `enough` says the messages seen so far
 * suffice (or the time runs out; the caller's assertions then say what was missing).
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  enough: (seen: readonly Record<string, unknown>[]) => boolean,
  timeoutMs = 30_000,
): Promise<Record<string, unknown>[]> {
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}-${Math.random()}` });
  const seen: Record<string, unknown>[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: ({ message }) => {
        seen.push(JSON.parse(message.value?.toString('utf8') ?? 'null') as Record<string, unknown>);
        if (enough(seen)) resolve();
        return Promise.resolve();
      },
    });
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([done, new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
  clearTimeout(timer);
  await consumer.disconnect();
  return seen;
}

export async function eventually<T>(check: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
