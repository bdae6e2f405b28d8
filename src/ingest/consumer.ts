// The consumer group loop. The batches of every partition that one fetch returned are processed
// together, as one round, in chunks: after each chunk's ledger transaction has committed, its
// outputs (dead letters, cut-offs) are published with acks from all replicas, and only then are
// the chunk's offsets committed. While one chunk is recorded in the ledger, the next is applied
// to the wallets (Redis and Postgres work side by side); its ledger write waits for the one
// before. Rounds run one at a time, so one replica never races itself on a wallet whose events
// arrive on several topics. A crash at any point redelivers from the last committed offsets,
// which the idempotent wallet and ledger absorb.
import {
  Partitioners,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type Message,
  type Producer,
} from 'kafkajs';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import { LedgerDivergenceError } from '../ledger/ledger-writer.js';
import type { BatchProcessor, DecodedChunk, PreparedChunk, RawMessage } from './processor.js';

export interface ConsumerOptions {
  readonly groupId: string;
  readonly chunkSize: number;
  readonly fromBeginning?: boolean;
  /** How soon a crashed member is noticed and its partitions reassigned. */
  readonly sessionTimeoutMs?: number;
}

/** One chunk of a round: its messages, and the last offset of each partition it took. */
interface Chunk {
  readonly messages: RawMessage[];
  readonly last: ReadonlyArray<{ readonly payload: EachBatchPayload; readonly offset: string }>;
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
   *
   * The next chunk is decoded and applied to the wallets while this one is recorded. That is
   * safe because its ledger write waits, and because whenever the ledger proves a wallet wrong (a
   * sequence clash, or an event Redis applied again), the next chunk's effects on that wallet
   * are forgotten along with the wallet: it is then applied again, or redelivered.
   */
  private async processRound(round: readonly Waiting[], consumer: Consumer): Promise<void> {
    const parts = round.map((w) => ({ payload: w.payload, next: 0 }));
    let current = this.takeChunk(parts);
    if (current === undefined) return;
    await current.last[0]?.payload.heartbeat();
    let applying = this.decodeAndApply(current);
    while (current !== undefined) {
      const chunk: Chunk = current;
      const endTimer = this.metrics.batchSeconds.startTimer();
      let following: Chunk | undefined;
      let next: ReturnType<ProcessorConsumer['decodeAndApply']> | undefined;
      try {
        const ready = await applying.applied;
        await chunk.last[0]?.payload.heartbeat();
        following = this.takeChunk(parts);
        if (following !== undefined) next = this.decodeAndApply(following);
        let result;
        try {
          result = await this.processor.record(ready);
        } catch (err) {
          // Nothing of this chunk was recorded. If its wallets were rebuilt from the ledger, the
          // next chunk's effects on them go too; the round is redelivered from this chunk.
          if (next !== undefined && err instanceof LedgerDivergenceError)
            await this.forgetNext(next, new Set(err.companyIds));
          throw err;
        }
        if (following !== undefined && next !== undefined && result.evicted.size > 0) {
          // The next chunk ran on wallets the ledger has just proven wrong: undo its effects
          // on them and apply it again on the rebuilt wallets.
          await this.forgetNext(next, result.evicted);
          next = this.decodeAndApply(following);
        }
        await this.publishAndCommit(chunk, result.outputs, consumer);
      } catch (err) {
        // Let the next chunk's wallet work finish before the round is given up.
        await next?.applied.catch(() => undefined);
        this.log.warn(
          {
            err,
            partitions: chunk.last.map(
              (l) => `${l.payload.batch.topic}/${l.payload.batch.partition}`,
            ),
          },
          'chunk failed; it will be redelivered',
        );
        throw err;
      } finally {
        endTimer();
      }
      current = following;
      if (next !== undefined) applying = next;
    }
  }

  /** Starts decoding and applying `chunk`; both promises are awaited later, never left unhandled. */
  private decodeAndApply(chunk: Chunk): {
    decoded: Promise<DecodedChunk>;
    applied: Promise<PreparedChunk>;
  } {
    const decoded = this.processor.decode(chunk.messages);
    const applied = decoded.then((d) => this.processor.apply(d));
    decoded.catch(() => undefined);
    applied.catch(() => undefined);
    return { decoded, applied };
  }

  /** Once the next chunk's wallet work has ended, however it ended, undoes it on `companyIds`. */
  private async forgetNext(
    next: ReturnType<ProcessorConsumer['decodeAndApply']>,
    companyIds: ReadonlySet<string>,
  ): Promise<void> {
    await next.applied.catch(() => undefined);
    const decoded = await next.decoded.catch(() => undefined);
    // Not decoded: nothing of it was applied.
    if (decoded !== undefined) await this.processor.forgetApplied(decoded, companyIds);
  }

  /** The next chunk of the round, or undefined when the round is done (or given up). */
  private takeChunk(
    parts: Array<{ readonly payload: EachBatchPayload; next: number }>,
  ): Chunk | undefined {
    const live = parts.filter(
      (p) =>
        p.next < p.payload.batch.messages.length && p.payload.isRunning() && !p.payload.isStale(),
    );
    if (live.length === 0) return undefined;
    const share = Math.max(1, Math.ceil(this.options.chunkSize / live.length));
    const messages: RawMessage[] = [];
    const last: Array<{ payload: EachBatchPayload; offset: string }> = [];
    for (const p of live) {
      const { topic, partition, messages: batch } = p.payload.batch;
      const slice = batch.slice(p.next, p.next + share);
      p.next += slice.length;
      for (const m of slice)
        messages.push({ topic, partition, offset: m.offset, key: m.key, value: m.value });
      const end = slice[slice.length - 1];
      if (end !== undefined) last.push({ payload: p.payload, offset: end.offset });
    }
    return { messages, last };
  }

  /** Publishes a recorded chunk's outputs, then commits its offsets and tells kafkajs. */
  private async publishAndCommit(
    chunk: Chunk,
    outputs: ReadonlyArray<{ readonly topic: string; readonly message: Message }>,
    consumer: Consumer,
  ): Promise<void> {
    if (outputs.length > 0) {
      const byTopic = new Map<string, Message[]>();
      for (const o of outputs) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o.message]);
      await this.producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([t, messages]) => ({ topic: t, messages })),
      });
    }
    const commits = chunk.last.map(({ payload, offset }) => ({
      topic: payload.batch.topic,
      partition: payload.batch.partition,
      offset: (BigInt(offset) + 1n).toString(),
    }));
    await consumer.commitOffsets(commits);
    for (const [n, { payload, offset }] of chunk.last.entries()) {
      // Tell kafkajs too, or a later chunk's failure would replay this committed one.
      payload.resolveOffset(offset);
      const { topic, partition, highWatermark } = payload.batch;
      this.metrics.consumerLag.set(
        { topic, partition: String(partition) },
        Number(BigInt(highWatermark) - BigInt(commits[n]?.offset ?? highWatermark)),
      );
    }
  }
}
