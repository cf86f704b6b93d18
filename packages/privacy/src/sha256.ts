/**
 * SHA-256's compression function (FIPS 180-4) in plain JavaScript, for keyed-hash.ts. Node's `createHmac` costs
 * more in object and key setup than the hashing itself for the short messages the worker hashes (two per record):
 * this runs the same HMAC-SHA256 without leaving JavaScript. Equality with node:crypto on random inputs is tested
 * (test/keyed-hash-equivalence.test.ts).
 */

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const W = new Int32Array(64);

/** Resets an 8-word state to SHA-256's initial value. */
export function initState(state: Int32Array): void {
  state.set(IV);
}

/** Folds the 64-byte block at `offset` of `bytes` into `state`. */
export function compress(state: Int32Array, bytes: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++) {
    const j = offset + i * 4;
    W[i] = ((bytes[j] ?? 0) << 24) | ((bytes[j + 1] ?? 0) << 16) | ((bytes[j + 2] ?? 0) << 8) | (bytes[j + 3] ?? 0);
  }
  rounds(state);
}

/**
 * Folds HMAC's outer message into `state`: the 32-byte inner digest `inner`, padded, after the 64-byte key block
 * (768 bits in all), as words: no bytes to write and read back.
 */
export function compressDigest(state: Int32Array, inner: Int32Array): void {
  for (let i = 0; i < 8; i++) W[i] = inner[i] ?? 0;
  W[8] = 0x80000000 | 0;
  for (let i = 9; i < 15; i++) W[i] = 0;
  W[15] = 768;
  rounds(state);
}

function rounds(state: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const x = W[i - 15] ?? 0;
    const y = W[i - 2] ?? 0;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    W[i] = ((W[i - 16] ?? 0) + s0 + (W[i - 7] ?? 0) + s1) | 0;
  }
  let a = state[0] ?? 0;
  let b = state[1] ?? 0;
  let c = state[2] ?? 0;
  let d = state[3] ?? 0;
  let e = state[4] ?? 0;
  let f = state[5] ?? 0;
  let g = state[6] ?? 0;
  let h = state[7] ?? 0;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + (K[i] ?? 0) + (W[i] ?? 0)) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = ((state[0] ?? 0) + a) | 0;
  state[1] = ((state[1] ?? 0) + b) | 0;
  state[2] = ((state[2] ?? 0) + c) | 0;
  state[3] = ((state[3] ?? 0) + d) | 0;
  state[4] = ((state[4] ?? 0) + e) | 0;
  state[5] = ((state[5] ?? 0) + f) | 0;
  state[6] = ((state[6] ?? 0) + g) | 0;
  state[7] = ((state[7] ?? 0) + h) | 0;
}

/**
 * Pads the message in `bytes[0, length)` in place (the buffer needs 72 bytes of room after it) and folds every block
 * into `state`. `prefixBytes` counts what was folded in before (HMAC's 64-byte key block), for the length field.
 */
export function finish(state: Int32Array, bytes: Uint8Array, length: number, prefixBytes: number): void {
  let end = length;
  bytes[end++] = 0x80;
  while ((end & 63) !== 56) bytes[end++] = 0;
  const bits = (length + prefixBytes) * 8;
  const high = Math.floor(bits / 0x1_0000_0000);
  const low = bits >>> 0;
  bytes[end] = high >>> 24;
  bytes[end + 1] = (high >>> 16) & 0xff;
  bytes[end + 2] = (high >>> 8) & 0xff;
  bytes[end + 3] = high & 0xff;
  bytes[end + 4] = low >>> 24;
  bytes[end + 5] = (low >>> 16) & 0xff;
  bytes[end + 6] = (low >>> 8) & 0xff;
  bytes[end + 7] = low & 0xff;
  end += 8;
  for (let offset = 0; offset < end; offset += 64) compress(state, bytes, offset);
}
