// Waits until the local Kafka broker answers a metadata request (bounded), for stack.sh.
import { Kafka, logLevel } from 'kafkajs';

const brokers = (process.env.TOLLGATE_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const kafka = new Kafka({ clientId: 'tollgate-stack', brokers, logLevel: logLevel.NOTHING });
const deadline = Date.now() + 60_000;
for (;;) {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    await admin.disconnect();
    process.exit(0);
  } catch (err) {
    await admin.disconnect().catch(() => {});
    if (Date.now() > deadline) {
      console.error(`kafka: no metadata answer from ${brokers.join(',')}: ${err.message}`);
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}
