import { describe, expect, it } from 'vitest';
import { checkBeacon } from '@tokumei/schema';
import { MAX_DOMAINS, mapPlausible } from '../src/plausible-map.js';

/** What Plausible's tracker (0.4.6, `v: 36`) sends, read from its published code: a page view and its engagement. */
const PAGEVIEW = { n: 'pageview', v: 36, u: 'https://example.com/pricing?utm_source=news', d: 'example.com', r: 'https://www.example.org/' };
const ENGAGEMENT = { n: 'engagement', sd: 48, d: 'example.com', u: 'https://example.com/pricing', e: 5120, v: 36 };

function beacons(body: unknown): readonly Record<string, unknown>[] {
  const mapped = mapPlausible(body);
  if (!mapped.ok) throw new Error(`refused: ${mapped.error.message}`);
  // Every mapped beacon is one /collect would take.
  for (const beacon of mapped.beacons) expect(checkBeacon(beacon)).toMatchObject({ ok: true });
  return mapped.beacons;
}

function refusal(body: unknown): string {
  const mapped = mapPlausible(body);
  if (mapped.ok) throw new Error('accepted');
  expect(mapped.error.code).toBe('TKM_INVALID_BEACON');
  return mapped.error.message;
}

describe('mapPlausible', () => {
  it('maps the tracker\'s page view, custom event and engagement onto beacons', () => {
    expect(beacons(PAGEVIEW)).toEqual([{ site: 'example.com', url: PAGEVIEW.u, referrer: PAGEVIEW.r }]);
    expect(beacons({ ...PAGEVIEW, r: null })).toEqual([{ site: 'example.com', url: PAGEVIEW.u }]);
    expect(beacons({ n: 'signup', v: 36, u: PAGEVIEW.u, d: 'example.com', r: null, p: { plan: 'pro' }, i: false })).toEqual([
      { site: 'example.com', url: PAGEVIEW.u, event: 'signup', props: { plan: 'pro' } },
    ]);
    expect(beacons(ENGAGEMENT)).toEqual([{ site: 'example.com', url: ENGAGEMENT.u, event: 'engagement', em: 5120, sd: 48 }]);
  });

  it('accepts the long names of the Events API, props as a JSON string, and their scalars as strings', () => {
    expect(beacons({ name: 'signup', url: PAGEVIEW.u, domain: 'example.com', referrer: '', props: '{"url":"https://example.net/","n":3,"ok":true}' })).toEqual([
      { site: 'example.com', url: PAGEVIEW.u, event: 'signup', props: { url: 'https://example.net/', n: '3', ok: 'true' } },
    ]);
  });

  it('reduces the link of Plausible\'s automatic events to what Tokumei\'s tracker sends: the host, the extension', () => {
    const event = (n: string, p: Record<string, string>) => beacons({ n, u: PAGEVIEW.u, d: 'example.com', p })[0]?.props;
    expect(event('Outbound Link: Click', { url: 'https://Shop.Example.net/u/jane?mail=jane@example.com' })).toEqual({ host: 'shop.example.net' });
    expect(event('File Download', { url: 'https://cdn.example.net/files/Report-2026.PDF' })).toEqual({ ext: 'pdf' });
    expect(event('File Download', { url: 'https://cdn.example.net/files/', plan: 'pro' })).toEqual({ plan: 'pro' });
    expect(event('Outbound Link: Click', { url: 'mailto:jane@example.com' })).toBeUndefined();
    expect(event('signup', { url: 'https://example.net/x' })).toEqual({ url: 'https://example.net/x' });
  });

  it('files the event under every site of a comma-separated d, each once, and under the URL\'s host without d', () => {
    expect(beacons({ ...PAGEVIEW, d: 'example.com, blog.example.com,example.com' }).map((b) => b.site)).toEqual(['example.com', 'blog.example.com']);
    const { d: _unused, ...noDomain } = PAGEVIEW;
    expect(beacons(noDomain).map((b) => b.site)).toEqual(['example.com']);
    const many = Array.from({ length: MAX_DOMAINS + 1 }, (_, i) => `s${String(i)}.example.com`).join(',');
    expect(refusal({ ...PAGEVIEW, d: many })).toBe(`body d: must list at most ${String(MAX_DOMAINS)} sites`);
    expect(refusal({ ...PAGEVIEW, d: 'example.com,' })).toBe('body d: must be one site, or several separated by commas, none empty');
  });

  it('caps engagement as Plausible does (scroll 100 %) and at Tokumei\'s 30 minutes a beacon', () => {
    expect(beacons({ ...ENGAGEMENT, sd: 130, e: 3_600_000 })).toEqual([{ site: 'example.com', url: ENGAGEMENT.u, event: 'engagement', em: 1_800_000, sd: 100 }]);
    const { sd: _unused, ...noScroll } = ENGAGEMENT;
    expect(beacons(noScroll)).toEqual([{ site: 'example.com', url: ENGAGEMENT.u, event: 'engagement', em: 5120 }]);
  });

  it('accepts and drops what Tokumei has no place for: i, v, h and revenue', () => {
    expect(beacons({ ...PAGEVIEW, i: true, h: 1, $: { amount: '15.99', currency: 'EUR' } })).toEqual([{ site: 'example.com', url: PAGEVIEW.u, referrer: PAGEVIEW.r }]);
  });

  it('is as strict as /collect: unknown fields named, no coercion, rules named, never a value', () => {
    const cases: [unknown, string][] = [
      [[PAGEVIEW], 'body: must be a JSON object'],
      [{ ...PAGEVIEW, color: 'red', 'jane@example.com': 1 }, 'body: unknown fields "color", 1 other'],
      [{ ...PAGEVIEW, name: 'pageview' }, 'body: give one of "n" and "name", not both'],
      [{ u: PAGEVIEW.u, d: 'example.com' }, 'body n: is required'],
      [{ ...PAGEVIEW, n: 404 }, 'body n: must be a string'],
      [{ ...PAGEVIEW, n: 'Sign up!' }, 'body n: must be letters, digits, spaces or _ . : - (a space is stored as _), at most 64 characters'],
      [{ n: 'pageview', d: 'example.com' }, 'body u: is required'],
      [{ ...PAGEVIEW, r: 1 }, 'body r: must be a string or null'],
      [{ ...PAGEVIEW, p: ['a'] }, 'body p: must be an object, or a JSON string of one'],
      [{ ...PAGEVIEW, p: '{"a":' }, 'body p: must be an object, or a JSON string of one'],
      [{ ...PAGEVIEW, props: { a: null } }, 'body props: values must be strings, numbers or booleans'],
      [{ ...PAGEVIEW, p: { a: { b: 'c' } } }, 'body p: values must be strings, numbers or booleans'],
      [{ ...PAGEVIEW, i: 'false' }, 'body i: must be a boolean'],
      [{ ...PAGEVIEW, v: '36' }, 'body v: must be an integer'],
      [{ ...PAGEVIEW, h: true }, 'body h: must be 0 or 1'],
      [{ ...PAGEVIEW, revenue: 15 }, 'body revenue: must be an object'],
      [{ ...PAGEVIEW, e: 100 }, 'body e: only an engagement event carries it'],
      [{ ...PAGEVIEW, sd: 10 }, 'body sd: only an engagement event carries it'],
      [{ ...ENGAGEMENT, e: undefined }, 'body e: is required for an engagement event'],
      [{ ...ENGAGEMENT, e: '5120' }, 'body e: must be a non-negative integer (ms)'],
      [{ ...ENGAGEMENT, sd: -1 }, 'body sd: must be a non-negative integer (%)'],
      [{ ...PAGEVIEW, d: 7 }, 'body d: must be a string'],
    ];
    for (const [body, message] of cases) expect(refusal(body), message).toBe(message);
  });
});
