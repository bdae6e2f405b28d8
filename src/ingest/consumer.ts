// The consumer group loop. The batches of every partition that one fetch returned are processed
// together, as one round, in chunks: after each chunk's ledger transaction has committed, its
// outputs (dead letters, cut-offs) are published with acks from all replicas, and only then are
// the chunk's offsets committed. Rounds run one at a time, so one replica never races itself on
// a wallet whose events arrive on several topics. A crash at any point redelivers from the last
// committed offsets, which the idempotent wallet and ledger absorb.
import {
  Partitioners,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type Producer,
} from 'kafkajs';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { BatchProcessor, RawMessage } from './processor.js';

export interface ConsumerOptions {
  readonly groupId: string;
  readonly chunkSize: number;
  readonly fromBeginning?: boolean;
  /** How soon a crashed member is noticed and its partitions reassigned. */
  readonly sessionTimeoutMs?: number;
}

interface Waiting {
  readonly payload: EachBatchPayload;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** More workers than partitions, so that every batch of a fetch is handed over at once. */
const fetchWorkers = 256;

export class ProcessorConsumer {
  private consumer: Consumer | undefined;
  private readonly producer: Producer;
  private stopping = false;
  private gathered: Waiting[] = [];
  private rounds: Promise<void> = Promise.resolve();

  constructor(
    private readonly kafka: Kafka,
    private readonly processor: BatchProcessor,
    private readonly options: ConsumerOptions,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {
    this.producer = kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.runConsumer();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer?.disconnect();
    await this.producer.disconnect();
  }

  private async runConsumer(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.min(3_000, Math.floor((this.options.sessionTimeoutMs ?? 30_000) / 3)),
      maxBytesPerPartition: 4 * 1024 * 1024,
      // A dependency outage (Postgres down for a while) is waited out, not crashed through.
      retry: { retries: 30, initialRetryTime: 300, maxRetryTime: 5_000 },
    });
    this.consumer = consumer;
    // kafkajs restarts itself after retriable failures only. After any other crash (this member
    // evicted from the group, say) a fresh consumer rejoins, rather than the process idling.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.stopping) return;
      this.log.error(
        { err: payload.error },
        'consumer crashed; rejoining the group with a new one',
      );
      setTimeout(() => {
        if (this.stopping) return;
        void consumer
          .disconnect()
          .catch(() => undefined)
          .then(() => this.runConsumer())
          .catch((err: unknown) => this.log.fatal({ err }, 'could not rejoin the consumer group'));
      }, 1_000);
    });
    await consumer.connect();
    await consumer.subscribe({
      topics: this.processor.inputTopics,
      fromBeginning: this.options.fromBeginning ?? true,
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: fetchWorkers,
      eachBatch: (payload) => this.gather(payload, consumer),
    });
  }

  /**
   * kafkajs hands over each partition's batch of a fetch separately (all at once, as there are
   * enough workers). They wait here for the end of the tick and are then processed as one round,
   * so one Redis pipeline and one ledger transaction serve every partition of the fetch.
   */
  private gather(payload: EachBatchPayload, consumer: Consumer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.gathered.push({ payload, resolve, reject });
      if (this.gathered.length > 1) return;
      setImmediate(() => {
        const round = this.gathered;
        this.gathered = [];
        // Rounds never overlap, even across a rebuilt consumer: each waits for the one before.
        this.rounds = this.rounds
          .then(() => this.processRound(round, consumer))
          .then(
            () => round.forEach((w) => w.resolve()),
            (err: unknown) => round.forEach((w) => w.reject(err)),
          );
      });
    });
  }

  /**
   * Processes a round in chunks of at most `chunkSize` events, taking an equal share of each
   * partition's remaining messages per chunk. After each chunk's ledger transaction has
   * committed and its outputs are published, the chunk's offsets are committed, partition by
   * partition, and resolved with kafkajs.
   */
  private async processRound(round: readonly Waiting[], consumer: Consumer): Promise<void> {
    const parts = round.map((w) => ({ payload: w.payload, next: 0 }));
    for (;;) {
      const live = parts.filter(
        (p) =>
          p.next < p.payload.batch.messages.length && p.payload.isRunning() && !p.payload.isStale(),
      );
      const first = live[0];
      if (first === undefined) return;
      await first.payload.heartbeat();
      const share = Math.max(1, Math.ceil(this.options.chunkSize / live.length));
      const chunk: RawMessage[] = [];
      const last: Array<{ payload: EachBatchPayload; offset: string }> = [];
      for (const p of live) {
        const { topic, partition, messages } = p.payload.batch;
        const slice = messages.slice(p.next, p.next + share);
        p.next += slice.length;
        for (const m of slice)
          chunk.push({ topic, partition, offset: m.offset, key: m.key, value: m.value });
        const end = slice[slice.length - 1];
        if (end !== undefined) last.push({ payload: p.payload, offset: end.offset });
      }
      const endTimer = this.metrics.batchSeconds.startTimer();
      try {
        const result = await this.processor.process(chunk);
        if (result.outputs.length > 0) {
          const byTopic = new Map<string, (typeof result.outputs)[number]['message'][]>();
          for (const o of result.outputs)
            byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o.message]);
          await this.producer.sendBatch({
            acks: -1,
            topicMessages: [...byTopic].map(([t, messages]) => ({ topic: t, messages })),
          });
        }
        const commits = last.map(({ payload, offset }) => ({
          topic: payload.batch.topic,
          partition: payload.batch.partition,
          offset: (BigInt(offset) + 1n).toString(),
        }));
        await consumer.commitOffsets(commits);
        for (const [n, { payload, offset }] of last.entries()) {
          // Tell kafkajs too, or a later chunk's failure would replay this committed one.
          payload.resolveOffset(offset);
          const { topic, partition, highWatermark } = payload.batch;
          this.metrics.consumerLag.set(
            { topic, partition: String(partition) },
            Number(BigInt(highWatermark) - BigInt(commits[n]?.offset ?? highWatermark)),
          );
        }
      } catch (err) {
        this.log.warn(
          {
            err,
            partitions: last.map((l) => `${l.payload.batch.topic}/${l.payload.batch.partition}`),
          },
          'chunk failed; it will be redelivered',
        );
        throw err;
      } finally {
        endTimer();
      }
    }
  }
}
