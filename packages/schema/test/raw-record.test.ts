import { describe, it, expect } from 'vitest';
import { RAW_RECORD_VERSION, decodeRawRecord, encodeRawRecord, partitionKey, type RawRecord } from '@tokumei/schema';

const IP = '203.0.113.7';
const SID = 'sid-secret-123';

function record(overrides: Partial<RawRecord> = {}): RawRecord {
  return {
    v: RAW_RECORD_VERSION, src: 'beacon', ts: 1_767_225_600_000, site: 'example.com',
    url: 'https://example.com/a?q=1', ref: 'https://search.example/?q=x', sid: SID, event: 'pageview',
    w: 1280, lang: 'en-GB', ip: IP, ua: 'Mozilla/5.0 TestAgent/1.0', dnt: false, gpc: false,
    ...overrides,
  };
}

/** JSON of a record with one field replaced by anything (including values the type forbids). */
function withField(name: string, value: unknown): string {
  return JSON.stringify({ ...record(), [name]: value });
}

function reasonOf(input: string | Buffer): string {
  const result = decodeRawRecord(input);
  if (result.ok) throw new Error(`expected a refusal for ${String(input)}`);
  return result.reason;
}

describe('decodeRawRecord', () => {
  it('reads back what encodeRawRecord wrote, from a Buffer, a Uint8Array and a string', () => {
    const bytes = encodeRawRecord(record());
    for (const input of [bytes, new Uint8Array(bytes), bytes.toString('utf8')]) {
      expect(decodeRawRecord(input)).toEqual({ ok: true, record: record() });
    }
  });

  it('accepts a record without optional fields', () => {
    const minimal = record();
    delete minimal.ref;
    delete minimal.sid;
    delete minimal.w;
    delete minimal.lang;
    expect(decodeRawRecord(JSON.stringify(minimal))).toEqual({ ok: true, record: minimal });
  });

  it.each(['', 'not json', '{"v":1', '\u0000\u0001'])('refuses non-JSON %j without throwing', (input) => {
    expect(decodeRawRecord(input)).toEqual({ ok: false, reason: 'not JSON' });
  });

  it.each(['null', '42', '"text"', '[]'])('refuses the JSON value %s', (input) => {
    expect(decodeRawRecord(input).ok).toBe(false);
  });

  it('refuses a newer record version with a reason', () => {
    expect(reasonOf(withField('v', 2))).toBe('unsupported record version 2');
  });

  // The worker logs the reason, and a forged or corrupted record could carry personal data in `v`.
  it('never echoes a non-numeric version in the reason', () => {
    expect(reasonOf(withField('v', IP))).not.toContain(IP);
  });

  it('refuses a record without a version', () => {
    const { v: _v, ...rest } = record();
    expect(decodeRawRecord(JSON.stringify(rest)).ok).toBe(false);
  });

  it.each([
    ['ip', 12345],
    ['ip', 'x'.repeat(65)],
    ['src', 'carrier-pigeon'],
    ['ts', -1],
    ['ts', 1.5],
    ['dnt', 'yes'],
    ['event', ''],
  ])('names the field %s in the reason for %j', (name, value) => {
    expect(reasonOf(withField(name, value))).toBe(`invalid field /${name}`);
  });

  it('never echoes an invalid value in the reason', () => {
    // Each field holds the IP in a form the schema refuses; the reason must name the field only.
    const cases = [
      withField('ip', `${IP} `.repeat(10)),
      withField('ua', { ip: IP }),
      withField('sid', `${SID}-${IP}-`.repeat(10)),
      withField('src', IP),
      withField('event', IP.repeat(20)),
      withField('ts', IP),
    ];
    for (const input of cases) {
      const reason = reasonOf(input);
      expect(reason).toMatch(/^invalid field \//);
      expect(reason).not.toContain(IP);
      expect(reason).not.toContain(SID);
    }
  });

  it('refuses a missing required field and names it', () => {
    const { ip: _ip, ...rest } = record();
    const reason = reasonOf(JSON.stringify(rest));
    expect(reason).toMatch(/^invalid field /);
    expect(reason).not.toContain(IP);
  });
});

describe('partitionKey', () => {
  it('is stable for the same site and sid', () => {
    expect(partitionKey(record())).toBe(partitionKey(record({ ip: '198.51.100.1' })));
    expect(partitionKey(record())).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it('differs between sessions and sites', () => {
    const base = partitionKey(record());
    expect(partitionKey(record({ sid: 'other' }))).not.toBe(base);
    expect(partitionKey(record({ site: 'other.example' }))).not.toBe(base);
  });

  it('falls back to the IP without a sid, and never contains the sid or IP', () => {
    const noSid = record({ sid: undefined });
    expect(partitionKey(noSid)).toBe(partitionKey({ site: 'example.com', ip: IP }));
    expect(partitionKey(noSid)).not.toBe(partitionKey({ site: 'example.com', ip: '203.0.113.8' }));
    for (const key of [partitionKey(record()), partitionKey(noSid)]) {
      expect(key).not.toContain(SID);
      expect(key).not.toContain(IP);
      expect(key).not.toContain('example.com');
    }
  });
});
