import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIngest } from './harness.js';

/**
 * Property tests of /api/event and /api/send: whatever arrives, the answer is 202, 400 or 403 (never a 500), a
 * refusal publishes nothing and names no value the sender sent, and everything a 202 published is a record the
 * worker reads (decodeRawRecord), so a foreign beacon answered 202 is never refused later either.
 */
const WEBSITE = '7f3c1d2e-0a4b-4c5d-8e9f-0123456789ab';
const SECRET = 'jane.doe@example.com';

let ingest: Awaited<ReturnType<typeof captureIngest>>;
beforeAll(async () => {
  ingest = await captureIngest({ quiet: true, env: { TOKUMEI_UMAMI_WEBSITES: JSON.stringify({ [WEBSITE]: 'example.com' }) } });
});
afterAll(async () => {
  await ingest.app.close();
});

/** Values of every JSON type, the tracker's own among them, some spoiled: control characters, lone surrogates, the secret. */
const value: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('pageview', 'engagement', 'signup', 'Outbound Link: Click', 'https://example.com/a?utm_source=x', '/pricing', 'example.com',
    'example.com,blog.example.com', '1920x1080', 'en-US', WEBSITE, '', ' ', SECRET, `https://example.com/${SECRET}`, 'a\u0000b', '\ud800', 'x'.repeat(3000)),
  fc.string({ maxLength: 40 }),
  fc.integer({ min: -5, max: 4_000_000 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.dictionary(fc.constantFrom('plan', 'seats', 'a b', SECRET, 'url'), fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(SECRET)), { maxKeys: 4 }),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }),
);

/** Mostly what the field's real senders put there, sometimes anything: so that both answers are reached often. */
function fields(valid: Record<string, readonly unknown[]>): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(valid).map(([key, values]) => [key, fc.oneof({ arbitrary: fc.constantFrom(...values), weight: 15 }, { arbitrary: value, weight: 1 })] as const);
  return fc.record(Object.fromEntries(entries), { requiredKeys: [] });
}

const plausibleBody = fields({
  n: ['pageview', 'engagement', 'signup', 'File Download'], u: ['https://example.com/a', 'https://blog.example.com/b?utm_source=x'],
  d: ['example.com', 'example.com,blog.example.com'], r: [null, 'https://ref.example/'], p: [{ plan: 'pro' }, '{"seats":3}'],
  i: [false], sd: [40, 130], e: [1200, 9_000_000], v: [36], h: [1], $: [{ amount: 1, currency: 'EUR' }],
}).chain((body) => fc.boolean().map((strict) => {
  // Engagement fields on other events are refused; most bodies keep to that rule so the rest of them is tested too.
  const { e, sd: _sd, ...rest } = body;
  return { n: 'pageview', u: 'https://example.com/', ...(strict && rest.n !== 'engagement' ? rest : body), ...(rest.n === 'engagement' && e === undefined ? { e: 10 } : {}) };
}));

const umamiBody = fc.record({
  type: fc.oneof({ arbitrary: fc.constantFrom('event', 'identify'), weight: 5 }, { arbitrary: value, weight: 1 }),
  payload: fields({
    url: ['/pricing', 'https://example.com/x'], hostname: ['example.com', 'shop.example.com'], referrer: ['https://ref.example/', ''],
    language: ['en-US', 'ja'], screen: ['1920x1080'], title: ['Pricing'], name: ['signup', 'Add to cart'], data: [{ plan: 'pro', seats: 3 }],
    tag: ['b'], id: [SECRET],
  }).map((payload) => ({ website: WEBSITE, ...payload })),
});

async function check(url: string, body: unknown): Promise<void> {
  const response = await ingest.app.inject({ method: 'POST', url, payload: JSON.stringify(body), headers: { 'content-type': 'text/plain' } });
  const records = ingest.take();
  expect([202, 400, 403], response.body).toContain(response.statusCode);
  if (response.statusCode !== 202) {
    expect(records).toEqual([]);
    expect(response.body).not.toContain('jane.doe');
    return;
  }
  for (const record of records) expect(record, JSON.stringify(body)).toMatchObject({ ok: true });
}

describe('foreign tracker routes under arbitrary input', () => {
  it('POST /api/event answers 202, 400 or 403, publishes only readable records, echoes no value', async () => {
    await fc.assert(fc.asyncProperty(plausibleBody, (body) => check('/api/event', body)), { numRuns: 400 });
  });

  it('POST /api/send answers 202, 400 or 403, publishes only readable records, echoes no value', async () => {
    await fc.assert(fc.asyncProperty(umamiBody, (body) => check('/api/send', body)), { numRuns: 400 });
  });
});
