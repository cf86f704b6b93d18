import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashKey, keyedHash64 } from '@tokumei/privacy';

/** The hash as node:crypto computes it: what keyed-hash.ts computed before it ran SHA-256 in JavaScript. */
function reference(salt: Buffer, parts: readonly string[]): string {
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

// Any UTF-16 string, lone surrogates included (both encoders write them as U+FFFD).
const part = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 120 }), fc.string({ unit: fc.constantFrom('a', '\ud800', '\udc00', '漢', '😀'), maxLength: 80 }));

describe('keyedHash64 is HMAC-SHA256 as node:crypto computes it', () => {
  it('on random salts and parts', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.array(part, { maxLength: 6 }), (salt, parts) => {
      const key = Buffer.from(salt);
      expect(keyedHash64(key, parts)).toBe(reference(key, parts));
    }), { numRuns: 3000 });
  });

  it('on every message length around the block boundaries, and keys of other lengths', () => {
    const salt = randomBytes(32);
    for (let length = 0; length <= 300; length++) {
      const parts = ['visitor', 'x'.repeat(length)];
      expect(keyedHash64(salt, parts)).toBe(reference(salt, parts));
    }
    for (const size of [0, 1, 31, 33, 63, 64, 65, 200]) {
      const key = randomBytes(size);
      expect(keyedHash64(key, ['session', 'example.com', 'sid'])).toBe(reference(key, ['session', 'example.com', 'sid']));
    }
  });

  it('for both hashes of a record under one key, and for long agents', () => {
    const salt = randomBytes(32);
    const key = hashKey(salt);
    const agent = 'Mozilla/5.0 '.repeat(400);
    expect(key.hash(['session', 'example.com', 'abc'])).toBe(reference(salt, ['session', 'example.com', 'abc']));
    expect(key.hash(['visitor', 'example.com', '2001:db8::1', agent])).toBe(reference(salt, ['visitor', 'example.com', '2001:db8::1', agent]));
    key.wipe();
    // A wiped key is no key any more: it hashes as the all-zero states would, never as the salt.
    expect(key.hash(['session', 'example.com', 'abc'])).not.toBe(reference(salt, ['session', 'example.com', 'abc']));
  });
});
