// Runs `tollgate start` as a separate OS process, so tests can kill it with SIGKILL mid-batch.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Settings } from '../../src/config/settings.js';

export interface ProcessorProcessOptions {
  readonly settings: Settings;
  readonly topicPrefix: string;
  /** Overrides the database URL (e.g. through a TCP proxy). */
  readonly postgresUrl?: string;
}

export class ProcessorProcess {
  private child: ChildProcess | undefined;
  private output = '';
  private readonly logFile: WriteStream;
  /** Every run's output, appended, for reading after a failure. */
  readonly logPath: string;
  starts = 0;

  constructor(private readonly o: ProcessorProcessOptions) {
    const dir = join(tmpdir(), 'tollgate-test-logs');
    mkdirSync(dir, { recursive: true });
    this.logPath = join(dir, `${o.settings.kafka.groupId}.log`);
    this.logFile = createWriteStream(this.logPath, { flags: 'a' });
  }

  get running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /** Starts the process and resolves once it has said it started. */
  async start(): Promise<void> {
    const s = this.o.settings;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TOLLGATE_KAFKA_BROKERS: s.kafka.brokers.join(','),
      TOLLGATE_KAFKA_GROUP_ID: s.kafka.groupId,
      TOLLGATE_KAFKA_SESSION_TIMEOUT_MS: '6000',
      TOLLGATE_TOPIC_PREFIX: this.o.topicPrefix,
      TOLLGATE_SCHEMA_REGISTRY_URL: s.schemaRegistryUrl,
      TOLLGATE_REDIS_URL: s.redis.url,
      TOLLGATE_REDIS_PREFIX: s.redis.prefix,
      TOLLGATE_POSTGRES_URL: this.o.postgresUrl ?? s.postgres.url,
      TOLLGATE_HTTP_PORT: '0',
      TOLLGATE_LOG_LEVEL: 'info',
      TOLLGATE_RATE_PLAN: s.ratePlanPath,
      TOLLGATE_BATCH_MAX_EVENTS: String(s.batchMaxEvents),
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
    };
    const child = spawn(
      process.execPath,
      ['--max-semi-space-size=64', '--import', 'tsx', 'src/cli/main.ts', 'start'],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    this.starts++;
    this.output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`processor did not start:\n${this.output.slice(-3000)}`)),
        60_000,
      );
      const onData = (chunk: Buffer) => {
        this.logFile.write(chunk);
        this.output = (this.output + chunk.toString()).slice(-20_000);
        if (this.output.includes('tollgate processor started')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(
            `processor exited (${code ?? signal}) during start:\n${this.output.slice(-3000)}`,
          ),
        );
      });
    });
  }

  log(): string {
    return this.output;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }
}
