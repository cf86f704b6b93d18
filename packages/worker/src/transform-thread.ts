import v8 from 'node:v8';
import vm from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { Pseudonymizer, forgetKey, loadCountryLookup, type PseudonymizeOptions, type SaltSource } from '@tokumei/privacy';
import { transformBatch } from './transform-batch.js';
import type { FromThread, ToThread } from './transform-pool.js';

/**
 * One thread of a TransformPool: the privacy engine on its own core. It holds no salt of its own: each salt is asked
 * of the parent's SaltStore, and forgotten when the next batch arrives, so a salt the parent destroys is not used
 * past the batch in hand and nothing is written anywhere by this thread.
 */
const port = parentPort;
if (port === null) throw new Error('transform-thread runs as a worker thread');
const { options, geo } = workerData as { options: PseudonymizeOptions; geo: boolean };

let nextAsk = 0;
const asked = new Map<number, (salt: Buffer | undefined) => void>();
let salts = new Map<string, Promise<Buffer | undefined>>();
const source: SaltSource = {
  saltFor(day, run) {
    const key = `${day}\u0000${run ?? ''}`;
    let salt = salts.get(key);
    if (salt === undefined) {
      const id = (nextAsk += 1);
      salt = new Promise((resolve) => asked.set(id, resolve));
      salts.set(key, salt);
      port.postMessage({ type: 'salt', id, day, run } satisfies FromThread);
    }
    return salt;
  },
};
const pseudonymizer = new Pseudonymizer(source, options, geo ? loadCountryLookup() : undefined);

/**
 * Each batch's strings and rows are garbage once its rows are sent, but they outlived young collections while the
 * batch was pseudonymized, so they die in the old generation, which V8 lets grow to several times what is live (as
 * on the importer's main thread, packages/import/src/heap.ts). Between batches, past this floor or a quarter over
 * what the last forced collection left, one runs (`gc` from a context of its own, the thread's global untouched).
 */
const HEAP_FLOOR_BYTES = 64 * 1024 * 1024;
let heapLimit = HEAP_FLOOR_BYTES;
let collect: (() => void) | undefined;
function checkHeap(): void {
  if (v8.getHeapStatistics().used_heap_size < heapLimit) return;
  if (collect === undefined) {
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as () => void;
  }
  collect();
  heapLimit = Math.max(HEAP_FLOOR_BYTES, v8.getHeapStatistics().used_heap_size * 1.25);
}

port.on('message', (message: ToThread) => {
  if (message.type === 'salt') {
    const salt = message.salt;
    asked.get(message.id)?.(salt === undefined ? undefined : Buffer.from(salt.buffer, salt.byteOffset, salt.byteLength));
    asked.delete(message.id);
    return;
  }
  // This thread runs one batch at a time: the salts of the last one are wiped, and asked for again.
  for (const salt of salts.values()) {
    void salt.then((bytes) => {
      if (bytes === undefined) return;
      forgetKey(bytes);
      bytes.fill(0);
    });
  }
  salts = new Map();
  const data = Buffer.from(message.data);
  const ends = new Uint32Array(message.ends);
  const values: string[] = [];
  for (let i = 0, start = 0; i < ends.length; i += 1) {
    const end = ends[i] ?? start;
    values.push(data.toString('utf8', start, end));
    start = end;
  }
  transformBatch(pseudonymizer, values).then(
    (output) => {
      port.postMessage({ type: 'done', id: message.id, output } satisfies FromThread, [output.events.buffer as ArrayBuffer]);
      checkHeap();
    },
    (error: unknown) => port.postMessage({ type: 'error', id: message.id, message: error instanceof Error ? error.message : String(error) } satisfies FromThread),
  );
});
