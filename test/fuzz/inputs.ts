import type { Random } from './budget.js';

/** Characters fine in free-text fields, of one and two UTF-16 units, so lengths land on either side of each limit. */
export const SAFE = ['a', 'Z', '0', '-', '.', '_', '/', 'é', 'ß', '例', '😀', '𝔘', '\u{10ffff}'];
/** What hostile senders put in strings: controls (NUL first), lone surrogates, separators, BOM, RTL override. */
export const HOSTILE = ['\u0000', '\u0001', '\u001b', '\t', '\n', '\r', '\u007f', '\u0085', '\u009b', '\ud800', '\udfff', ' ', '\u2028', '\ufeff', '\u202e', '"', '\\', '%00', '%'];

/** A string of about `limit` UTF-16 units (either side of it), or a short one. */
function around(random: Random, limit: number, alphabet = SAFE): string {
  const length = random.chance(0.5) ? 1 + random.int(6) : Math.ceil(limit * 0.5) + random.int(Math.ceil(limit * 0.55) + 3);
  return random.string(length, alphabet);
}

/** Mostly the value; sometimes a hostile character inside it, or another JSON type. */
function spoil(random: Random, value: string | number): unknown {
  return random.weighted<unknown>([
    [20, () => value],
    [2, () => {
      const text = String(value);
      const at = random.int(text.length + 1);
      return `${text.slice(0, at)}${random.pick(HOSTILE)}${text.slice(at)}`;
    }],
    [1, () => random.pick<unknown>([0, 123, -1, 1.5, true, false, null, [value], {}, [], { value }])],
  ]);
}

const EVENT = [...'abcXYZ019_.:-'];
const LANG = ['en', 'en-GB', 'zh-Hant-TW', 'de-CH-1996', 'x', `${'a'.repeat(8)}${'-abcdefgh'.repeat(3)}`, `${'a'.repeat(8)}${'-abcdefgh'.repeat(4)}`, 'en_GB', '123'];

/** A beacon object: each field mostly valid and near its limit, sometimes spoiled, sometimes missing or extra. */
export function beaconObject(random: Random): Record<string, unknown> {
  const beacon: Record<string, unknown> = {
    site: spoil(random, random.chance(0.5) ? random.pick(['example.com', 'www.example.org', 'ex.example']) : around(random, 100)),
    url: spoil(random, `https://example.com/${around(random, 2028)}`),
  };
  if (random.chance(0.6)) beacon.referrer = spoil(random, random.chance(0.5) ? 'https://www.example.org/' : around(random, 2048));
  if (random.chance(0.6)) beacon.sid = spoil(random, random.chance(0.5) ? random.chars(32, 0x61, 0x66) : around(random, 128));
  if (random.chance(0.4)) beacon.event = spoil(random, random.chance(0.5) ? 'signup' : around(random, 64, EVENT));
  if (random.chance(0.6)) beacon.w = spoil(random, random.int(100_004) - 2);
  if (random.chance(0.6)) beacon.lang = spoil(random, random.pick(LANG));
  // Custom properties (keys good and bad, values around the 200 limit) and engagement numbers, on any event.
  if (random.chance(0.3)) {
    beacon.props = random.chance(0.1) ? spoil(random, 'plan') : Object.fromEntries(Array.from({ length: random.int(32) }, (_, i) => [
      random.chance(0.9) ? `k${i}` : random.pick(['', '1k', 'jane@example.com', '__proto__', 'k'.repeat(41), 'プラン']),
      spoil(random, around(random, 200)),
    ]));
  }
  if (random.chance(0.2)) beacon.event = 'engagement';
  const engaged = beacon.event === 'engagement' ? 0.9 : 0.03;
  if (random.chance(engaged)) beacon.em = spoil(random, random.int(1_800_004) - 2);
  if (random.chance(engaged)) beacon.sd = spoil(random, random.int(104) - 2);
  if (random.chance(0.03)) delete beacon[random.pick(['site', 'url'])];
  if (random.chance(0.05)) beacon[random.pick(['extra', 'Site', '__proto__', 'constructor', 'jane@example.com', ''])] = 1;
  return beacon;
}

/** A random JSON value, up to `depth` levels deep. */
export function jsonValue(random: Random, depth = 3): unknown {
  const leaf = () => random.pick<unknown>([null, true, false, 0, -1, 1e308, 2 ** 53 + 1, 0.5, '', 'example.com', 'https://example.com/', random.string(random.int(20), [...SAFE, ...HOSTILE])]);
  if (depth === 0 || random.chance(0.4)) return leaf();
  if (random.chance(0.5)) return Array.from({ length: random.int(4) }, () => jsonValue(random, depth - 1));
  const keys = ['site', 'url', 'referrer', 'sid', 'event', 'w', 'lang', 'x', ''];
  return Object.fromEntries(Array.from({ length: random.int(6) }, () => [random.pick(keys), jsonValue(random, depth - 1)]));
}

/** `text` with a character inserted, replaced or deleted somewhere. */
export function mutate(random: Random, text: string): string {
  const at = random.int(text.length);
  const char = String.fromCharCode(random.int(256));
  switch (random.int(3)) {
    case 0: return text.slice(0, at) + char + text.slice(at);
    case 1: return text.slice(0, at) + char + text.slice(at + 1);
    default: return text.slice(0, at) + text.slice(at + 1);
  }
}
