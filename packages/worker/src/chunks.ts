import type { ConsumedMessage } from '@tokumei/bus';

/** An offset range (inclusive) recorded before its rows were inserted; `done` once the insert was acknowledged. */
export interface OffsetRange {
  readonly first: bigint;
  readonly last: bigint;
  readonly done: boolean;
}

export interface Chunk {
  readonly messages: readonly ConsumedMessage[];
  readonly first: bigint;
  readonly last: bigint;
  /**
   * `new`: cut now, to be recorded and inserted. `retry`: a recorded range whose insert may or may not have landed,
   * inserted again with the same token. `skip`: inside a range whose rows are stored; only the commit is left.
   */
  readonly action: 'new' | 'retry' | 'skip';
  /** A `retry` range the batch does not fully hold (see packages/worker/README.md). */
  readonly partial: boolean;
}

function containing(recorded: readonly OffsetRange[], offset: bigint): OffsetRange | undefined {
  return recorded.find((r) => r.first <= offset && offset <= r.last && (r.done || r.first === offset));
}

/**
 * Cuts one partition's messages into insert chunks. Messages inside a done range are skipped; a pending range is cut
 * exactly as recorded, so its deduplication token matches the earlier attempt; elsewhere chunks hold at most `max`
 * messages and stop before the next recorded range.
 */
export function cutChunks(messages: readonly ConsumedMessage[], recorded: readonly OffsetRange[], max: number): Chunk[] {
  const chunks: Chunk[] = [];
  let i = 0;
  while (i < messages.length) {
    const start = messages[i];
    if (start === undefined) break;
    const range = containing(recorded, start.offset);
    const nextRecorded = recorded.filter((r) => r.first > start.offset).reduce<bigint | undefined>(
      (min, r) => (min === undefined || r.first < min ? r.first : min), undefined);
    const limit = range?.last ?? (nextRecorded === undefined ? undefined : nextRecorded - 1n);
    let end = i;
    while (end + 1 < messages.length) {
      const offset = messages[end + 1]?.offset;
      if (offset === undefined || (limit !== undefined && offset > limit)) break;
      if (range === undefined && end + 1 - i >= max) break;
      end += 1;
    }
    const slice = messages.slice(i, end + 1);
    const last = slice[slice.length - 1]?.offset ?? start.offset;
    const action = range === undefined ? 'new' : range.done ? 'skip' : 'retry';
    chunks.push({ messages: slice, first: start.offset, last, action, partial: action === 'retry' && last < (range?.last ?? last) });
    i = end + 1;
  }
  return chunks;
}

/** The insert's deduplication token: the same chunk of the same partition always yields the same token. */
export function dedupToken(topic: string, partition: number, chunk: Pick<Chunk, 'first' | 'last'>, table: string): string {
  return `${topic}:${partition}:${chunk.first}-${chunk.last}:${table}`;
}
