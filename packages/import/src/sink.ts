/** A record on its way to the worker: the partition key only matters to Kafka. */
export interface SinkMessage {
  readonly key: string;
  readonly value: Buffer;
}

/**
 * Where imported records go. Each of the three ways (in-process worker, a running instance, Kafka) makes them the
 * same raw records the worker pseudonymizes; only what "durable" means differs.
 */
export interface RecordSink {
  readonly kind: 'in-process' | 'instance' | 'kafka';
  /** Whether messages need a partition key (computing it costs a hash per record). */
  readonly keyed: boolean;
  /**
   * Sends records numbered `first`, `first + 1`, … of a stream. Resolves with the number after the last record that
   * is durable (stored, or acknowledged by Kafka); anything after it must be sent again with what follows.
   */
  send(stream: string, first: number, messages: readonly SinkMessage[]): Promise<number>;
  /**
   * Optional: the batch that will be sent next, handed over while the one before is still being stored, so the sink
   * can start on it (the in-process sink pseudonymizes it in its threads). Whatever `send` is then given is what counts.
   */
  prepare?(messages: readonly SinkMessage[]): void;
  /** Once everything was sent: waits until the worker stored it, then destroys the run's salts. */
  finish(run: string): Promise<{ readonly saltsDestroyed: number }>;
  close(): Promise<void>;
}
