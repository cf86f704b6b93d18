import type { Admin, Kafka } from 'kafkajs';

/**
 * One admin client, connected on first use and shared by every caller after: concurrent first calls wait for the
 * same connection instead of each opening (and leaking) one. close() disconnects it; the next use reconnects.
 */
export class LazyAdmin {
  private connecting: Promise<Admin> | undefined;

  constructor(private readonly kafka: Kafka) {}

  get(): Promise<Admin> {
    if (this.connecting === undefined) {
      const admin = this.kafka.admin();
      const connecting = admin.connect().then(() => admin);
      // A failed connection is retried by the next caller, not remembered.
      connecting.catch(() => { if (this.connecting === connecting) this.connecting = undefined; });
      this.connecting = connecting;
    }
    return this.connecting;
  }

  async close(): Promise<void> {
    const connecting = this.connecting;
    this.connecting = undefined;
    if (connecting !== undefined) await (await connecting.catch(() => undefined))?.disconnect();
  }
}
