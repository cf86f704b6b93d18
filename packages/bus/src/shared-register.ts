/**
 * A small key → bytes register that several processes share, where the first value written for a key wins: two
 * worker replicas that both create the salt of a new day end up using the same one. Removal is a real deletion
 * from every place the register keeps data, within a bounded time.
 */
export interface SharedRegister {
  /** Every live key with its winning value. */
  load(): Promise<Map<string, Buffer>>;
  /** Offers a value for a key; resolves with the value that won (this one, or one another process wrote first). */
  propose(key: string, value: Buffer): Promise<Buffer>;
  /** Deletes a key and its value. */
  remove(key: string): Promise<void>;
  close(): Promise<void>;
}

export interface SharedRegisterOptions {
  readonly topic: string;
  /** Upper bound on how long any record (value or tombstone) can stay in the topic, whatever compaction does. */
  readonly retentionMs: number;
}
