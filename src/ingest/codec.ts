// Turns a Kafka message value into a plain object: Confluent-framed Avro (magic byte 0, then a
// 4-byte schema id) through the schema registry, or UTF-8 JSON. Both may share one topic.
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DependencyError, InvalidInputError } from '../errors/tollgate-error.js';

const schemasDir = fileURLToPath(new URL('../../schemas/avro/', import.meta.url));

export type Decoded = { readonly format: 'avro' | 'json'; readonly value: unknown };

export class EventCodec {
  readonly registry: SchemaRegistry;

  constructor(registryUrl: string) {
    this.registry = new SchemaRegistry({ host: registryUrl });
  }

  async decode(bytes: Buffer | null): Promise<Decoded> {
    if (bytes === null || bytes.length === 0) {
      throw new InvalidInputError('empty_payload', 'message has no value');
    }
    if (bytes[0] === 0 && bytes.length >= 5) {
      try {
        return { format: 'avro', value: await this.registry.decode(bytes) };
      } catch (err) {
        throw classifyRegistryError(err, bytes.readUInt32BE(1));
      }
    }
    if (bytes[0] === 0x7b /* { */) {
      try {
        return { format: 'json', value: JSON.parse(bytes.toString('utf8')) as unknown };
      } catch (err) {
        throw new InvalidInputError('malformed_json', `not valid JSON: ${(err as Error).message}`);
      }
    }
    throw new InvalidInputError(
      'undecodable',
      'neither Confluent-framed Avro (magic byte 0) nor a JSON object',
    );
  }

  /** Registers the Avro contract of `topicBase` (e.g. "calls.started") under `<topic>-value`. */
  async registerContract(topicBase: string, topic: string): Promise<number> {
    const schema = await readFile(`${schemasDir}${topicBase}.avsc`, 'utf8');
    const { id } = await this.registry.register(
      { type: SchemaType.AVRO, schema },
      { subject: `${topic}-value` },
    );
    return id;
  }

  async encode(schemaId: number, value: unknown): Promise<Buffer> {
    return this.registry.encode(schemaId, value);
  }
}

function classifyRegistryError(err: unknown, schemaId: number): Error {
  const e = err as { status?: number; message?: string; name?: string };
  const message = e.message ?? String(err);
  if (e.status === 404 || /not found/i.test(message)) {
    return new InvalidInputError('unknown_schema', `schema id ${schemaId} is not in the registry`, {
      cause: err,
      context: { schemaId },
    });
  }
  if (e.status !== undefined || /ECONNREFUSED|ETIMEDOUT|socket|fetch failed/i.test(message)) {
    return new DependencyError('registry_unavailable', `schema registry: ${message}`, {
      cause: err,
    });
  }
  return new InvalidInputError('undecodable', `Avro payload does not decode: ${message}`, {
    cause: err,
    context: { schemaId },
  });
}
