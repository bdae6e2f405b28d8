// Processes one chunk of consumed messages, in DESIGN.md's order, in three steps: `decode`
// (decode and validate), `apply` (rate, and apply to the wallet: Redis Lua, idempotent) and
// `record` (append to the ledger in one Postgres transaction, and hand back the outputs to
// publish). The caller publishes them and only then commits the offsets, so nothing is lost and
// nothing is applied twice. The caller may apply the next chunk while this one is recorded;
// `record` then says which wallets the ledger proved wrong, and `forgetApplied` undoes the next
// chunk's effects on them so it can be applied again (see ProcessorConsumer).
import type pg from 'pg';
import type { CompiledPlan } from '../rating/index.js';
import { RatingError } from '../rating/index.js';
import { InvalidInputError } from '../errors/tollgate-error.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { Topics } from '../config/settings.js';
import type { WalletStore } from '../wallet/wallet-store.js';
import { findCompanies, type Company } from '../ledger/companies.js';
import {
  LedgerDivergenceError,
  writeLedgerBatch,
  type HoldClosed,
  type HoldOpened,
  type Refusal,
  type TransferRecord,
} from '../ledger/ledger-writer.js';
import type { EventCodec } from './codec.js';
import { parseInputEvent, type InputEvent, type InputKind } from './events.js';
import { chargeEvent, type CallGate, type EventOutcome, type GateAnswer } from './charge-event.js';
import { cutOffMessage, deadLetterMessage, type OutboundMessage } from './outputs.js';

export interface RawMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

export interface ProcessorDeps {
  readonly pool: pg.Pool;
  readonly wallets: WalletStore;
  readonly codec: EventCodec;
  readonly topics: Topics;
  readonly plan: CompiledPlan;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly holdSeconds: number;
  readonly maxPayloadBytes: number;
  /** Why a call of this company and campaign may not start now (cap, pause), or null. */
  readonly callGate?: CallGate;
  /** Told which companies were charged, once their charges are committed to the ledger. */
  readonly afterCommit?: (companyIds: string[]) => Promise<void>;
}

export interface BatchResult {
  readonly outputs: OutboundMessage[];
  readonly counts: Readonly<Record<string, number>>;
  /**
   * Wallets dropped from Redis after the ledger commit because Redis had applied again what the
   * ledger already had: a chunk applied meanwhile applied its events to them on a wrong state.
   */
  readonly evicted: ReadonlySet<string>;
}

/** A chunk decoded and validated: nothing of it applied yet. */
export interface DecodedChunk {
  readonly items: readonly Item[];
}

/** A chunk applied to the wallets, not yet recorded in the ledger. */
export interface PreparedChunk extends DecodedChunk {
  readonly outcomes: ReadonlyMap<RawMessage, EventOutcome>;
  readonly transfers: readonly TransferRecord[];
  readonly holdsOpened: readonly HoldOpened[];
  readonly holdsClosed: readonly HoldClosed[];
  readonly refusals: readonly Refusal[];
}

export type Item =
  | {
      readonly raw: RawMessage;
      readonly state: 'dead';
      readonly reason: string;
      readonly detail: string;
      readonly eventId?: string;
      readonly companyId?: string;
    }
  | { readonly raw: RawMessage; readonly state: 'valid'; readonly input: InputEvent };

const holdGraceMs = 10 * 60 * 1000;

/**
 * The order a chunk is applied in: wallet commands first (credits before spending), then the
 * rest in order, but for each call end whose call also starts in the chunk, which goes last.
 */
function applyOrder<T extends { readonly input: InputEvent }>(valid: readonly T[]): T[] {
  const starting = new Set<string>();
  for (const { input } of valid)
    if (input.kind === 'call_started')
      starting.add(`${input.event.company_id}\u0000${input.event.call_id}`);
  const commands: T[] = [];
  const rest: T[] = [];
  const ends: T[] = [];
  for (const item of valid) {
    const { input } = item;
    if (input.kind === 'wallet_command') commands.push(item);
    else if (
      input.kind === 'call_ended' &&
      starting.has(`${input.event.company_id}\u0000${input.event.call_id}`)
    )
      ends.push(item);
    else rest.push(item);
  }
  return [...commands, ...rest, ...ends];
}

/** A message that will be dead-lettered, and why. */
function dead(
  raw: RawMessage,
  reason: string,
  detail: string,
  extra: { eventId?: string; companyId?: string } = {},
): Item {
  return { raw, state: 'dead', reason, detail, ...extra };
}

export class BatchProcessor {
  private readonly kindOfTopic: ReadonlyMap<string, InputKind>;
  private readonly knownCompanies = new Map<string, Company>();

  constructor(private readonly deps: ProcessorDeps) {
    this.kindOfTopic = new Map<string, InputKind>([
      [deps.topics.callsStarted, 'call_started'],
      [deps.topics.callsEnded, 'call_ended'],
      [deps.topics.messagesSent, 'message_sent'],
      [deps.topics.walletCommands, 'wallet_command'],
    ]);
  }

  get inputTopics(): string[] {
    return [...this.kindOfTopic.keys()];
  }

  /** Decodes and validates `messages`; events of companies the ledger does not know are dead. */
  async decode(messages: readonly RawMessage[]): Promise<DecodedChunk> {
    const items = await Promise.all(messages.map((m) => this.decodeOne(m)));
    await this.checkCompanies(items);
    return { items };
  }

  /**
   * Rates and applies a decoded chunk (in offset order within each partition) to the wallets.
   * Every script of the chunk is issued at once, in offset order, on one connection: Redis runs
   * them in that order, so each wallet sees its events in order without a round trip per event.
   * Wallets are loaded first so that order holds; one lost mid-chunk is reloaded per event
   * (order then best-effort).
   */
  async apply(chunk: DecodedChunk): Promise<PreparedChunk> {
    const { items } = chunk;
    const valid = items.filter((i): i is Item & { state: 'valid' } => i.state === 'valid');
    // Loading missing wallets and reading the call gate are independent: one wait, not two.
    const [, gate] = await Promise.all([
      this.deps.wallets.ensureLoaded([...new Set(valid.map((i) => i.input.event.company_id))]),
      this.chunkGate(valid),
    ]);
    const outcomes = new Map<RawMessage, EventOutcome>();
    // Offset order within each partition, but credits first, and a call's end after its start
    // when both are in the chunk (topics have no order between them; a start applied after its
    // end would place no hold, and leave none on record).
    const ordered = applyOrder(valid);
    const charged = await Promise.all(ordered.map((item) => this.charge(item.input, gate)));
    ordered.forEach((item, n) => outcomes.set(item.raw, charged[n] as EventOutcome));

    const transfers: TransferRecord[] = [];
    const holdsOpened: HoldOpened[] = [];
    const holdsClosed: HoldClosed[] = [];
    const refusals: Refusal[] = [];
    for (const o of outcomes.values()) {
      if (o.type === 'transfer') {
        transfers.push(o.record);
        if (o.holdClosed) holdsClosed.push(o.holdClosed);
      } else if (o.type === 'hold') holdsOpened.push(o.hold);
      else if (o.type === 'refused') refusals.push(o.refusal);
    }
    return { items, outcomes, transfers, holdsOpened, holdsClosed, refusals };
  }

  /** Appends a prepared chunk to the ledger (one transaction) and returns its outputs. */
  async record(chunk: PreparedChunk): Promise<BatchResult> {
    const { transfers, holdsOpened, holdsClosed, refusals } = chunk;
    const outcomes = new Map(chunk.outcomes);
    const endTimer = this.deps.metrics.ledgerWriteSeconds.startTimer();
    let written;
    try {
      written = await writeLedgerBatch(this.deps.pool, {
        transfers,
        holdsOpened,
        holdsClosed,
        refusals,
      });
    } catch (err) {
      if (err instanceof LedgerDivergenceError) {
        // Redis handed out sequence numbers the ledger already has (it lost state the ledger
        // kept). Rebuild those wallets from the ledger and forget this batch's applications to
        // them: nothing of the batch was recorded, so its redelivery must apply it afresh.
        await this.forgetApplied(chunk, new Set(err.companyIds));
        this.deps.log.warn(
          { companies: err.companyIds },
          'wallet diverged from ledger; rebuilt from ledger',
        );
      }
      throw err;
    } finally {
      endTimer();
    }

    // Redis applied something the ledger already had (its markers had expired, or were lost):
    // the ledger is right, so drop the cached wallet and let it be rebuilt.
    const evict = new Set<string>();
    for (const [raw, o] of outcomes) {
      if (o.type !== 'transfer') continue;
      if (written.duplicateCallCharges.has(o.record.eventId)) {
        outcomes.set(raw, {
          type: 'dead_letter',
          reason: 'duplicate_call_end',
          detail: `call ${o.record.callId ?? ''} was already charged`,
        });
        evict.add(o.record.companyId);
      } else if (written.alreadyRecorded.has(o.record.eventId) && o.walletStatus === 'applied') {
        evict.add(o.record.companyId);
      }
    }
    for (const c of evict) await this.deps.wallets.evict(c);
    if (evict.size > 0)
      this.deps.log.warn(
        { companies: [...evict] },
        'wallet applied again what the ledger already had; rebuilt from ledger',
      );
    // A start redelivered after its call was charged (its markers lost) placed a hold again.
    for (const h of written.holdsOfChargedCalls)
      await this.deps.wallets.releaseHold(h.companyId, h.callId);
    const chargedCompanies = new Set(
      transfers.filter((t) => t.kind === 'usage').map((t) => t.companyId),
    );
    if (chargedCompanies.size > 0 && this.deps.afterCommit) {
      await this.deps.afterCommit([...chargedCompanies]);
    }

    return { ...this.collectOutputs(chunk.items, outcomes), evicted: evict };
  }

  /**
   * Undoes an unrecorded chunk's effects on the wallets of `companyIds`, whether or not applying
   * it finished: drops the wallets (the next operation rebuilds them from the ledger) and forgets
   * that the chunk's events were applied to them, so that applying them again applies them
   * afresh. It forgets the markers of every event of the chunk for those wallets, applied or
   * not: forgetting too much is safe (the ledger refuses what it already has, and the wallet is
   * rebuilt again), forgetting too little is not.
   */
  async forgetApplied(chunk: DecodedChunk, companyIds: ReadonlySet<string>): Promise<void> {
    for (const c of companyIds) {
      await this.deps.wallets.evict(c);
      const eventIds: string[] = [];
      const callIds: string[] = [];
      for (const item of chunk.items) {
        if (item.state !== 'valid' || item.input.event.company_id !== c) continue;
        eventIds.push(item.input.event.event_id);
        if (item.input.kind === 'call_ended') callIds.push(item.input.event.call_id);
      }
      await this.deps.wallets.forget(c, eventIds, callIds);
    }
  }

  private async decodeOne(raw: RawMessage): Promise<Item> {
    if (raw.value !== null && raw.value.length > this.deps.maxPayloadBytes) {
      return dead(
        raw,
        'oversized_payload',
        `${raw.value.length} bytes exceeds ${this.deps.maxPayloadBytes}`,
      );
    }
    const kind = this.kindOfTopic.get(raw.topic);
    if (kind === undefined)
      return dead(raw, 'unknown_topic', `no input kind for topic ${raw.topic}`);
    let value: unknown;
    try {
      value = (await this.deps.codec.decode(raw.value)).value;
    } catch (err) {
      if (err instanceof InvalidInputError) return dead(raw, err.code, err.message);
      throw err; // registry unreachable: retriable, the batch is redelivered
    }
    try {
      return { raw, state: 'valid', input: parseInputEvent(kind, value) };
    } catch (err) {
      if (!(err instanceof InvalidInputError)) throw err;
      const v = (value ?? {}) as Record<string, unknown>;
      return dead(raw, err.code, err.message, {
        ...(typeof v.event_id === 'string' ? { eventId: v.event_id } : {}),
        ...(typeof v.company_id === 'string' ? { companyId: v.company_id } : {}),
      });
    }
  }

  /** Marks events of companies the ledger does not know as dead (unknown_company). */
  private async checkCompanies(items: Item[]): Promise<void> {
    const wanted = new Set<string>();
    for (const i of items)
      if (i.state === 'valid' && !this.knownCompanies.has(i.input.event.company_id))
        wanted.add(i.input.event.company_id);
    if (wanted.size > 0)
      for (const c of await findCompanies(this.deps.pool, [...wanted]))
        this.knownCompanies.set(c.id, c);
    for (let n = 0; n < items.length; n++) {
      const i = items[n];
      if (i?.state !== 'valid' || this.knownCompanies.has(i.input.event.company_id)) continue;
      items[n] = {
        raw: i.raw,
        state: 'dead',
        reason: 'unknown_company',
        detail: `company ${i.input.event.company_id} is not set up`,
        eventId: i.input.event.event_id,
        companyId: i.input.event.company_id,
      };
    }
  }

  /**
   * The call gate for one chunk, read before any of its events is applied: every start of the
   * chunk is gated at the same moment anyway, so one read per company and campaign serves them
   * all, and answers known in advance let each start be applied in its place, without an await.
   */
  private async chunkGate(
    valid: ReadonlyArray<Item & { state: 'valid' }>,
  ): Promise<CallGate | undefined> {
    const read = this.deps.callGate;
    if (read === undefined) return undefined;
    const key = (companyId: string, campaignId: string | undefined) =>
      `${companyId}\u0000${campaignId ?? ''}`;
    const asked = new Map<string, { companyId: string; campaignId: string | undefined }>();
    for (const { input } of valid)
      if (input.kind === 'call_started')
        asked.set(key(input.event.company_id, input.event.campaign_id), {
          companyId: input.event.company_id,
          campaignId: input.event.campaign_id,
        });
    const answers = new Map<string, GateAnswer>();
    await Promise.all(
      [...asked].map(async ([k, q]) => answers.set(k, await read(q.companyId, q.campaignId))),
    );
    return (companyId, campaignId) => {
      const known = answers.get(key(companyId, campaignId));
      return known === undefined ? read(companyId, campaignId) : known;
    };
  }

  private async charge(input: InputEvent, gate: CallGate | undefined): Promise<EventOutcome> {
    try {
      return await chargeEvent(
        {
          plan: this.deps.plan,
          wallets: this.deps.wallets,
          holdSeconds: this.deps.holdSeconds,
          holdGraceMs,
          ...(gate === undefined ? {} : { gate }),
        },
        input,
      );
    } catch (err) {
      if (err instanceof RatingError || err instanceof InvalidInputError) {
        return { type: 'dead_letter', reason: err.code, detail: err.message };
      }
      // A script that rejects this event's arguments will reject them on every redelivery:
      // dead-letter the event (its bytes are kept) rather than stop the partition behind it.
      if (
        err instanceof Error &&
        err.name === 'ReplyError' &&
        !/^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN)/.test(err.message)
      ) {
        this.deps.log.error(
          { err, eventId: input.event.event_id },
          'wallet script refused an event',
        );
        return { type: 'dead_letter', reason: 'processing_error', detail: err.message };
      }
      throw err;
    }
  }

  private collectOutputs(
    items: readonly Item[],
    outcomes: ReadonlyMap<RawMessage, EventOutcome>,
  ): Omit<BatchResult, 'evicted'> {
    const { topics, metrics } = this.deps;
    const outputs: OutboundMessage[] = [];
    const counts: Record<string, number> = {};
    // Metrics are summed over the chunk and added once per label set: a labelled inc per event
    // costs more than the rest of the bookkeeping.
    const consumed = new Map<string, number>();
    const rated = new Map<string, number>();
    const count = (topic: string, result: string) => {
      counts[result] = (counts[result] ?? 0) + 1;
      const key = `${topic}\u0000${result}`;
      consumed.set(key, (consumed.get(key) ?? 0) + 1);
    };
    // One dead letter, whether decoding or charging refused the event.
    const deadLetter = (
      raw: RawMessage,
      reason: string,
      detail: string,
      eventId?: string,
      companyId?: string,
    ) => {
      outputs.push(
        deadLetterMessage(topics.dlq, {
          source: { topic: raw.topic, partition: raw.partition, offset: raw.offset },
          originalBase64: raw.value?.toString('base64') ?? '',
          originalKey: raw.key?.toString('utf8'),
          reason,
          detail,
          eventId,
          companyId,
        }),
      );
      metrics.dlq.inc({ reason });
      count(raw.topic, 'dead_lettered');
    };
    for (const item of items) {
      if (item.state === 'dead') {
        deadLetter(item.raw, item.reason, item.detail, item.eventId, item.companyId);
        continue;
      }
      const o = outcomes.get(item.raw);
      const event = item.input.event;
      if (o === undefined) continue;
      switch (o.type) {
        case 'dead_letter':
          deadLetter(item.raw, o.reason, o.detail, event.event_id, event.company_id);
          break;
        case 'refused':
          outputs.push(cutOffMessage(topics.callsControl, o.cutOff));
          metrics.refusals.inc({ reason: o.refusal.reason });
          metrics.cutoffs.inc({ reason: o.cutOff.reason });
          count(item.raw.topic, 'refused');
          break;
        case 'transfer':
          if (o.walletStatus === 'applied' && o.record.kind === 'usage' && o.channel) {
            rated.set(o.channel, (rated.get(o.channel) ?? 0) - o.record.amountMicros);
          }
          count(item.raw.topic, o.walletStatus);
          break;
        case 'hold':
          count(item.raw.topic, o.walletStatus);
          break;
        case 'skipped':
          count(item.raw.topic, 'skipped');
          break;
      }
    }
    for (const [key, n] of consumed) {
      const [topic = '', result = ''] = key.split('\u0000');
      metrics.eventsConsumed.inc({ topic, result }, n);
    }
    for (const [channel, micros] of rated) metrics.ratedMicros.inc({ channel }, micros);
    return { outputs, counts };
  }
}
