import { describe, expect, it } from 'vitest';
import { checkBeacon } from '@tokumei/schema';
import { mapUmami } from '../src/umami-map.js';

const WEBSITE = '7f3c1d2e-0a4b-4c5d-8e9f-0123456789ab';
const WEBSITES = new Map([[WEBSITE, 'example.com']]);
/** What Umami's browser script sends for a page view (its fields), and what @umami/node 0.4.0's track(name, data) sends. */
const PAGEVIEW = {
  type: 'event',
  payload: { website: WEBSITE, hostname: 'example.com', screen: '1920x1080', language: 'en-US', title: 'Pricing', url: '/pricing?utm_source=news', referrer: 'https://www.example.org/' },
};
const NODE_EVENT = { type: 'event', payload: { website: WEBSITE, name: 'signup', data: { plan: 'pro', seats: 3 } } };

function beacons(body: unknown): readonly Record<string, unknown>[] {
  const mapped = mapUmami(body, WEBSITES);
  if (!mapped.ok) throw new Error(`refused: ${mapped.error.message}`);
  if ('identify' in mapped) throw new Error('identify');
  for (const beacon of mapped.beacons) expect(checkBeacon(beacon)).toMatchObject({ ok: true });
  return mapped.beacons;
}

function refusal(body: unknown): string {
  const mapped = mapUmami(body, WEBSITES);
  if (mapped.ok) throw new Error('accepted');
  return `${mapped.error.code} ${mapped.error.message}`;
}

describe('mapUmami', () => {
  it('maps a page view: path joined to hostname, width from screen, language; the title is not kept', () => {
    expect(beacons(PAGEVIEW)).toEqual([{
      site: 'example.com', url: 'https://example.com/pricing?utm_source=news', referrer: 'https://www.example.org/', w: 1920, lang: 'en-US',
    }]);
  });

  it('maps a custom event with data as props (numbers as strings), under the site\'s root page when no url is sent', () => {
    expect(beacons(NODE_EVENT)).toEqual([{ site: 'example.com', url: 'https://example.com/', event: 'signup', props: { plan: 'pro', seats: '3' } }]);
    expect(beacons({ type: 'event', payload: { website: WEBSITE.toUpperCase(), url: 'https://shop.example.com/a', name: 'Add to cart' } })).toEqual([
      { site: 'example.com', url: 'https://shop.example.com/a', event: 'Add_to_cart' },
    ]);
  });

  it('drops the distinct id unread and says so, and reads nothing of an identify call', () => {
    const mapped = mapUmami({ type: 'event', payload: { ...PAGEVIEW.payload, id: 'user-42@example.com', tag: 'b' } }, WEBSITES);
    expect(mapped).toMatchObject({ ok: true, dropped: ['id'] });
    expect(JSON.stringify(mapped)).not.toContain('user-42');
    const identify = mapUmami({ type: 'identify', payload: { website: WEBSITE, data: { email: 'jane@example.com' }, id: 'u-1' } }, WEBSITES);
    expect(identify).toEqual({ ok: true, identify: true, dropped: ['identify'] });
  });

  it('refuses an unknown website with its own code, and a malformed request naming the field', () => {
    const cases: [unknown, string][] = [
      [{ ...PAGEVIEW, payload: { ...PAGEVIEW.payload, website: '00000000-0000-4000-8000-000000000000' } }, 'TKM_UNKNOWN_WEBSITE the Umami website id is not one of TOKUMEI_UMAMI_WEBSITES'],
      [{ type: 'identify', payload: { website: '00000000-0000-4000-8000-000000000000' } }, 'TKM_UNKNOWN_WEBSITE the Umami website id is not one of TOKUMEI_UMAMI_WEBSITES'],
      [{ ...PAGEVIEW, payload: { ...PAGEVIEW.payload, website: 'example.com' } }, 'TKM_INVALID_BEACON body payload.website: must be an Umami website id (a UUID)'],
      [{ ...PAGEVIEW, cache: 'x' }, 'TKM_INVALID_BEACON body: unknown field "cache"'],
      [{ ...PAGEVIEW, type: 'performance' }, 'TKM_INVALID_BEACON body type: must be "event" or "identify"'],
      [{ type: 'event' }, 'TKM_INVALID_BEACON body payload: must be an object'],
      [{ ...PAGEVIEW, payload: { ...PAGEVIEW.payload, ip: '203.0.113.7', userAgent: 'x' } }, 'TKM_INVALID_BEACON body payload: unknown fields "ip", "userAgent"'],
      [{ ...PAGEVIEW, payload: { ...PAGEVIEW.payload, url: 7 } }, 'TKM_INVALID_BEACON body payload.url: must be a string'],
      [{ ...PAGEVIEW, payload: { ...PAGEVIEW.payload, url: 'pricing' } }, 'TKM_INVALID_BEACON body payload.url: must be a path starting with / or an absolute http(s) URL'],
      [{ ...PAGEVIEW, payload: { ...PAGEVIEW.payload, url: '//evil.example/x' } }, 'TKM_INVALID_BEACON body payload.url: must be a path starting with / or an absolute http(s) URL'],
      [{ ...PAGEVIEW, payload: { ...PAGEVIEW.payload, hostname: 'a@b.example' } }, 'TKM_INVALID_BEACON body payload.hostname: must be a host name'],
      [{ ...PAGEVIEW, payload: { ...PAGEVIEW.payload, screen: 'big' } }, 'TKM_INVALID_BEACON body payload.screen: must be WIDTHxHEIGHT in pixels, e.g. 1920x1080'],
      [{ ...NODE_EVENT, payload: { ...NODE_EVENT.payload, name: 'engagement' } }, 'TKM_INVALID_BEACON body payload.name: "engagement" is reserved for engagement beacons'],
      [{ ...NODE_EVENT, payload: { ...NODE_EVENT.payload, name: 'a/b' } }, 'TKM_INVALID_BEACON body payload.name: must be letters, digits, spaces or _ . : - (a space is stored as _), at most 64 characters'],
      [{ ...NODE_EVENT, payload: { ...NODE_EVENT.payload, data: { nested: { a: 1 } } } }, 'TKM_INVALID_BEACON body payload.data: values must be strings, numbers or booleans'],
      [{ ...NODE_EVENT, payload: { ...NODE_EVENT.payload, data: [1] } }, 'TKM_INVALID_BEACON body payload.data: must be an object'],
    ];
    for (const [body, message] of cases) expect(refusal(body), message).toBe(message);
  });
});
