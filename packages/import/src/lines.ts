import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGunzip } from 'node:zlib';

/** Longer lines are reported as bad rather than buffered: no access-log line is legitimately this long. */
export const MAX_LINE_BYTES = 64 * 1024;

export interface LineBatch {
  /** Lines without their end of line; `undefined` for a line longer than MAX_LINE_BYTES. */
  readonly lines: (string | undefined)[];
  /** Byte offset (of the uncompressed stream) just after each line. */
  readonly ends: number[];
  /** Bytes of the input read so far (compressed bytes for .gz), for progress and ETA. */
  readonly inputBytes: number;
  /** Following a file and waiting for it to grow: a moment to send what is pending. */
  readonly idle?: boolean;
}

export type LineInput =
  | { readonly kind: 'file'; readonly path: string; readonly gzip: boolean }
  | { readonly kind: 'stream'; readonly stream: Readable };

export interface ReadOptions {
  /** Uncompressed byte offset to start at (a checkpoint). */
  readonly start: number;
  readonly follow?: boolean;
  readonly signal?: AbortSignal;
  /** How often a followed file is checked for growth. */
  readonly pollMs?: number;
}

const CHUNK = 1 << 20;

/** Splits byte chunks into lines, keeping the byte offset of each line's end. */
class Splitter {
  private rest: Buffer | undefined;
  private skipping = false;

  constructor(private offset: number) {}

  push(chunk: Buffer, inputBytes: number): LineBatch {
    const buffer = this.rest === undefined ? chunk : Buffer.concat([this.rest, chunk]);
    const base = this.offset - (this.rest?.length ?? 0);
    const lines: (string | undefined)[] = [];
    const ends: number[] = [];
    let start = 0;
    for (let nl = buffer.indexOf(10, start); nl !== -1; nl = buffer.indexOf(10, start)) {
      if (this.skipping) this.skipping = false;
      else {
        const end = nl > start && buffer[nl - 1] === 13 ? nl - 1 : nl;
        lines.push(end - start > MAX_LINE_BYTES ? undefined : buffer.toString('utf8', start, end));
        ends.push(base + nl + 1);
      }
      start = nl + 1;
    }
    this.offset = base + buffer.length;
    this.rest = start < buffer.length ? buffer.subarray(start) : undefined;
    if (this.rest !== undefined && this.rest.length > MAX_LINE_BYTES) {
      // Report the long line once, at its end, without holding it.
      if (!this.skipping) {
        lines.push(undefined);
        ends.push(this.offset);
      }
      this.skipping = true;
      this.rest = undefined;
    }
    return { lines, ends, inputBytes };
  }

  /** The last line when the input ends without a newline. */
  end(inputBytes: number): LineBatch | undefined {
    const rest = this.rest;
    this.rest = undefined;
    if (rest === undefined || this.skipping) return undefined;
    return { lines: [rest.toString('utf8').replace(/\r$/, '')], ends: [this.offset], inputBytes };
  }
}

async function* plainFile(path: string, options: ReadOptions): AsyncGenerator<LineBatch> {
  const handle = await fs.promises.open(path, 'r');
  try {
    const opened = await handle.stat();
    const splitter = new Splitter(options.start);
    const buffer = Buffer.allocUnsafe(CHUNK);
    let position = options.start;
    for (;;) {
      if (options.signal?.aborted === true) return;
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, position);
      if (bytesRead > 0) {
        position += bytesRead;
        // A copy: the next read reuses the buffer while a partial line may still point into it.
        yield splitter.push(Buffer.from(buffer.subarray(0, bytesRead)), position);
        continue;
      }
      if (options.follow !== true) break;
      // Rotated (the path is another file now) or truncated: this file is done; the caller opens the path again.
      const current = await fs.promises.stat(path).catch(() => undefined);
      if (current !== undefined && (current.ino !== opened.ino || current.dev !== opened.dev || current.size < position)) break;
      yield { lines: [], ends: [], inputBytes: position, idle: true };
      await sleep(options.pollMs ?? 500, undefined, { signal: options.signal }).catch(() => undefined);
    }
    const last = splitter.end(position);
    if (last !== undefined) yield last;
  } finally {
    await handle.close();
  }
}

async function* streamed(stream: Readable, options: ReadOptions, counted?: () => number): AsyncGenerator<LineBatch> {
  const splitter = new Splitter(options.start);
  let seen = 0;
  for await (const data of stream) {
    if (options.signal?.aborted === true) {
      stream.destroy();
      return;
    }
    let chunk = typeof data === 'string' ? Buffer.from(data) : (data as Buffer);
    // Compressed input cannot be sought: decompress from the start and drop what the checkpoint already covers.
    if (seen < options.start) {
      const drop = Math.min(chunk.length, options.start - seen);
      seen += drop;
      chunk = chunk.subarray(drop);
      if (chunk.length === 0) continue;
    }
    seen += chunk.length;
    yield splitter.push(chunk, counted?.() ?? seen);
  }
  const last = splitter.end(counted?.() ?? seen);
  if (last !== undefined) yield last;
}

/** Lines of a plain or gzip file, or of a stream (stdin), from a byte offset on. */
export function readLines(input: LineInput, options: ReadOptions): AsyncGenerator<LineBatch> {
  if (input.kind === 'stream') return streamed(input.stream, options);
  if (!input.gzip) return plainFile(input.path, options);
  const raw = fs.createReadStream(input.path, { highWaterMark: CHUNK });
  const gunzip = createGunzip({ chunkSize: CHUNK });
  raw.on('error', (error) => gunzip.destroy(error));
  return streamed(raw.pipe(gunzip), options, () => raw.bytesRead);
}

/** gzip's magic bytes, so a compressed file is recognised whatever its name. */
export function isGzip(path: string): boolean {
  const fd = fs.openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    return fs.readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    fs.closeSync(fd);
  }
}
