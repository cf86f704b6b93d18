import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * On-disk shape of the embedded journal. A segment file holds frames; a frame is one fsync batch of raw records,
 * encrypted with AES-256-GCM. The header stays readable (so the audit can tell a segment's age and size without any
 * key) and is authenticated as additional data; it holds no personal data: write time, UTC day, offsets, a count.
 *
 *   magic "TKJ1" | writtenAt u64 ms | day 10 ASCII | first offset u64 | count u32 | iv 12 | ciphertext length u32
 *   ciphertext (per record: length u32, bytes) | GCM tag 16
 */
const MAGIC = Buffer.from('TKJ1');
export const HEADER_BYTES = 4 + 8 + 10 + 8 + 4 + 12 + 4;
const TAG_BYTES = 16;
export const SEGMENT_SUFFIX = '.tkj';
/** HKDF label: the journal key is its own key, never the salt the worker hashes identifiers with. */
const KEY_INFO = 'tokumei/embedded-journal/aes-256-gcm/v1';

export interface FrameHeader {
  readonly writtenAt: number;
  readonly day: string;
  readonly first: bigint;
  readonly count: number;
  readonly iv: Buffer;
  readonly length: number;
}

/** The journal key of a day: HKDF-SHA256 of that day's salt. Destroying the salt makes the day's frames unreadable. */
export function journalKey(salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', salt, Buffer.alloc(0), KEY_INFO, 32));
}

export function encodeFrame(key: Buffer, writtenAt: number, day: string, first: bigint, values: readonly Buffer[]): Buffer {
  const plain = Buffer.allocUnsafe(values.reduce((n, v) => n + 4 + v.length, 0));
  let at = 0;
  for (const value of values) {
    at = plain.writeUInt32BE(value.length, at);
    at += value.copy(plain, at);
  }
  const header = Buffer.alloc(HEADER_BYTES);
  const iv = randomBytes(12);
  MAGIC.copy(header, 0);
  header.writeBigUInt64BE(BigInt(writtenAt), 4);
  header.write(day, 12, 10, 'latin1');
  header.writeBigUInt64BE(first, 22);
  header.writeUInt32BE(values.length, 30);
  iv.copy(header, 34);
  header.writeUInt32BE(plain.length, 46);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(header);
  const body = Buffer.concat([header, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  plain.fill(0);
  return body;
}

function readHeaderOnly(bytes: Buffer, at = 0): FrameHeader | undefined {
  if (at + HEADER_BYTES > bytes.length || !bytes.subarray(at, at + 4).equals(MAGIC)) return undefined;
  return {
    writtenAt: Number(bytes.readBigUInt64BE(at + 4)),
    day: bytes.toString('latin1', at + 12, at + 22),
    first: bytes.readBigUInt64BE(at + 22),
    count: bytes.readUInt32BE(at + 30),
    iv: Buffer.from(bytes.subarray(at + 34, at + 46)),
    length: bytes.readUInt32BE(at + 46),
  };
}

/** The frame header at `at`, or undefined where the file holds no whole frame there (a crash while writing it). */
export function readHeader(bytes: Buffer, at: number): FrameHeader | undefined {
  const header = readHeaderOnly(bytes, at);
  return header !== undefined && at + frameBytes(header) <= bytes.length ? header : undefined;
}

export function frameBytes(header: Pick<FrameHeader, 'length'>): number {
  return HEADER_BYTES + header.length + TAG_BYTES;
}

/** The frame's records, or undefined when it does not authenticate under `key` (another key, or damaged). */
export function decodeFrame(key: Buffer, bytes: Buffer, at: number, header: FrameHeader): Buffer[] | undefined {
  const bodyAt = at + HEADER_BYTES;
  const decipher = createDecipheriv('aes-256-gcm', key, header.iv);
  decipher.setAAD(bytes.subarray(at, bodyAt));
  decipher.setAuthTag(bytes.subarray(bodyAt + header.length, bodyAt + header.length + TAG_BYTES));
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(bytes.subarray(bodyAt, bodyAt + header.length)), decipher.final()]);
  } catch {
    return undefined;
  }
  const values: Buffer[] = [];
  for (let i = 0, p = 0; i < header.count && p + 4 <= plain.length; i += 1) {
    const length = plain.readUInt32BE(p);
    values.push(Buffer.from(plain.subarray(p + 4, p + 4 + length)));
    p += 4 + length;
  }
  plain.fill(0);
  return values.length === header.count ? values : undefined;
}

export interface SegmentStat {
  readonly file: string;
  readonly bytes: number;
  readonly mode: number;
  readonly frames: number;
  readonly records: number;
  /** Write time of its first frame (undefined: no whole frame). */
  readonly oldest?: number;
}

export interface JournalStat {
  readonly dir: string;
  readonly exists: boolean;
  readonly dirMode?: number;
  readonly segments: readonly SegmentStat[];
}

/** What the journal directory holds, from the frame headers only (no key needed): for the audit. */
export function inspectJournal(dir: string): JournalStat {
  let dirMode: number;
  try {
    dirMode = fs.statSync(dir).mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { dir, exists: false, segments: [] };
    throw error;
  }
  const segments = fs.readdirSync(dir).filter((f) => f.endsWith(SEGMENT_SUFFIX)).sort().map((name) => {
    const file = path.join(dir, name);
    const fd = fs.openSync(file, 'r');
    try {
      const { size, mode } = fs.fstatSync(fd);
      let frames = 0;
      let records = 0;
      let oldest: number | undefined;
      // Headers only: the audit never reads (or could read) the encrypted records.
      const head = Buffer.alloc(HEADER_BYTES);
      for (let at = 0; at + HEADER_BYTES <= size; ) {
        fs.readSync(fd, head, 0, HEADER_BYTES, at);
        const header = readHeaderOnly(head);
        if (header === undefined || at + frameBytes(header) > size) break;
        frames += 1;
        records += header.count;
        oldest ??= header.writtenAt;
        at += frameBytes(header);
      }
      return { file, bytes: size, mode: mode & 0o777, frames, records, oldest };
    } finally {
      fs.closeSync(fd);
    }
  });
  return { dir, exists: true, dirMode, segments };
}
