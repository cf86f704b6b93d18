import { createHmac } from 'node:crypto';

/**
 * HMAC-SHA256 over length-prefixed parts, truncated to 64 bits and returned as a decimal string (ClickHouse UInt64).
 * Length prefixes make the encoding unambiguous: ("ab", "c") and ("a", "bc") cannot collide, whatever bytes a
 * client puts in a field. 0 is reserved for "no identifier", so a hash that happens to be 0 becomes 1.
 */
export function keyedHash64(salt: Buffer, parts: readonly string[]): string {
  const hmac = createHmac('sha256', salt);
  for (const part of parts) {
    const bytes = Buffer.from(part, 'utf8');
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(bytes.length);
    hmac.update(length);
    hmac.update(bytes);
  }
  const value = hmac.digest().readBigUInt64BE(0);
  return value === 0n ? '1' : value.toString();
}
