import { describe, it, expect } from 'vitest';
import { keyedHash64 } from '@tokumei/privacy';

const SALT_A = Buffer.alloc(32, 1);
const SALT_B = Buffer.alloc(32, 2);
const MAX_U64 = 2n ** 64n;

describe('keyedHash64', () => {
  it('is deterministic for the same salt and parts', () => {
    expect(keyedHash64(SALT_A, ['visitor', 'site', '203.0.113.7', 'ua']))
      .toBe(keyedHash64(Buffer.from(SALT_A), ['visitor', 'site', '203.0.113.7', 'ua']));
  });

  it('changes with the salt', () => {
    expect(keyedHash64(SALT_A, ['session', 'site', 'sid'])).not.toBe(keyedHash64(SALT_B, ['session', 'site', 'sid']));
  });

  it('changes with any part', () => {
    const base = keyedHash64(SALT_A, ['session', 'site', 'sid']);
    expect(keyedHash64(SALT_A, ['visitor', 'site', 'sid'])).not.toBe(base);
    expect(keyedHash64(SALT_A, ['session', 'site2', 'sid'])).not.toBe(base);
    expect(keyedHash64(SALT_A, ['session', 'site', 'sid2'])).not.toBe(base);
  });

  it('is unambiguous across part boundaries (length prefixes)', () => {
    expect(keyedHash64(SALT_A, ['ab', 'c'])).not.toBe(keyedHash64(SALT_A, ['a', 'bc']));
    expect(keyedHash64(SALT_A, ['a', ''])).not.toBe(keyedHash64(SALT_A, ['a']));
    expect(keyedHash64(SALT_A, ['', 'a'])).not.toBe(keyedHash64(SALT_A, ['a', '']));
    // A separator a client could type does not help either.
    expect(keyedHash64(SALT_A, ['a\u0000', 'b'])).not.toBe(keyedHash64(SALT_A, ['a', '\u0000b']));
  });

  it('returns a canonical decimal UInt64 that is never 0', () => {
    for (let i = 0; i < 2000; i += 1) {
      const hash = keyedHash64(SALT_A, ['part', String(i)]);
      expect(hash).toMatch(/^[1-9]\d*$/);
      const value = BigInt(hash);
      expect(value > 0n && value < MAX_U64).toBe(true);
    }
  });

  it('spreads values over the 64-bit range (not a narrow truncation)', () => {
    const values = Array.from({ length: 200 }, (_, i) => BigInt(keyedHash64(SALT_A, [String(i)])));
    expect(new Set(values).size).toBe(200);
    // With 200 uniform 64-bit values, some will be above 2^63 and many above 2^53.
    expect(values.some((v) => v >= 2n ** 63n)).toBe(true);
    expect(values.filter((v) => v > 2n ** 53n).length).toBeGreaterThan(190);
  });
});
