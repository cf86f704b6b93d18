import fc from 'fast-check';
import { checkSite } from '@tokumei/privacy';
import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { checkBeacon } from '@tokumei/schema';
import { beaconLike } from './beacon-arbitraries.js';
import { captureIngest, postBeacon } from './harness.js';

const BEACON = { site: 'example.com', url: 'https://example.com/page', referrer: 'https://ref.example/', sid: 'abc', w: 1280, lang: 'en-GB' };

let ingest: Awaited<ReturnType<typeof captureIngest>>;
beforeAll(async () => {
  ingest = await captureIngest({ quiet: true });
});
afterAll(async () => {
  await ingest.app.close();
});

async function send(body: unknown) {
  const response = await postBeacon(ingest.app, JSON.stringify(body));
  return { status: response.statusCode, json: response.body === '' ? undefined : response.json<{ error: { code: string; message: string } }>(), records: ingest.take() };
}

describe('strict beacons', () => {
  it('refuses unknown keys with a 400 naming them, instead of stripping them', async () => {
    const response = await send({ ...BEACON, color: 'red', size: 2 });
    expect(response.status).toBe(400);
    expect(response.json).toEqual({ error: { code: 'TKM_INVALID_BEACON', message: 'body: unknown fields "color", "size"' } });
    expect(response.records).toEqual([]);
  });

  it.each([
    ['a number as site (no coercion to "123")', { ...BEACON, site: 123 }, 'body site: must be a string'],
    ['a string as width', { ...BEACON, w: '1280' }, 'body w: must be an integer'],
    ['a one-item array as url (no unwrapping)', { ...BEACON, url: ['https://example.com/'] }, 'body url: must be a string'],
    ['a one-item array as site', { ...BEACON, site: ['example.com'] }, 'body site: must be a string'],
    ['a boolean as sid', { ...BEACON, sid: true }, 'body sid: must be a string'],
    ['null as referrer', { ...BEACON, referrer: null }, 'body referrer: must be a string'],
  ])('refuses %s', async (_name, body, message) => {
    const response = await send(body);
    expect(response.status).toBe(400);
    expect(response.json).toEqual({ error: { code: 'TKM_INVALID_BEACON', message } });
    expect(response.records).toEqual([]);
  });

  it.each(['url', 'referrer', 'site', 'sid', 'event', 'lang'])('refuses NUL and control characters in %s', async (field) => {
    for (const control of ['\u0000', '\u0007', '\r\n', '\u007f', '\u009b']) {
      const value = field === 'url' ? `https://example.com/a${control}b` : `a${control}b`;
      const response = await send({ ...BEACON, [field]: value });
      expect(response.status, JSON.stringify(control)).toBe(400);
      expect(response.json?.error.code).toBe('TKM_INVALID_BEACON');
      expect(response.json?.error.message).toMatch(new RegExp(`^body ${field}: `));
      expect(response.records).toEqual([]);
    }
  });

  // The testers' case: 100 emoji are 100 code points but 200 UTF-16 units, over the worker's 128.
  it('refuses a sid of 100 emoji at ingest, and stores one of 64 (128 UTF-16 units)', async () => {
    expect((await send({ ...BEACON, sid: '😀'.repeat(100) })).status).toBe(400);
    const accepted = await send({ ...BEACON, sid: '😀'.repeat(64) });
    expect(accepted.status).toBe(202);
    expect(accepted.records).toEqual([{ ok: true, record: expect.objectContaining({ sid: '😀'.repeat(64) }) as unknown }]);
  });

  // isIP() accepts an IPv6 zone id of any length; the record's ip field holds 64 characters.
  it('falls back to the socket address for a forwarded IPv6 address with a long zone id', async () => {
    const trusting = await captureIngest({ trustProxy: true, quiet: true });
    const response = await postBeacon(trusting.app, JSON.stringify(BEACON), { 'x-forwarded-for': `fe80::1%${'a'.repeat(100)}` });
    expect(response.statusCode).toBe(202);
    expect(trusting.take()).toEqual([{ ok: true, record: expect.objectContaining({ ip: '127.0.0.1' }) as unknown }]);
    await trusting.app.close();
  });

  it('refuses a URL the worker could not parse', async () => {
    const response = await send({ ...BEACON, url: 'https://exa mple.com/' });
    expect(response.json?.error.message).toBe('body url: must be an absolute http(s) URL');
  });
});

describe('property: what ingest accepts, the worker reads', () => {
  it('every beacon answered 202 becomes one raw record decodeRawRecord accepts, with the fields as sent', async () => {
    let accepted = 0;
    let runs = 0;
    await fc.assert(fc.asyncProperty(beaconLike, async (beacon) => {
      runs += 1;
      const response = await postBeacon(ingest.app, JSON.stringify(beacon));
      const records = ingest.take();
      // 413: over TOKUMEI_BODY_LIMIT in bytes (an escaped control character is six), before any field is read.
      expect([202, 400, 413]).toContain(response.statusCode);
      // What the schema's own check refuses, ingest refuses (ingest may refuse more, e.g. a site-name rule).
      if (!checkBeacon(JSON.parse(JSON.stringify(beacon))).ok) expect(response.statusCode).not.toBe(202);
      if (response.statusCode !== 202) {
        expect(records).toEqual([]);
        return;
      }
      accepted += 1;
      expect(records).toHaveLength(1);
      const [decoded] = records;
      if (decoded?.ok !== true) throw new Error(`202 but the worker refuses it: ${decoded?.reason ?? 'nothing published'}`);
      // The site as the privacy engine's rule writes it (lower case, IDN in ASCII form); every other field as sent.
      const site = checkSite(typeof beacon.site === 'string' ? beacon.site : '');
      const sent = { site: site.ok ? site.site : undefined, url: beacon.url, ref: beacon.referrer, sid: beacon.sid, lang: beacon.lang, w: beacon.w, event: beacon.event ?? 'pageview' };
      expect(decoded.record).toMatchObject(Object.fromEntries(Object.entries(sent).filter(([, v]) => v !== undefined)));
    }), { seed: 20261201, numRuns: 1000, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: false });
    // The generator must reach both sides, or the property says nothing.
    expect(runs).toBeGreaterThan(100);
    expect(accepted / runs).toBeGreaterThan(0.1);
    expect(accepted / runs).toBeLessThan(0.9);
  }, 60_000);
});
