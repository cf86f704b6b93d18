import { createHash } from 'node:crypto';
import { domainToUnicode } from 'node:url';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { RAW_RECORD_VERSION, type RawRecord } from '@tokumei/schema';

/**
 * Hostile input for the privacy engine's tests: personal data of every family, in every spelling and encoding a
 * URL can carry, and a search that decodes stored values every way before looking for it. Shared by the unit
 * properties and the integration test that scans every table.
 */

export type Family = 'email' | 'phone' | 'postal' | 'my_number' | 'card' | 'ip' | 'uuid' | 'token' | 'jwt' | 'address' | 'name';

export interface Secret {
  readonly family: Family;
  /** As it is written into the URL part (before encoding). */
  readonly text: string;
  /** What must not be readable in any stored value, in canonical form (see `canonicalNeedle`). */
  readonly needle: string;
}

const digit = fc.integer({ min: 0, max: 9 }).map(String);
const digits = (n: number) => fc.array(digit, { minLength: n, maxLength: n }).map((d) => d.join(''));
// Every separator a person or a form writes a phone number with, ASCII and Japanese.
export const SEPARATORS = ['-', '‐', '‑', '‒', '–', '—', '―', '−', '－', 'ー', ' ', '　', '.', '/', '_', '', '・'] as const;
const separator = fc.constantFrom(...SEPARATORS.filter((s) => s !== '・'));
const toFullWidth = (s: string) => s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

/** Japanese numbers in every national form: mobile, IP phone, toll-free, every area-code split, +81, brackets. */
const phoneGroups = fc.oneof(
  fc.tuple(fc.constantFrom('070', '080', '090', '050'), digits(4), digits(4)),
  fc.tuple(fc.constant('0120'), digits(3), digits(3)),
  fc.tuple(fc.constant('0800'), digits(3), digits(4)),
  fc.tuple(digits(1).map((d) => `0${d === '0' ? '3' : d}`), digits(4), digits(4)),
  fc.tuple(digits(2).map((d) => `0${d}`), digits(3), digits(4)),
  fc.tuple(digits(3).map((d) => `0${d}`), digits(2), digits(4)),
  fc.tuple(digits(4).map((d) => `0${d}`), digits(1), digits(4)),
);
const phone = fc.tuple(phoneGroups, separator, fc.constantFrom('plain', '+81', 'brackets', 'fullwidth', 'kanji'))
  .map(([[a, b, c], sep, form]): Secret => {
    const needle = `${a}${b}${c}`;
    const text = form === '+81' ? `+81${sep}${a.slice(1)}${sep}${b}${sep}${c}`
      : form === 'brackets' ? `(${a})${b}${sep}${c}`
        : form === 'fullwidth' ? toFullWidth(`${a}${sep}${b}${sep}${c}`)
          : form === 'kanji' ? `${a}${sep}${b}${sep}${c}`.replace(/[0-9]/g, (d) => '〇一二三四五六七八九'.charAt(Number(d)))
            : `${a}${sep}${b}${sep}${c}`;
    return { family: 'phone', text, needle: form === '+81' ? needle.slice(1) : needle };
  });

const postal = fc.tuple(digits(3), digits(4), fc.boolean(), separator)
  .map(([a, b, mark, sep]): Secret => ({ family: 'postal', text: `${mark ? '〒' : ''}${a}${sep === '' ? '-' : sep}${b}`, needle: `${a}${b}` }));

function myNumberOf(first11: string): string {
  const weights = [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
  const remainder = weights.reduce((acc, w, i) => acc + w * Number(first11.charAt(i)), 0) % 11;
  return `${first11}${remainder <= 1 ? 0 : 11 - remainder}`;
}
const myNumber = fc.tuple(digits(11), separator).map(([d, sep]): Secret => {
  const n = myNumberOf(d);
  return { family: 'my_number', text: `${n.slice(0, 4)}${sep}${n.slice(4, 8)}${sep}${n.slice(8)}`, needle: n };
});

function luhnComplete(body: string): string {
  for (let check = 0; check <= 9; check++) {
    const candidate = `${body}${check}`;
    let sum = 0;
    for (let i = 0; i < candidate.length; i++) {
      let d = Number(candidate.charAt(candidate.length - 1 - i));
      if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    if (sum % 10 === 0) return candidate;
  }
  return body;
}
const card = fc.tuple(fc.integer({ min: 13, max: 19 }), digits(19), separator).map(([length, d, sep]): Secret => {
  const n = luhnComplete(`4${d.slice(0, length - 2)}`);
  return { family: 'card', text: n.match(/.{1,4}/g)?.join(sep) ?? n, needle: n };
});

const word = fc.stringMatching(/^[a-z]{3,9}$/);
const email = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9._+-]{2,12}$/), word, fc.constantFrom('com', 'co.jp', 'ne.jp', 'org', 'テスト'),
  fc.constantFrom('@', '＠', '﹫', '(at)', '[at]', ' [at] ', '★', 'アットマーク'))
  .filter(([local]) => /[a-z0-9]$/.test(local))
  .map(([local, domain, tld, at]): Secret => ({ family: 'email', text: `${local}${at}${domain}.${tld}`, needle: `${local}@${domain}.${tld}` }));

const octet = fc.integer({ min: 0, max: 255 });
const ip = fc.oneof(
  fc.tuple(fc.constantFrom('192.0.2', '198.51.100', '203.0.113'), octet).map(([net, o]) => `${net}.${o}`),
  fc.array(fc.integer({ min: 0x100, max: 0xffff }), { minLength: 6, maxLength: 6 }).map((g) => `2001:db8:${g.map((x) => x.toString(16)).join(':')}`),
).map((text): Secret => ({ family: 'ip', text, needle: text }));

const uuid = fc.uuid().map((text): Secret => ({ family: 'uuid', text, needle: text }));
// Tokens are made from a hash of a small seed, so that shrinking gives another random token, not `AAAAAAAAAAAt`.
const randomText = (seed: number, length: number, alphabet: string) => [...createHash('sha512').update(String(seed)).digest()]
  .slice(0, length).map((b) => alphabet.charAt(b % alphabet.length)).join('');
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const token = fc.tuple(fc.nat(), fc.integer({ min: 16, max: 40 }), fc.constantFrom(`${LETTERS}0123456789-_`, LETTERS, `${LETTERS.slice(26)}0123456789`))
  .map(([seed, length, alphabet]) => randomText(seed, length, alphabet))
  .map((text): Secret => ({ family: 'token', text, needle: text }));
const jwt = fc.tuple(fc.base64String({ minLength: 8, maxLength: 24 }), fc.base64String({ minLength: 8, maxLength: 24 }))
  .map(([a, b]) => `eyJhbGciOiJIUzI1NiJ9.eyJ${a.replace(/[+/=]/g, 'x')}.${b.replace(/[+/=]/g, 'x')}`)
  .map((text): Secret => ({ family: 'jwt', text, needle: text }));

const kanji = fc.array(fc.constantFrom(...'山田太郎鈴木花子佐藤一郎高橋美咲伊藤健'), { minLength: 2, maxLength: 4 }).map((c) => c.join(''));
const address = fc.tuple(fc.constantFrom('東京都千代田区千代田', '大阪府大阪市北区梅田', '北海道札幌市中央区北', '神奈川県横浜市西区'),
  fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 20 }), fc.boolean())
  .map(([place, a, b, c, blocks]): Secret => {
    const text = blocks ? `${place}${a}丁目${b}番${c}号` : `${place}${a}-${b}-${c}`;
    return { family: 'address', text, needle: text };
  });
const name = fc.tuple(kanji, fc.constantFrom('様', 'さん', '殿'))
  .map(([n, honorific]): Secret => ({ family: 'name', text: `${n}${honorific}`, needle: `${n}${honorific}` }));

export const secret: fc.Arbitrary<Secret> = fc.oneof(phone, postal, myNumber, card, email, ip, uuid, token, jwt, address, name);

export type Encoding = 'raw' | 'percent' | 'percent2' | 'percent3' | 'shift_jis' | 'euc-jp' | 'bad_escape' | 'plus' | 'fullwidth' | 'invisible' | 'upper';
export const ENCODINGS: readonly Encoding[] = ['raw', 'percent', 'percent2', 'percent3', 'shift_jis', 'euc-jp', 'bad_escape', 'plus', 'fullwidth', 'invisible', 'upper'];

const percentBytes = (bytes: Buffer) => [...bytes].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

/** The secret as it is put into a URL part. Every form decodes (for a person, or a browser) to the secret. */
export function encode(text: string, encoding: Encoding): string {
  switch (encoding) {
    case 'raw': return text;
    case 'percent': return encodeURIComponent(text);
    case 'percent2': return encodeURIComponent(encodeURIComponent(text));
    case 'percent3': return encodeURIComponent(encodeURIComponent(encodeURIComponent(text)));
    case 'shift_jis': return percentBytes(iconv.encode(text, 'Shift_JIS'));
    case 'euc-jp': return percentBytes(iconv.encode(text, 'EUC-JP'));
    case 'bad_escape': return `%ZZ${encodeURIComponent(text)}%FF%E3%8`;
    case 'plus': return encodeURIComponent(text).replace(/%20/g, '+').replace(/-/g, '+');
    case 'fullwidth': return encodeURIComponent(toFullWidth(text));
    case 'invisible': return encodeURIComponent([...text].join('\u200B'));
    case 'upper': return encodeURIComponent(text.toUpperCase());
  }
}

export const encoding = fc.constantFrom(...ENCODINGS);

const decoders = [new TextDecoder('utf-8'), new TextDecoder('shift_jis'), new TextDecoder('euc-jp')];

function percentDecodings(text: string): string[] {
  const bytes = Buffer.from(text.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  if (!/%[0-9A-Fa-f]{2}/.test(text)) return [];
  // Non-Latin-1 characters survive the latin1 round trip only as '?'; decode those strings from their UTF-8 too.
  const utf8Bytes = Buffer.concat(text.split(/(%[0-9A-Fa-f]{2})/).map((part) => (/^%[0-9A-Fa-f]{2}$/.test(part) ? Buffer.from([parseInt(part.slice(1), 16)]) : Buffer.from(part, 'utf8'))));
  return [...decoders.map((d) => d.decode(utf8Bytes)), ...([...text].every((c) => c.charCodeAt(0) <= 0xff) ? decoders.map((d) => d.decode(bytes)) : [])];
}

/**
 * Every way a stored value can be read: percent-decoded repeatedly (as UTF-8, Shift_JIS, EUC-JP), `+` as space,
 * NFKC, invisible characters removed. Independent of the engine's own canonical form on purpose.
 */
export function decodeAll(value: string): string[] {
  const out = new Set<string>([value]);
  let frontier = [value, value.replace(/\+/g, ' ')];
  for (let round = 0; round < 4; round++) {
    const next: string[] = [];
    for (const text of frontier) {
      for (const decoded of percentDecodings(text)) {
        if (out.has(decoded)) continue;
        out.add(decoded);
        next.push(decoded);
      }
    }
    frontier = next.slice(0, 16);
  }
  // Host names are stored in their ASCII (punycode) form; a Japanese label is read back as Japanese.
  if (value.includes('xn--')) out.add(domainToUnicode(value));
  return [...out].map((t) => t.replace(/[\p{Cc}\p{Cf}]/gu, '').normalize('NFKC'));
}

/** Digits only (every script's, kanji numerals too), for finding a number whatever separates its digits. */
export function digitsOf(text: string): string {
  return text.normalize('NFKC').replace(/[〇一二三四五六七八九]/g, (c) => String('〇一二三四五六七八九'.indexOf(c))).replace(/[^0-9]/g, '');
}

const NUMERIC: ReadonlySet<Family> = new Set(['phone', 'postal', 'my_number', 'card']);

/** Whether a stored value reveals the secret in any reading. */
export function reveals(value: string, s: Secret): boolean {
  return decodeAll(value).some((reading) => {
    if (NUMERIC.has(s.family)) return digitsOf(reading).includes(s.needle);
    const lower = reading.toLowerCase().replace(/\s*(\(at\)|\[at\]|★|アットマーク)\s*/g, '@');
    return lower.includes(s.needle.toLowerCase().normalize('NFKC'));
  });
}

const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

export const FIELDS = [
  'path', 'path-embedded', 'path-split', 'after-key', 'utm_source', 'utm_campaign', 'utm_content', 'ref', 'source',
  'other-query', 'fragment', 'referrer-path', 'referrer-query', 'referrer-label', 'host-label', 'site', 'event', 'lang',
  'ua-version',
] as const;
export type Field = (typeof FIELDS)[number];

/** A DNS label spelling of the secret, as reverse DNS and personal subdomains write them. */
function label(s: Secret): string {
  if (s.family === 'email') return s.needle.replace('@', '-at-').replace(/\./g, '-');
  if (s.family === 'ip') return s.text.replace(/[.:]/g, '-');
  return s.text.replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '').toLowerCase();
}

/** A raw record carrying the secret in one field, encoded one way. */
export function hostileRecord(s: Secret, field: Field, how: Encoding, ts: number): RawRecord {
  const e = encode(s.text, how);
  const base: RawRecord = {
    v: RAW_RECORD_VERSION, src: 'beacon', ts, site: 'example.com', url: 'https://example.com/blog/post',
    sid: 'sid-0123456789abcdef', event: 'pageview', w: 1280, lang: 'ja-JP', ip: '198.51.100.7', ua: UA, dnt: false, gpc: false,
  };
  switch (field) {
    case 'path': return { ...base, url: `https://example.com/thanks/${e}` };
    case 'path-embedded': return { ...base, url: `https://example.com/info-${e}-page/x` };
    case 'path-split': return { ...base, url: `https://example.com/tel/${e.replace(/%2F|[-_. ]|%20|%E3%83%BC/gi, '/')}` };
    case 'after-key': return { ...base, url: `https://example.com/users/${e}/profile` };
    case 'utm_source': case 'utm_campaign': case 'utm_content': case 'ref': case 'source':
      return { ...base, url: `https://example.com/landing?${field}=${e}` };
    case 'other-query': return { ...base, url: `https://example.com/landing?name=${e}&utm_source=news` };
    case 'fragment': return { ...base, url: `https://example.com/landing#${e}` };
    case 'referrer-path': return { ...base, ref: `https://search.example.org/${e}` };
    case 'referrer-query': return { ...base, ref: `https://search.example.org/?q=${e}` };
    case 'referrer-label': return { ...base, ref: `https://${label(s)}.example.net/` };
    case 'host-label': return { ...base, url: `https://${label(s)}.example.com/` };
    case 'site': return { ...base, site: `${label(s)}.example.com` };
    case 'event': return { ...base, event: s.text.slice(0, 64) };
    case 'lang': return { ...base, lang: `ja-JP-x-${s.text}`.slice(0, 35) };
    case 'ua-version': return { ...base, ua: UA.replace('131.0.0.0', s.text) };
  }
}

