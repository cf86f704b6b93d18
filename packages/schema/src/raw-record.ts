import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/**
 * The record ingest and the importer publish to the raw topic, and the worker consumes. It still holds personal data
 * (IP, user agent, sid), so it lives only in memory and in the raw topic, whose retention is short. `v` lets a worker
 * refuse records from a newer producer instead of misreading them.
 *
 * Lengths are UTF-16 code units (`String.length`, what TypeBox counts). Ingest's beacon limits (beacon.ts) are counted
 * the same way and are never above these, so a beacon answered 202 is never refused here.
 */
export const RAW_RECORD_VERSION = 1;

export const RawRecordSchema = Type.Object({
  v: Type.Literal(RAW_RECORD_VERSION),
  src: Type.Union([Type.Literal('beacon'), Type.Literal('log')]),
  /** Epoch milliseconds: receipt time for beacons, the line's own time for logs. */
  ts: Type.Integer({ minimum: 0 }),
  site: Type.String({ minLength: 1, maxLength: 255 }),
  url: Type.String({ minLength: 1, maxLength: 8192 }),
  ref: Type.Optional(Type.String({ maxLength: 8192 })),
  sid: Type.Optional(Type.String({ maxLength: 128 })),
  event: Type.String({ minLength: 1, maxLength: 64 }),
  w: Type.Optional(Type.Integer({ minimum: 0 })),
  lang: Type.Optional(Type.String({ maxLength: 35 })),
  /**
   * Custom properties, engaged ms and scroll %: optional, so records stay v1 (an older worker ignores them). Bounds
   * are the beacon's or wider (the importer never sets them), so the worker never refuses what ingest accepted.
   */
  props: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 1024 }), { maxProperties: 64 })),
  em: Type.Optional(Type.Integer({ minimum: 0, maximum: 24 * 3600 * 1000 })),
  sd: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  ip: Type.String({ maxLength: 64 }),
  ua: Type.String({ maxLength: 1024 }),
  /** `DNT: 1` was sent. */
  dnt: Type.Boolean(),
  /** `Sec-GPC: 1` was sent. */
  gpc: Type.Boolean(),
  /**
   * Import run id (`tokumei import`): days older than the salt store keeps are hashed with salts that exist only for
   * this run. Optional and the object schema allows unknown fields, so records stay v1 and an older worker ignores it.
   */
  run: Type.Optional(Type.String({ pattern: '^[0-9a-f]{8,32}$' })),
});

export type RawRecord = Static<typeof RawRecordSchema>;

const check = TypeCompiler.Compile(RawRecordSchema);

export function encodeRawRecord(record: RawRecord): Buffer {
  return Buffer.from(JSON.stringify(record));
}

export type DecodeResult = { ok: true; record: RawRecord } | { ok: false; reason: string };

/** Never throws: a record that cannot be read is a result the worker routes, not a crash. */
export function decodeRawRecord(bytes: Buffer | Uint8Array | string): DecodeResult {
  let value: unknown;
  try {
    // A view, not a copy, of the bytes (Buffer.from(bytes) copies them): the same text, one allocation less.
    const text = typeof bytes === 'string' ? bytes
      : (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('utf8');
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof value === 'object' && value !== null && 'v' in value && value.v !== RAW_RECORD_VERSION) {
    // Only a small integer is echoed: anything else could be data from a broken producer.
    const version = Number.isInteger(value.v) && Math.abs(Number(value.v)) < 1000 ? ` ${String(value.v)}` : '';
    return { ok: false, reason: `unsupported record version${version}` };
  }
  if (!check.Check(value)) {
    const first = check.Errors(value).First();
    // The path names a field; the value is never echoed because it may be an IP or user agent.
    return { ok: false, reason: `invalid field ${first?.path ?? '(root)'}` };
  }
  return { ok: true, record: value };
}

/**
 * Partition key: one session's (or, without a sid, one client's) records stay in order on one partition. Hashed only
 * to give a short key of fixed length: it is no privacy measure. An unsalted SHA-256 of site and IP is reversed by
 * trying every IPv4 address, and the record it keys carries the IP and user agent in the clear anyway. Like that
 * record it exists only on the raw topic, for the raw retention (TOKUMEI_RAW_RETENTION_MS); the embedded journal
 * keeps values only and the worker never stores a key, so keying the hash would protect nothing the value exposes.
 */
export function partitionKey(record: Pick<RawRecord, 'site' | 'sid' | 'ip'>): string {
  return createHash('sha256').update(`${record.site}\u0000${record.sid ?? record.ip}`).digest('base64url').slice(0, 16);
}
