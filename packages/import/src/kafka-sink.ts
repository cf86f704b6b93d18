import { setTimeout as sleep } from 'node:timers/promises';
import type { KafkaBus, Publisher } from '@tokumei/bus';
import type { Config, Logger } from '@tokumei/config';
import { SaltStore, type SaltRegister } from '@tokumei/privacy';
import type { RecordSink, SinkMessage } from './sink.js';

/**
 * Distributed mode: records go to the raw Kafka topic like ingest's; the worker replicas store them. The run's salts
 * live in the shared salt register, so the import destroys them there once the worker group has committed past
 * every record it published.
 */
export class KafkaSink implements RecordSink {
  readonly kind = 'kafka' as const;
  readonly keyed = true;
  private readonly publisher: Publisher;

  /** `register` opens the shared salt register the worker replicas use (the application knows where it is). */
  constructor(
    private readonly bus: KafkaBus, private readonly config: Config, private readonly logger: Logger,
    private readonly register: () => SaltRegister, private readonly onWait?: (behind: bigint) => void,
  ) {
    this.publisher = bus.publisher();
  }

  async send(_stream: string, first: number, messages: readonly SinkMessage[]): Promise<number> {
    // The publisher refuses more than TOKUMEI_BUS_MAX_PENDING at once (TKM_BUS_FULL): publish in slices it takes.
    const slice = Math.max(1, Math.floor(this.config.busMaxPending / 2));
    for (let i = 0; i < messages.length; i += slice) {
      await this.publisher.publish(messages.slice(i, i + slice).map((m) => ({ key: m.key, value: m.value })));
    }
    return first + messages.length;
  }

  async finish(run: string): Promise<{ saltsDestroyed: number }> {
    await this.publisher.close();
    const target = await this.bus.rawEndOffsets();
    for (let polls = 0; ; polls += 1) {
      const committed = await this.bus.workerOffsets();
      let behind = 0n;
      for (const [partition, end] of target) {
        const done = committed.get(partition) ?? -1n;
        if (done < end) behind += end - (done < 0n ? 0n : done);
      }
      if (behind === 0n) break;
      if (polls % 20 === 0) this.onWait?.(behind);
      await sleep(500);
    }
    const salts = new SaltStore(this.register(), { graceMs: this.config.privacy.saltGraceMs });
    try {
      return { saltsDestroyed: await salts.endRun(run) };
    } catch (error) {
      this.logger.error({ err: error }, 'could not destroy the import run salts; rotate() destroys them within 24 h');
      throw error;
    } finally {
      await salts.close();
    }
  }

  async close(): Promise<void> {
    await this.publisher.close();
    await this.bus.close();
  }
}
