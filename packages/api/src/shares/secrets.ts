import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual, type BinaryLike, type ScryptOptions } from 'node:crypto';

/**
 * The secrets of a shared link: its token (what the link URL carries), the password's hash, and the session a
 * password buys. Only hashes are stored, so reading the `shared_links` table does not open a dashboard.
 */

/** 256 random bits as base64url: 43 characters, nothing to guess. */
export const newToken = (): string => randomBytes(32).toString('base64url');
export const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;
/** SHA-256, hex: the table's lookup key. A fast hash is enough for 256 random bits (nothing to brute-force). */
export const tokenHash = (token: string): string => createHash('sha256').update(token).digest('hex');
/** 64 random bits, hex: the link's public id (list, revoke, cookie name). */
export const newLinkId = (): string => randomBytes(8).toString('hex');
export const ID_SHAPE = /^[0-9a-f]{16}$/;

/**
 * scrypt with N = 2^15, r = 8, p = 1 (32 MiB, tens of ms here): a person's password needs a slow hash, and the
 * parameters are stored with it so they can grow later. OWASP's floor is N = 2^17 (128 MiB); on a 2-core API that
 * shares its machine with ClickHouse, 128 MiB per attempt would make the password prompt a memory lever, so 2^15
 * plus the attempt throttle (throttle.ts).
 */
const SCRYPT = { logN: 15, r: 8, p: 1, keyLength: 32 } as const;
const STORED = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]{22})\$([A-Za-z0-9_-]{43})$/;

function derive(password: BinaryLike, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  const options: ScryptOptions = { N: 2 ** logN, r, p, maxmem: 256 * 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password, salt, SCRYPT.keyLength, options, (error, key) => (error === null ? resolve(key) : reject(error)));
  });
}

/** `scrypt$logN$r$p$salt$key`, salt 16 random bytes per link, both base64url. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password.normalize('NFC'), salt, SCRYPT.logN, SCRYPT.r, SCRYPT.p);
  return `scrypt$${SCRYPT.logN}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Compares in constant time; a stored value of another shape never matches. */
export async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const m = STORED.exec(stored);
  if (m === null) return false;
  const [, logN, r, p, salt, key] = m as unknown as [string, string, string, string, string, string];
  if (Number(logN) > 20 || Number(r) > 16 || Number(p) > 4) return false;
  const wanted = Buffer.from(key, 'base64url');
  const given = await derive(password.normalize('NFC'), Buffer.from(salt, 'base64url'), Number(logN), Number(r), Number(p));
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** How long a password unlocks a link in one browser. */
export const SESSION_SECONDS = 3600;
export const sessionCookieName = (linkId: string): string => `tokumei_share_${linkId}`;

/**
 * A session is `<expires ms>.<mac>`, the MAC keyed with the link's token (which the table does not hold) over the id,
 * the expiry and the stored password hash (which the token holder does not know): only the server, given both, makes
 * one; no session store, so it holds across restarts and replicas, and revoking the link ends it (every request
 * looks the link up first).
 */
function sessionMac(token: string, linkId: string, expires: number, passwordHash: string): string {
  return createHmac('sha256', token).update(`tokumei-share-session\n${linkId}\n${expires}\n${passwordHash}`).digest('base64url');
}

export function newSession(token: string, linkId: string, passwordHash: string, now: number): { value: string; expires: number } {
  const expires = now + SESSION_SECONDS * 1000;
  return { value: `${expires}.${sessionMac(token, linkId, expires, passwordHash)}`, expires };
}

export function sessionValid(value: string | undefined, token: string, linkId: string, passwordHash: string, now: number): boolean {
  const m = value === undefined ? null : /^(\d{13})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (m === null) return false;
  const expires = Number(m[1]);
  if (expires <= now || expires > now + SESSION_SECONDS * 1000) return false;
  const given = Buffer.from(m[2] ?? '');
  const wanted = Buffer.from(sessionMac(token, linkId, expires, passwordHash));
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** One cookie's value from a Cookie header (no cookie library for one name). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
