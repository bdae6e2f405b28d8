// Kafka client construction and topic provisioning. kafkajs logs are routed into pino so one
// log stream carries everything.
import { Kafka, logLevel, type ITopicConfig, type LogEntry } from 'kafkajs';
import type { Logger } from '../telemetry/logger.js';
import type { Topics } from '../config/settings.js';

export function createKafka(brokers: readonly string[], clientId: string, log: Logger): Kafka {
  const kafkaLog = log.child({ component: 'kafkajs' });
  return new Kafka({
    clientId,
    brokers: [...brokers],
    logLevel: logLevel.WARN,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5_000 },
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...fields } = entry as { message: string } & Record<string, unknown>;
        if (level <= logLevel.ERROR) kafkaLog.error(fields, message);
        else if (level === logLevel.WARN) kafkaLog.warn(fields, message);
        else kafkaLog.debug(fields, message);
      },
  });
}

/** Creates any of tollgate's topics that do not exist yet (idempotent). */
export async function ensureTopics(kafka: Kafka, topics: Topics, partitions = 4): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted: ITopicConfig[] = (Object.values(topics) as string[])
      .filter((t) => !existing.has(t))
      .map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 }));
    if (wanted.length > 0) await admin.createTopics({ topics: wanted, waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Messages of `topics` that `groupId` has not committed yet (all partitions together). */
export async function groupLag(
  kafka: Kafka,
  groupId: string,
  topics: readonly string[],
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let behind = 0n;
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      for (const end of ends) {
        const c = committed?.partitions.find((p) => p.partition === end.partition);
        const at = c === undefined || c.offset === '-1' ? 0n : BigInt(c.offset);
        if (at < BigInt(end.high)) behind += BigInt(end.high) - at;
      }
    }
    return Number(behind);
  } finally {
    await admin.disconnect();
  }
}
