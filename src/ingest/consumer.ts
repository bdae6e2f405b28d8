// The consumer group loop. For each fetched batch (one topic partition): process it in chunks;
// after each chunk's ledger transaction has committed, publish its outputs (dead letters,
// cut-offs) with acks from all replicas, and only then commit the chunk's offsets. A crash at any
// point redelivers from the last committed offset, which the idempotent wallet and ledger absorb.
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
  /** Partitions processed at once; each is still processed strictly in order. */
  readonly concurrency?: number;
  readonly fromBeginning?: boolean;
  /** How soon a crashed member is noticed and its partitions reassigned. */
  readonly sessionTimeoutMs?: number;
}

export class ProcessorConsumer {
  private consumer: Consumer | undefined;
  private readonly producer: Producer;
  private stopping = false;

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
      partitionsConsumedConcurrently: this.options.concurrency ?? 1,
      eachBatch: (payload) => this.onBatch(payload, consumer),
    });
  }

  private async onBatch(payload: EachBatchPayload, consumer: Consumer): Promise<void> {
    const { batch } = payload;
    const { topic, partition } = batch;
    for (let from = 0; from < batch.messages.length; from += this.options.chunkSize) {
      if (!payload.isRunning() || payload.isStale()) return;
      await payload.heartbeat();
      const chunk: RawMessage[] = batch.messages
        .slice(from, from + this.options.chunkSize)
        .map((m) => ({
          topic,
          partition,
          offset: m.offset,
          key: m.key,
          value: m.value,
        }));
      const last = chunk[chunk.length - 1];
      if (last === undefined) return;
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
        const next = (BigInt(last.offset) + 1n).toString();
        await consumer.commitOffsets([{ topic, partition, offset: next }]);
        // Tell kafkajs too, or a later chunk's failure would replay this committed one.
        payload.resolveOffset(last.offset);
        this.metrics.consumerLag.set(
          { topic, partition: String(partition) },
          Number(BigInt(batch.highWatermark) - BigInt(next)),
        );
      } catch (err) {
        this.log.warn(
          { err, topic, partition, offset: last.offset },
          'batch failed; it will be redelivered',
        );
        throw err;
      } finally {
        endTimer();
      }
      await payload.heartbeat();
    }
  }
}
