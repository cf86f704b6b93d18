import type { ConsumedMessage } from '@tokumei/bus';

/** An offset range (inclusive) that was recorded before its rows were inserted. */
export interface OffsetRange {
  readonly first: bigint;
  readonly last: bigint;
}

export interface Chunk {
  readonly messages: readonly ConsumedMessage[];
  readonly first: bigint;
  readonly last: bigint;
  /** Already in ingest_ranges: this is a redelivery of a chunk that may have been inserted. */
  readonly recorded: boolean;
  /** A recorded range the batch did not fully hold (see services/worker/README.md). */
  readonly partial: boolean;
}

/**
 * Cuts one partition's messages into insert chunks. Where a recorded range starts, the chunk is exactly that range,
 * so its deduplication token matches the earlier insert; elsewhere chunks hold at most `max` messages and stop
 * before the next recorded range.
 */
export function cutChunks(messages: readonly ConsumedMessage[], recorded: readonly OffsetRange[], max: number): Chunk[] {
  const chunks: Chunk[] = [];
  let i = 0;
  while (i < messages.length) {
    const start = messages[i];
    if (start === undefined) break;
    const range = recorded.find((r) => r.first === start.offset);
    let end = i;
    if (range !== undefined) {
      while (end + 1 < messages.length && (messages[end + 1]?.offset ?? range.last + 1n) <= range.last) end += 1;
    } else {
      const nextRecorded = recorded.filter((r) => r.first > start.offset).reduce<bigint | undefined>(
        (min, r) => (min === undefined || r.first < min ? r.first : min), undefined);
      while (end + 1 < messages.length && end + 1 - i < max
        && (nextRecorded === undefined || (messages[end + 1]?.offset ?? nextRecorded) < nextRecorded)) end += 1;
    }
    const slice = messages.slice(i, end + 1);
    const last = slice[slice.length - 1]?.offset ?? start.offset;
    chunks.push({
      messages: slice,
      first: start.offset,
      last,
      recorded: range !== undefined,
      partial: range !== undefined && last < range.last,
    });
    i = end + 1;
  }
  return chunks;
}

/** The insert's deduplication token: the same chunk of the same partition always yields the same token. */
export function dedupToken(topic: string, partition: number, chunk: Pick<Chunk, 'first' | 'last'>, table: string): string {
  return `${topic}:${partition}:${chunk.first}-${chunk.last}:${table}`;
}
