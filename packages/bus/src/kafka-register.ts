import { randomBytes } from 'node:crypto';
import kafkajs, { type Admin, type Consumer, type Kafka, type Producer } from 'kafkajs';
import { TokumeiError } from '@tokumei/errors';
import type { Logger } from '@tokumei/config';
import { ensureTopic, registerTopicConfig } from './kafka-topics.js';
import { RegisterState } from './register-state.js';
import type { SharedRegister, SharedRegisterOptions } from './shared-register.js';

// kafkajs is CommonJS: Node's ESM loader sees only its default export.
const { Partitioners } = kafkajs;

export interface KafkaRegisterOptions extends SharedRegisterOptions {
  readonly clientId: string;
  readonly sessionTimeoutMs: number;
  /** How long one call waits for the broker or the reader before failing with TKM_BUS_UNAVAILABLE. */
  readonly timeoutMs?: number;
  /** Replicas per partition when the topic is created (the raw topic's count); undefined: the brokers' default. */
  readonly replication?: number | undefined;
}

interface Outgoing {
  readonly key: string;
  readonly value: Buffer | null;
}

/**
 * A SharedRegister on a one-partition topic, so every process sees the proposals in the same order. Each process
 * reads the whole topic into memory; the first live proposal for a key wins. Values are secrets: none goes to a log
 * line or an error message, and values this process no longer needs are wiped from its memory.
 */
export class KafkaRegister implements SharedRegister {
  private readonly admin: Admin;
  private readonly producer: Producer;
  private readonly consumer: Consumer;
  private readonly state = new RegisterState();
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private started: Promise<void> | undefined;
  private closed = false;

  constructor(kafka: Kafka, private readonly options: KafkaRegisterOptions, logger: Logger) {
    if (!Number.isInteger(options.retentionMs) || options.retentionMs <= 0) throw new TypeError('retentionMs must be a positive integer');
    this.log = logger.child({ component: 'shared-register' });
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.admin = kafka.admin();
    this.producer = kafka.producer({
      idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner,
    });
    // Every instance must read the whole topic itself: its own group, never committed, so it always starts at the
    // beginning and shares partitions with nobody.
    this.consumer = kafka.consumer({
      groupId: `${options.clientId}-register-${randomBytes(6).toString('hex')}`,
      allowAutoTopicCreation: false,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: Math.floor(options.sessionTimeoutMs / 10),
      maxWaitTimeInMs: 250,
    });
  }

  async load(): Promise<Map<string, Buffer>> {
    await this.catchUp();
    return this.state.winners();
  }

  async propose(key: string, value: Buffer): Promise<Buffer> {
    if (key === '') throw new TypeError('register key must not be empty');
    // An empty value would be indistinguishable from a tombstone for some clients.
    if (value.length === 0) throw new TypeError('register value must not be empty');
    await this.catchUp();
    // Known winner: writing another secret that can only lose would just leave it on disk.
    const known = this.state.winner(key);
    if (known !== undefined) return Buffer.from(known.value);

    const kafkaKey = `${key}/${randomBytes(8).toString('hex')}`;
    const offset = await this.send([{ key: kafkaKey, value }]);
    await this.state.reached(offset + 1n, this.timeoutMs);
    const winner = this.state.winner(key);
    if (winner === undefined) throw new TokumeiError('TKM_BUS_UNAVAILABLE', 'shared register: the key was removed while a value was proposed');
    const won = Buffer.from(winner.value);
    if (winner.kafkaKey !== kafkaKey) await this.discard(kafkaKey);
    return won;
  }

  async remove(key: string): Promise<void> {
    // Catch up first, so every proposal written before this call gets its tombstone.
    await this.catchUp();
    const keys = this.state.liveKafkaKeys(key);
    if (keys.length === 0) return;
    const last = await this.send(keys.map((k) => ({ key: k, value: null })));
    await this.state.reached(last + 1n, this.timeoutMs);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.state.clear(new TokumeiError('TKM_BUS_CLOSED'));
    if (this.started === undefined) return;
    await this.started.catch(() => undefined);
    // Each client is disconnected even if another one fails to.
    const results = await Promise.allSettled([this.consumer.disconnect(), this.producer.disconnect(), this.admin.disconnect()]);
    for (const r of results) if (r.status === 'rejected') this.log.warn({ topic: this.options.topic, err: errorText(r.reason) }, 'disconnecting failed');
    // Whatever the reader applied while stopping is wiped too.
    this.state.clear(new TokumeiError('TKM_BUS_CLOSED'));
  }

  /** A losing proposal is a secret nobody uses: tombstone it now rather than keep it until retention. */
  private async discard(kafkaKey: string): Promise<void> {
    try {
      await this.send([{ key: kafkaKey, value: null }]);
    } catch (error) {
      this.log.warn({ topic: this.options.topic, err: errorText(error) }, 'could not delete a losing proposal; it stays until remove() or retention');
    }
  }

  /** Waits until the reader applied everything the broker held when this was called. */
  private async catchUp(): Promise<void> {
    await this.start();
    const offsets = await this.guard(this.admin.fetchTopicOffsets(this.options.topic));
    const ours = offsets.find((o) => o.partition === 0);
    if (ours === undefined) throw new TokumeiError('TKM_BUS_UNAVAILABLE', 'shared register: partition 0 missing');
    // Retention may have emptied the log: nothing below `low` can be read any more, so don't wait for it.
    this.state.forgetBefore(BigInt(ours.low));
    await this.state.reached(BigInt(ours.high), this.timeoutMs);
  }

  /** Produces durably to the one partition; resolves with the offset of the last record. */
  private async send(messages: readonly Outgoing[]): Promise<bigint> {
    await this.start();
    const metadata = await this.guard(this.producer.send({
      topic: this.options.topic,
      acks: -1,
      timeout: this.timeoutMs,
      messages: messages.map((m) => ({ key: m.key, value: m.value, partition: 0 })),
    }));
    const base = metadata.find((m) => m.partition === 0)?.baseOffset;
    if (base === undefined) throw new TokumeiError('TKM_BUS_UNAVAILABLE', 'shared register: no offset in the produce response');
    return BigInt(base) + BigInt(messages.length - 1);
  }

  private start(): Promise<void> {
    if (this.closed) return Promise.reject(new TokumeiError('TKM_BUS_CLOSED'));
    this.started ??= this.guard(this.connect()).catch((error: unknown) => {
      // A failed start is retried by the next call, not remembered.
      this.started = undefined;
      throw error;
    });
    return this.started;
  }

  private async connect(): Promise<void> {
    const { topic, retentionMs, replication } = this.options;
    await this.admin.connect();
    await ensureTopic(this.admin, {
      topic, partitions: 1, replicationFactor: replication, config: registerTopicConfig(retentionMs, replication), purpose: 'shared register',
    }, this.log);
    const metadata = await this.admin.fetchTopicMetadata({ topics: [topic] });
    const partitions = metadata.topics[0]?.partitions.length;
    // Kafka cannot remove partitions: a topic made with several has no total order, so refuse it.
    if (partitions !== 1) throw new TokumeiError('TKM_CONFIG', `shared register topic ${topic} has ${partitions} partitions; it needs exactly 1`);
    await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [topic], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatch: ({ batch }) => {
        for (const m of batch.messages) this.state.apply(BigInt(m.offset), m.key?.toString(), m.value);
        // lastOffset() also covers records the client filtered out, which must not be waited for.
        this.state.advance(BigInt(batch.lastOffset()) + 1n);
        return Promise.resolve();
      },
    });
  }

  /** Kafka failures become TKM_BUS_UNAVAILABLE; the cause carries only the client's message, never a record. */
  private async guard<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      if (error instanceof TokumeiError) throw error;
      throw new TokumeiError('TKM_BUS_UNAVAILABLE', `shared register: ${errorText(error)}`, { cause: error });
    }
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : 'unknown error';
}
