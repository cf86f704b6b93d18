import { compress, compressDigest, finish, initState } from './sha256.js';

/**
 * HMAC-SHA256 over length-prefixed parts, truncated to 64 bits and returned as a decimal string (ClickHouse UInt64).
 * Length prefixes make the encoding unambiguous: ("ab", "c") and ("a", "bc") cannot collide, whatever bytes a
 * client puts in a field. 0 is reserved for "no identifier", so a hash that happens to be 0 becomes 1.
 *
 * The same function as `createHmac('sha256', salt)` over the same bytes (RFC 2104, a 32-byte key), computed in
 * JavaScript (sha256.ts): Node's HMAC object costs more to set up than the hashing of these short messages. A
 * `HashKey` holds the key's padded inner and outer states (HMAC's two key blocks, hashed once per salt, not twice
 * per hash); it lives as long as its salt (hashKey below).
 */
export interface HashKey {
  hash(parts: readonly string[]): string;
  /** Overwrites the key's states. */
  wipe(): void;
}

const BLOCK = 64;
/** Room for the length prefixes and the padding after a message. */
const SLACK = 4 * 8 + 72;

/**
 * The message is written here (one thread runs one hash at a time) and overwritten with zeros right after, so the
 * record's IP and agent do not stay in it.
 */
let scratch = Buffer.alloc(4096);
const state = new Int32Array(8);
const digest = new Int32Array(8);
const block = new Uint8Array(BLOCK);

/** UTF-8 of `text` at `at`; ASCII is copied in JavaScript (most parts are short, a native call costs more). */
function put(bytes: Buffer, text: string, at: number): number {
  const n = text.length;
  if (n <= 256) {
    let i = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) break;
      bytes[at + i] = c;
    }
    if (i === n) return n;
  }
  return bytes.write(text, at, 'utf8');
}

class Hmac256 implements HashKey {
  private readonly inner = new Int32Array(8);
  private readonly outer = new Int32Array(8);

  constructor(salt: Uint8Array) {
    // RFC 2104: a key longer than the block is hashed first; salts are 32 bytes, anything else is hashed the same way.
    const key = salt.length > BLOCK ? sha256(salt) : salt;
    for (let i = 0; i < BLOCK; i++) block[i] = (key[i] ?? 0) ^ 0x36;
    initState(this.inner);
    compress(this.inner, block, 0);
    for (let i = 0; i < BLOCK; i++) block[i] = (key[i] ?? 0) ^ 0x5c;
    initState(this.outer);
    compress(this.outer, block, 0);
    block.fill(0);
  }

  hash(parts: readonly string[]): string {
    let bound = SLACK;
    for (const part of parts) bound += 4 + part.length * 3;
    if (bound > scratch.length) scratch = Buffer.alloc(bound * 2);
    const bytes = scratch;
    let length = 0;
    for (const part of parts) {
      const written = put(bytes, part, length + 4);
      bytes[length] = written >>> 24;
      bytes[length + 1] = (written >>> 16) & 0xff;
      bytes[length + 2] = (written >>> 8) & 0xff;
      bytes[length + 3] = written & 0xff;
      length += 4 + written;
    }
    state.set(this.inner);
    finish(state, bytes, length, BLOCK);
    bytes.fill(0, 0, length + 72);
    digest.set(state);
    state.set(this.outer);
    compressDigest(state, digest);
    const value = (BigInt((state[0] ?? 0) >>> 0) << 32n) | BigInt((state[1] ?? 0) >>> 0);
    state.fill(0);
    digest.fill(0);
    return value === 0n ? '1' : value.toString();
  }

  wipe(): void {
    this.inner.fill(0);
    this.outer.fill(0);
  }
}

/** Plain SHA-256 of a byte string (for keys longer than a block). */
function sha256(bytes: Uint8Array): Uint8Array {
  const buffer = Buffer.alloc(bytes.length + 72);
  buffer.set(bytes);
  const state = new Int32Array(8);
  initState(state);
  finish(state, buffer, bytes.length, 0);
  const out = Buffer.alloc(32);
  for (let i = 0; i < 8; i++) out.writeInt32BE(state[i] ?? 0, i * 4);
  return out;
}

/**
 * The key prepared from a salt, remembered as long as that salt's buffer lives (a WeakMap keyed by the buffer: a new
 * day's salt is a new buffer, so nothing carries over a rotation). The salt store calls forgetKey() where it wipes a
 * salt, so the prepared states are wiped with it.
 */
const prepared = new WeakMap<Uint8Array, Hmac256>();

export function hashKey(salt: Uint8Array): HashKey {
  let key = prepared.get(salt);
  if (key === undefined) {
    key = new Hmac256(salt);
    prepared.set(salt, key);
  }
  return key;
}

/** Wipes and forgets the key prepared from `salt` (before the salt itself is wiped). */
export function forgetKey(salt: Uint8Array): void {
  prepared.get(salt)?.wipe();
  prepared.delete(salt);
}

export function keyedHash64(salt: Buffer, parts: readonly string[]): string {
  const key = new Hmac256(salt);
  try {
    return key.hash(parts);
  } finally {
    key.wipe();
  }
}
