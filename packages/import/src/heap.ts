import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * Below this much live JS heap an import never forces a collection. 32 MB rather than 64: the heap's first growth,
 * before any forced collection, was the early peak of 1 M lines with 8 KB agents (505 MB at 9 % with 64, 465 with
 * 32), for about the same CPU per line.
 */
export const HEAP_FLOOR_BYTES = 32 * 1024 * 1024;
/** Headroom over what the last forced collection left: the garbage of about one batch. */
const HEADROOM = 1.25;

let collect: (() => void) | undefined;

/**
 * A full collection on demand. `--expose-gc` set at run time exposes `gc` to contexts created afterwards; the
 * process's own global is left alone, so nothing else sees the flag.
 */
function fullCollection(): () => void {
  if (collect === undefined) {
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as () => void;
  }
  return collect;
}

/**
 * Keeps an import's JS heap near its live size. Every batch outlives a few young-generation collections (its records
 * are held while the worker stores them), so it is promoted and dies in the old generation, and V8 lets that garbage
 * grow to several times the live heap before it collects: 139 MB of heap (and 60 MB of Buffers awaiting their
 * wrappers' collection) for 43 MB live, measured on 100 k lines with 8 KB agents. Checked between batches, a full
 * collection runs only once the heap in use passes the floor or a quarter over what the last one left.
 */
export class HeapBudget {
  private limit: number;
  /** Forced collections so far (for the report and the tests). */
  collections = 0;

  constructor(private readonly floorBytes = HEAP_FLOOR_BYTES) {
    this.limit = floorBytes;
  }

  check(): void {
    if (v8.getHeapStatistics().used_heap_size < this.limit) return;
    fullCollection()();
    this.collections += 1;
    this.limit = Math.max(this.floorBytes, v8.getHeapStatistics().used_heap_size * HEADROOM);
  }
}
