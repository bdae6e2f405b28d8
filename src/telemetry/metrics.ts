// Prometheus metrics of one processor. One registry per process, passed where needed, so tests
// can build a fresh one and read values back.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  readonly eventsConsumed: Counter<'topic' | 'result'>;
  readonly ratedMicros: Counter<'channel'>;
  readonly dlq: Counter<'reason'>;
  readonly batchSeconds: Histogram;
  readonly ledgerWriteSeconds: Histogram;
  readonly consumerLag: Gauge<'topic' | 'partition'>;
  readonly walletDriftMicros: Gauge<'company'>;
  readonly walletsDrifted: Gauge;
  readonly cutoffs: Counter<'reason'>;
  readonly refusals: Counter<'reason'>;
}

export function createMetrics(withDefaults = true): Metrics {
  const registry = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: registry, prefix: 'tollgate_' });
  const registers = [registry];
  return {
    registry,
    eventsConsumed: new Counter({
      name: 'tollgate_events_consumed_total',
      help: 'Input events consumed, by topic and result (applied, duplicate, refused, dead_lettered).',
      labelNames: ['topic', 'result'],
      registers,
    }),
    ratedMicros: new Counter({
      name: 'tollgate_rated_micros_total',
      help: 'Amount rated, in micro-units of the wallet currency, by channel.',
      labelNames: ['channel'],
      registers,
    }),
    dlq: new Counter({
      name: 'tollgate_dlq_total',
      help: 'Events sent to the dead-letter topic, by reason code.',
      labelNames: ['reason'],
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'tollgate_batch_duration_seconds',
      help: 'Time to process one consumed batch, decode to offset commit.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    ledgerWriteSeconds: new Histogram({
      name: 'tollgate_ledger_write_duration_seconds',
      help: 'Time of one ledger transaction.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    consumerLag: new Gauge({
      name: 'tollgate_consumer_lag_messages',
      help: 'High watermark minus the next offset to process, per topic partition.',
      labelNames: ['topic', 'partition'],
      registers,
    }),
    walletDriftMicros: new Gauge({
      name: 'tollgate_wallet_drift_micros',
      help: 'Redis balance minus ledger balance, in micro-units, for wallets that drifted at the last reconcile.',
      labelNames: ['company'],
      registers,
    }),
    walletsDrifted: new Gauge({
      name: 'tollgate_wallets_drifted',
      help: 'Wallets whose Redis state differed from the ledger at the last reconcile.',
      registers,
    }),
    cutoffs: new Counter({
      name: 'tollgate_call_cutoffs_total',
      help: 'Cut-off commands sent on calls.control, by reason.',
      labelNames: ['reason'],
      registers,
    }),
    refusals: new Counter({
      name: 'tollgate_call_refusals_total',
      help: 'Call starts refused, by reason.',
      labelNames: ['reason'],
      registers,
    }),
  };
}
