import { describe, it, expect } from 'vitest';
import { BeaconSchema, RAW_RECORD_VERSION, RawRecordSchema, checkBeacon, decodeRawRecord } from '@tokumei/schema';

const BEACON = { site: 'example.com', url: 'https://example.com/a', referrer: 'https://www.example.org/', sid: 'tab-1', event: 'signup', w: 1280, lang: 'en-GB' };

function messageOf(value: unknown): string {
  const result = checkBeacon(value);
  if (result.ok) throw new Error(`expected a refusal for ${JSON.stringify(value)}`);
  return result.message;
}

describe('checkBeacon accepts', () => {
  it('a full beacon and a minimal one, unchanged', () => {
    expect(checkBeacon(BEACON)).toEqual({ ok: true, beacon: BEACON });
    expect(checkBeacon({ site: 's', url: 'http://s.example/' })).toEqual({ ok: true, beacon: { site: 's', url: 'http://s.example/' } });
  });

  // 64 emoji are 128 UTF-16 code units: the limit the worker counts too.
  it('counts lengths in UTF-16 code units, like the worker', () => {
    expect(checkBeacon({ ...BEACON, sid: '😀'.repeat(64) }).ok).toBe(true);
    expect(messageOf({ ...BEACON, sid: '😀'.repeat(65) })).toBe('body sid: must be at most 128 characters (UTF-16 code units)');
    expect(messageOf({ ...BEACON, sid: '😀'.repeat(100) })).toContain('body sid');
  });

  it('non-ASCII text that is not a control character', () => {
    expect(checkBeacon({ ...BEACON, url: 'https://例え.example/パス?q=é', sid: 'é\u00a0ü', referrer: 'https://例え.example/' }).ok).toBe(true);
  });
});

describe('checkBeacon refuses', () => {
  it.each([
    ['a string', 'text'], ['null', null], ['an array', [BEACON]], ['a number', 42],
  ])('%s as the body', (_name, value) => {
    expect(messageOf(value)).toBe('body: must be a JSON object');
  });

  it('unknown keys, naming the ones that look like field names', () => {
    expect(messageOf({ ...BEACON, extra: 1 })).toBe('body: unknown field "extra"');
    expect(messageOf({ ...BEACON, a: 1, b: 2 })).toBe('body: unknown fields "a", "b"');
    // A key that could be anything (here an e-mail address) is counted, never echoed.
    const message = messageOf({ ...BEACON, 'jane@example.com': 1, 'x y': 2, ok_key: 3 });
    expect(message).toBe('body: unknown fields "ok_key", 2 others');
    expect(messageOf({ ...BEACON, ['k'.repeat(100)]: 1 })).toBe('body: unknown field 1 other');
  });

  it.each([
    ['site', 123, 'body site: must be a string'],
    ['url', ['https://example.com/'], 'body url: must be a string'],
    ['sid', 7, 'body sid: must be a string'],
    ['w', '1280', 'body w: must be an integer'],
    ['w', 1.5, 'body w: must be an integer'],
    ['w', true, 'body w: must be an integer'],
    ['w', -1, 'body w: must be between 0 and 100000'],
    ['lang', ['en'], 'body lang: must be a string'],
  ])('no coercion: %s = %j', (field, value, message) => {
    expect(messageOf({ ...BEACON, [field]: value })).toBe(message);
  });

  it.each(['\u0000', '\u0001', '\n', '\t', '\u001f', '\u007f', '\u0085', '\u009f'])('the control character %j in every string field', (control) => {
    for (const field of ['site', 'url', 'referrer', 'sid', 'event', 'lang']) {
      const value = field === 'url' ? `https://example.com/${control}` : `a${control}b`;
      expect(messageOf({ ...BEACON, [field]: value })).toMatch(new RegExp(`^body ${field}: `));
    }
  });

  it.each([
    ['site', '\ud800'], ['url', 'https://example.com/\udc00'], ['referrer', 'x\ud83d'], ['sid', '\ude00x'],
  ])('a lone surrogate in %s', (field, value) => {
    expect(messageOf({ ...BEACON, [field]: value })).toBe(`body ${field}: must be well-formed Unicode`);
  });

  it.each(['https://', 'http://exa mple.com/', 'https://[::1/', 'http://a:99999/'])('a URL the worker could not parse: %j', (url) => {
    expect(messageOf({ ...BEACON, url })).toBe('body url: must be an absolute http(s) URL');
  });

  it('a missing field, naming it', () => {
    expect(messageOf({ site: 'example.com' })).toBe('body url: is required');
  });

  it.each(['site', 'url', 'sid', 'event'])('an empty %s', (field) => {
    expect(messageOf({ ...BEACON, [field]: '' })).toBe(`body ${field}: must not be empty`);
  });

  it('never echoes the value', () => {
    const secret = 'jane@example.com';
    for (const value of [{ ...BEACON, url: `ftp://${secret}` }, { ...BEACON, sid: `${secret}\u0000` }, { ...BEACON, w: secret }, { ...BEACON, lang: secret }]) {
      expect(messageOf(value)).not.toContain(secret);
    }
  });
});

describe('limits', () => {
  // Nothing ingest accepts may be refused by the worker: every beacon limit is within the raw record's.
  it('every beacon string limit is at most the raw record limit of the field it becomes', () => {
    const fields: [keyof typeof BeaconSchema.properties, keyof typeof RawRecordSchema.properties][] = [
      ['site', 'site'], ['url', 'url'], ['referrer', 'ref'], ['sid', 'sid'], ['event', 'event'], ['lang', 'lang'],
    ];
    for (const [beacon, raw] of fields) {
      const ingest = BeaconSchema.properties[beacon] as { maxLength?: number };
      const worker = RawRecordSchema.properties[raw] as { maxLength?: number };
      expect(ingest.maxLength, beacon).toBeDefined();
      expect(ingest.maxLength, beacon).toBeLessThanOrEqual(worker.maxLength ?? Infinity);
    }
    expect(BeaconSchema.properties.w.minimum).toBeGreaterThanOrEqual(RawRecordSchema.properties.w.minimum ?? 0);
  });

  it('every beacon that carries props or engagement decodes as a raw record the worker accepts', () => {
    const props = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${'x'.repeat(38)}${i}`.slice(0, 40), '😀'.repeat(100)]));
    const beacon = { site: 'example.com', url: 'https://example.com/', event: 'engagement', em: 1_800_000, sd: 100, props };
    expect(checkBeacon(beacon).ok).toBe(true);
    const record = { v: RAW_RECORD_VERSION, src: 'beacon', ts: 0, site: beacon.site, url: beacon.url, event: beacon.event, props, em: beacon.em, sd: beacon.sd, ip: '', ua: '', dnt: false, gpc: false };
    expect(decodeRawRecord(JSON.stringify(record)).ok).toBe(true);
  });
});

describe('custom properties', () => {
  const B = { site: 'example.com', url: 'https://example.com/' };
  it('accepts up to 30 identifier keys with string values of up to 200 UTF-16 code units', () => {
    const props = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`key_${i}`, '😀'.repeat(100)]));
    expect(checkBeacon({ ...B, props }).ok).toBe(true);
    expect(checkBeacon({ ...B, props: {} }).ok).toBe(true);
    expect(checkBeacon({ ...B, props: { ['k'.repeat(40)]: 'v', A9_z: '' } }).ok).toBe(true);
  });

  it.each([
    ['31 keys', Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, 'v'])), 'body props: must have at most 30 keys'],
    ['a value of 201 code units', { plan: `${'😀'.repeat(100)}x` }, 'body props: values must be at most 200 characters (UTF-16 code units)'],
    ['a number value', { plan: 3 }, 'body props: values must be strings'],
    ['a nested object', { plan: { a: 'b' } }, 'body props: values must be strings'],
    ['an array', ['plan'], 'body props: must be an object of string values'],
    ['a string', 'plan=pro', 'body props: must be an object of string values'],
    ['a control character', { plan: 'a\u0000b' }, 'body props: values must not contain control characters'],
    ['a lone surrogate', { plan: '\ud800' }, 'body props: values must be well-formed Unicode'],
  ])('refuses %s, naming the field', (_name, props, message) => {
    expect(messageOf({ ...B, props })).toBe(message);
  });

  // A key is sender data too: refused by rule, and never echoed.
  it.each(['jane@example.com', '1plan', '_plan', 'plan-b', 'plan b', 'プラン', 'k'.repeat(41), '__proto__', ''])('refuses the key %j without echoing it', (key) => {
    const message = messageOf({ ...B, props: { [key]: 'v' } });
    expect(message).toBe('body props: keys must be identifiers: a letter, then letters, digits or _, at most 40');
  });
});

describe('engagement', () => {
  const B = { site: 'example.com', url: 'https://example.com/', event: 'engagement' };
  it('accepts engaged ms up to 30 minutes and scroll depth 0–100', () => {
    expect(checkBeacon({ ...B, em: 0, sd: 0 }).ok).toBe(true);
    expect(checkBeacon({ ...B, em: 1_800_000, sd: 100 }).ok).toBe(true);
  });

  it.each([
    [{ ...B }, 'body em: is required for an engagement event'],
    [{ ...B, em: 1_800_001 }, 'body em: must be between 0 and 1800000'],
    [{ ...B, em: 1.5 }, 'body em: must be an integer'],
    [{ ...B, em: '100' }, 'body em: must be an integer'],
    [{ ...B, em: 10, sd: 101 }, 'body sd: must be between 0 and 100'],
    [{ ...B, em: 10, sd: -1 }, 'body sd: must be between 0 and 100'],
    [{ site: 'example.com', url: 'https://example.com/', em: 10 }, 'body em: only an engagement event carries it'],
    [{ site: 'example.com', url: 'https://example.com/', event: 'signup', sd: 10 }, 'body sd: only an engagement event carries it'],
  ])('refuses %j', (value, message) => {
    expect(messageOf(value)).toBe(message);
  });
});
