import { describe, it, expect } from 'vitest';
import type { ConsumedMessage } from '@tokumei/bus';
import { cutChunks, dedupToken, type Chunk, type OffsetRange } from '@tokumei/worker';

/** Messages at the given offsets (inclusive range), values irrelevant. */
function offsets(first: number, last: number): ConsumedMessage[] {
  const out: ConsumedMessage[] = [];
  for (let o = first; o <= last; o += 1) out.push({ offset: BigInt(o), value: Buffer.from(`m${o}`) });
  return out;
}

/** A pending range: recorded before its insert, not yet acknowledged. */
function range(first: number, last: number): OffsetRange {
  return { first: BigInt(first), last: BigInt(last), done: false };
}

function doneRange(first: number, last: number): OffsetRange {
  return { first: BigInt(first), last: BigInt(last), done: true };
}

/** A compact view of chunks: [first, last, recorded (not new), partial, message count]. */
function shape(chunks: readonly Chunk[]): [number, number, boolean, boolean, number][] {
  return chunks.map((c) => [Number(c.first), Number(c.last), c.action !== 'new', c.partial, c.messages.length]);
}

describe('cutChunks without recorded ranges', () => {
  it('cuts chunks of at most max, in order, covering every message once', () => {
    const messages = offsets(10, 24);
    const chunks = cutChunks(messages, [], 4);
    expect(shape(chunks)).toEqual([
      [10, 13, false, false, 4], [14, 17, false, false, 4], [18, 21, false, false, 4], [22, 24, false, false, 3],
    ]);
    expect(chunks.flatMap((c) => c.messages)).toEqual(messages);
    for (const c of chunks) {
      expect(c.messages[0]?.offset).toBe(c.first);
      expect(c.messages[c.messages.length - 1]?.offset).toBe(c.last);
    }
  });

  it('gives one chunk when everything fits, and none for no messages', () => {
    expect(shape(cutChunks(offsets(0, 2), [], 10))).toEqual([[0, 2, false, false, 3]]);
    expect(cutChunks([], [range(0, 5)], 10)).toEqual([]);
  });

  it('handles max = 1', () => {
    expect(shape(cutChunks(offsets(5, 7), [], 1))).toEqual([[5, 5, false, false, 1], [6, 6, false, false, 1], [7, 7, false, false, 1]]);
  });
});

describe('cutChunks with recorded ranges', () => {
  it('makes the first chunk exactly a recorded range that starts at the first offset', () => {
    const chunks = cutChunks(offsets(100, 119), [range(100, 104)], 10);
    expect(shape(chunks)).toEqual([[100, 104, true, false, 5], [105, 114, false, false, 10], [115, 119, false, false, 5]]);
  });

  it('keeps a recorded range whole even when it is longer than max', () => {
    const chunks = cutChunks(offsets(0, 9), [range(0, 7)], 3);
    expect(shape(chunks)[0]).toEqual([0, 7, true, false, 8]);
  });

  it('marks a recorded range longer than the messages as partial', () => {
    const chunks = cutChunks(offsets(0, 4), [range(0, 9)], 100);
    expect(shape(chunks)).toEqual([[0, 4, true, true, 5]]);
  });

  it('stops new chunks before a later recorded range, then reuses that range', () => {
    const chunks = cutChunks(offsets(0, 19), [range(6, 9), range(14, 15)], 100);
    expect(shape(chunks)).toEqual([
      [0, 5, false, false, 6], [6, 9, true, false, 4], [10, 13, false, false, 4], [14, 15, true, false, 2], [16, 19, false, false, 4],
    ]);
  });

  it('stops before the nearest later range whatever order the ranges come in', () => {
    const chunks = cutChunks(offsets(0, 9), [range(7, 9), range(3, 4)], 100);
    expect(shape(chunks)).toEqual([[0, 2, false, false, 3], [3, 4, true, false, 2], [5, 6, false, false, 2], [7, 9, true, false, 3]]);
  });

  it('ignores ranges that end before the messages', () => {
    expect(shape(cutChunks(offsets(10, 12), [range(0, 9)], 100))).toEqual([[10, 12, false, false, 3]]);
  });

  it('respects offset gaps inside a recorded range', () => {
    const messages = [...offsets(0, 1), ...offsets(4, 6)]; // 2 and 3 missing (compacted / control records)
    expect(shape(cutChunks(messages, [range(0, 4)], 100))).toEqual([[0, 4, true, false, 3], [5, 6, false, false, 2]]);
  });
});

describe('cutChunks with done ranges', () => {
  it('skips every message inside a done range, however the batch starts', () => {
    const chunks = cutChunks(offsets(3, 12), [doneRange(0, 7)], 100);
    expect(chunks.map((c) => [Number(c.first), Number(c.last), c.action])).toEqual([[3, 7, 'skip'], [8, 12, 'new']]);
  });

  it('retries a pending range with its own boundaries and skips a done one', () => {
    const chunks = cutChunks(offsets(0, 9), [doneRange(0, 3), range(4, 6)], 100);
    expect(chunks.map((c) => [Number(c.first), Number(c.last), c.action])).toEqual([[0, 3, 'skip'], [4, 6, 'retry'], [7, 9, 'new']]);
  });

  it('does not treat a batch starting inside a pending range as that range', () => {
    const chunks = cutChunks(offsets(5, 9), [range(0, 7)], 100);
    expect(chunks.map((c) => [Number(c.first), Number(c.last), c.action])).toEqual([[5, 9, 'new']]);
  });
});

describe('dedupToken', () => {
  it('is equal for equal ranges and names topic, partition, range and table', () => {
    const a = dedupToken('tokumei.raw', 2, { first: 10n, last: 19n }, 'events');
    expect(a).toBe(dedupToken('tokumei.raw', 2, { first: 10n, last: 19n }, 'events'));
    expect(a).toBe('tokumei.raw:2:10-19:events');
  });

  it('differs when anything differs', () => {
    const a = dedupToken('tokumei.raw', 2, { first: 10n, last: 19n }, 'events');
    const others = [
      dedupToken('tokumei.raw2', 2, { first: 10n, last: 19n }, 'events'),
      dedupToken('tokumei.raw', 3, { first: 10n, last: 19n }, 'events'),
      dedupToken('tokumei.raw', 2, { first: 11n, last: 19n }, 'events'),
      dedupToken('tokumei.raw', 2, { first: 10n, last: 18n }, 'events'),
      dedupToken('tokumei.raw', 2, { first: 10n, last: 19n }, 'bots'),
    ];
    expect(new Set([a, ...others]).size).toBe(6);
  });

  it('gives a redelivered recorded chunk the token of the original insert', () => {
    const original = cutChunks(offsets(50, 80), [], 10)[1];
    const redelivered = cutChunks(offsets(60, 95), [range(60, 69)], 25)[0];
    if (original === undefined || redelivered === undefined) throw new Error('missing chunk');
    expect(dedupToken('t', 0, redelivered, 'events')).toBe(dedupToken('t', 0, original, 'events'));
  });
});
