import { isIP } from 'node:net';
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { MemorySaltStore, Pseudonymizer, checkSite, loadCountryLookup, type DropReason } from '@tokumei/privacy';
import { DEFAULT_EVENT, RAW_RECORD_VERSION, checkBeacon, decodeRawRecord, encodeRawRecord, type RawRecord } from '@tokumei/schema';
import { NOW, captureIngest } from '../../packages/ingest/test/harness.js';
import { fuzz, type Random } from './budget.js';
import { beaconObject, jsonValue, mutate } from './inputs.js';

/**
 * Seeded fuzzing of `POST /collect`: random JSON, random bytes, random content types, hostile strings and headers.
 * Two parts: every input through ingest's checks and the worker's steps without HTTP (the body limit, JSON, the
 * beacon schema, the site rule, the record, decodeRawRecord, the privacy engine), which is what makes tens of
 * thousands of inputs fit in seconds; and a sample of the same inputs through app.inject, for what only the route
 * shows (content types, methods, paths, headers, the error shape). Whatever arrives: nothing throws, nothing answers
 * 5xx, every error is a TKM_* JSON body, and every accepted beacon is stored or dropped for a counted reason.
 */
const SEED = 20_261_201;
/** Without HTTP: the time is a guard, not a budget; running out of it fails the test. */
const PURE_INPUTS = 25_000;
const PURE_MS = 60_000;
/** Through app.inject: fewer inputs, each costing a whole request; a busy machine runs fewer. */
const INPUTS = 5_000;
const BUDGET_MS = 8_000;
/** TOKUMEI_BODY_LIMIT's default: larger bodies are refused (413) before any field is read. */
const BODY_LIMIT = 8192;
const COUNTED: ReadonlySet<DropReason> = new Set(['consent', 'bad_url', 'bad_site', 'bot']);

const VALID = '{"site":"example.com","url":"https://example.com/a","sid":"tab-1"}';

const HOSTILE_BODIES = [
  '{"__proto__":{"polluted":true},"site":"example.com","url":"https://example.com/"}',
  '{"constructor":{"prototype":{"polluted":true}},"site":"example.com","url":"https://example.com/"}',
  '{"site":"example.com","url":"https://example.com/","site":"example.org"}',
  `\ufeff${VALID}`, `${VALID}\u0000`, `${VALID} `, ` \n${VALID}\n`, `${VALID}${VALID}`,
  '{"site":"example.com","url":"https://example.com/","w":1e400}', '{"site":"example.com","url":"https://example.com/","w":-0}',
  '{"site":"example.com","url":"https://example.com/","w":1.0}', '{"site":"example.com","url":"https://example.com/","w":100000.0000001}',
  '{"site":"example.com","url":"https://example.com/","sid":"\\ud800"}', '{"site":"\\u0000","url":"https://example.com/"}',
  '{"site":"example.com","url":"https://example.com/\\u0000"}', '{"site":"example.com","url":"HTTPS://EXAMPLE.COM/"}',
  '{"site":"example.com","url":"https://"}', '{"site":"example.com","url":"https://example.com:99999/"}',
  '{"site":"example.com","url":"javascript:alert(1)//https://"}', '{"site":"example.com","url":"https://x/","event":"__proto__"}',
  `{"site":"example.com","url":"https://example.com/","referrer":"${'\\u0000'.repeat(1500)}"}`,
  `{"site":"example.com","url":"https://example.com/${'😀'.repeat(1024)}"}`,
  `{"site":"example.com","url":"https://example.com/","sid":"${'😀'.repeat(64)}"}`,
  `{"site":"example.com","url":"https://example.com/","sid":"${'😀'.repeat(65)}"}`,
  '['.repeat(4000), `${'{"a":'.repeat(1500)}1${'}'.repeat(1500)}`, 'null', 'true', '"text"', '42', '[]', '{}', '', ' ',
  `{"site":"example.com","url":"https://example.com/","referrer":"${'a'.repeat(8192)}"}`,
];

const TYPES = ['application/json', 'text/plain', 'text/plain;charset=UTF-8', 'application/json; charset=utf-8'];
const ODD_TYPES = [
  'APPLICATION/JSON', 'Text/Plain', 'application/json;charset=latin1', 'text/plain; charset="utf-8"', 'application/json, text/plain',
  'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/csp-report',
  'text/plain;;', ';', '', 'application/', '*/*', 'text/plain; charset=', 'application/json\t; q=1', 'application/jsonx',
];
const FORWARDED = [
  '203.0.113.9', '2001:db8::1', '198.51.100.7, 203.0.113.1', 'unknown', '', '::ffff:192.0.2.1', `fe80::1%${'a'.repeat(100)}`,
  '2001:db8::1%eth0', '192.0.2.1:8080', '[2001:db8::1]', `${'1.'.repeat(40)}1`,
];
const METHODS = ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'] as const;
const PATHS = ['/collect?x=1', '/collect/', '//collect', '/COLLECT', '/%zz', '/collect%00', '/%c0', '/collect#x', '/t.js', '/internal/records', '/metrics', '/readyz'];

interface Input {
  method: string;
  url: string;
  body: string | Buffer;
  headers: Record<string, string>;
}

function generate(random: Random): Input {
  const body = random.weighted<string | Buffer>([
    [6, () => JSON.stringify(beaconObject(random))],
    [2, () => JSON.stringify(jsonValue(random)) ?? ''],
    [2, () => random.bytes(random.int(512))],
    [2, () => mutate(random, VALID)],
    [2, () => random.pick(HOSTILE_BODIES)],
  ]);
  const headers: Record<string, string> = {};
  if (random.chance(0.95)) {
    headers['content-type'] = random.weighted([[6, () => random.pick(TYPES)], [2, () => random.pick(ODD_TYPES)], [1, () => random.chars(random.int(40), 0x20, 0x7e)]]);
  }
  if (random.chance(0.5)) headers['user-agent'] = random.chars(random.int(200), 0x20, 0x7e);
  if (random.chance(0.5)) headers['x-forwarded-for'] = random.chance(0.7) ? random.pick(FORWARDED) : random.chars(random.int(80), 0x20, 0x7e);
  if (random.chance(0.2)) headers.dnt = random.pick(['1', '0', 'yes', '']);
  return {
    method: random.chance(0.93) ? 'POST' : random.pick(METHODS),
    url: random.chance(0.93) ? '/collect' : random.pick(PATHS),
    body, headers,
  };
}

type Outcome = { status: number; method: string; url: string };

/** The worker's steps after decodeRawRecord, with a salt store of its own (no ClickHouse: nothing is inserted). */
const pseudonymizer = new Pseudonymizer(new MemorySaltStore(() => NOW), { consentPolicy: 'count' }, loadCountryLookup());

/** What the worker does with an accepted record: stored, or dropped for a reason its metrics count. */
async function workerOutcome(record: RawRecord): Promise<'stored' | DropReason> {
  const decoded = decodeRawRecord(encodeRawRecord(record));
  if (!decoded.ok) throw new Error(`accepted, but the worker cannot read the record: ${decoded.reason}`);
  const result = await pseudonymizer.process(decoded.record);
  if (result.kind === 'ok') return 'stored';
  if (!COUNTED.has(result.reason)) throw new Error(`accepted, then dropped for an uncounted reason: ${String(result.reason)}`);
  return result.reason;
}

/**
 * Ingest's checks on a body, in the route's order (packages/ingest/src/routes/collect.ts): refused, or the record
 * a 202 would publish. The HTTP sample below checks the route itself against the same inputs.
 */
function ingestRecord(input: Input): RawRecord | undefined {
  const bytes = Buffer.isBuffer(input.body) ? input.body : Buffer.from(input.body);
  if (bytes.length > BODY_LIMIT) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  const checked = checkBeacon(value);
  if (!checked.ok) return undefined;
  const site = checkSite(checked.beacon.site);
  if (!site.ok) return undefined;
  const forwarded = input.headers['x-forwarded-for']?.split(',')[0]?.trim() ?? '';
  const beacon = checked.beacon;
  return {
    v: RAW_RECORD_VERSION, src: 'beacon', ts: NOW, site: site.site, url: beacon.url, ref: beacon.referrer, sid: beacon.sid,
    event: beacon.event ?? DEFAULT_EVENT, w: beacon.w, lang: beacon.lang,
    ip: isIP(forwarded) !== 0 && forwarded.length <= 64 ? forwarded : '192.0.2.1',
    ua: (input.headers['user-agent'] ?? '').slice(0, 1024), dnt: input.headers.dnt === '1', gpc: false,
  };
}

let ingest: Awaited<ReturnType<typeof captureIngest>>;
beforeAll(async () => {
  // Trusting any proxy lets the fuzzed X-Forwarded-For reach the record, as behind a real proxy.
  ingest = await captureIngest({ trustProxy: true, quiet: true });
});
afterAll(async () => {
  await ingest.app.close();
});

describe('fuzz: POST /collect', () => {
  it(`${String(PURE_INPUTS)} seeded bodies through ingest's checks and the worker's steps: no throw, every acceptance stored or dropped for a counted reason`, async () => {
    const outcomes = new Map<string, number>();
    const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    const ran = await fuzz(generate, { seed: SEED, inputs: PURE_INPUTS, ms: PURE_MS }, async (input) => {
      const record = ingestRecord(input);
      count(record === undefined ? 'refused' : await workerOutcome(record));
    });
    console.info(`fuzz /collect without HTTP: ${String(ran)} inputs, ${JSON.stringify(Object.fromEntries(outcomes))}`);
    expect(ran, `only ${String(ran)} inputs in ${String(PURE_MS / 1000)} s`).toBe(PURE_INPUTS);
    expect(outcomes.get('stored') ?? 0).toBeGreaterThan(ran / 20);
    expect(outcomes.get('refused') ?? 0).toBeGreaterThan(ran / 10);
  }, PURE_MS + 30_000);

  it(`${String(INPUTS)} seeded inputs (or ${String(BUDGET_MS / 1000)} s): no throw, no 5xx, TKM_* errors, every 202 decodes`, async () => {
    const statuses = new Map<number, number>();
    let accepted = 0;
    const published: RawRecord[] = [];
    const ran = await fuzz(generate, { seed: SEED, inputs: INPUTS, ms: BUDGET_MS, concurrency: 64 }, async (input): Promise<Outcome> => {
      const bodyless = input.method === 'GET' || input.method === 'HEAD';
      const response = await ingest.app.inject({
        method: input.method as 'POST', url: input.url, headers: input.headers, ...(bodyless ? {} : { payload: input.body }),
      });
      const status = response.statusCode;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status >= 500) throw new Error(`answered ${String(status)}: ${response.body.slice(0, 200)}`);
      if (status >= 400 && input.method !== 'HEAD') {
        const parsed = JSON.parse(response.body) as { error?: { code?: unknown; message?: unknown } };
        if (typeof parsed.error?.code !== 'string' || !parsed.error.code.startsWith('TKM_') || typeof parsed.error.message !== 'string') {
          throw new Error(`error outside the TKM_* shape: ${response.body.slice(0, 200)}`);
        }
      }
      if (status === 202) expect(response.body).toBe('');
      return { status, method: input.method, url: input.url };
    }, (outcomes) => {
      // A 202 is answered only after its record was handed to the bus, so the batch's records are all here.
      const records = ingest.take();
      const accepts = outcomes.filter((o) => o.status === 202).length;
      expect(records).toHaveLength(accepts);
      for (const record of records) {
        if (!record.ok) throw new Error(`a 202 published a record the worker refuses: ${record.reason}`);
      }
      accepted += accepts;
      published.push(...records.map((r) => (r.ok ? r.record : undefined)).filter((r) => r !== undefined));
    });
    const fates = new Map<string, number>();
    for (const record of published) {
      const fate = await workerOutcome(record);
      fates.set(fate, (fates.get(fate) ?? 0) + 1);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(ingest.logs.text()).not.toContain('request failed');
    // Enough inputs ran, and both sides were reached, for the assertions to mean something on a busy machine too.
    expect(ran).toBeGreaterThanOrEqual(Math.min(INPUTS, 1_000));
    expect(accepted).toBeGreaterThan(ran / 20);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(ran / 10);
    console.info(`fuzz /collect over HTTP: ${String(ran)} inputs, ${String(accepted)} accepted (${JSON.stringify(Object.fromEntries(fates))}), statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  }, BUDGET_MS + 60_000);
});
