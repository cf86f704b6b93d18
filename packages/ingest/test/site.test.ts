import { describe, expect, it } from 'vitest';
import { captureIngest, postBeacon } from './harness.js';

/** The site rule is the privacy engine's, applied at ingest: nothing the worker would drop is answered 202. */
const beacon = (site: string) => JSON.stringify({ site, url: 'https://example.com/' });

describe('POST /collect: site names', () => {
  it.each(['jane@example.com', '192.0.2.1', '[2001:db8::1]', 'a_b.example', 'jane-r04-at-example-com.example', '090-1234-5678.example', 'ex\u200bample.com'])(
    'refuses %j with 400 TKM_INVALID_SITE, without echoing it', async (site) => {
      const { app, take } = await captureIngest({ quiet: true });
      const response = await postBeacon(app, beacon(site));
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ error: { code: 'TKM_INVALID_SITE' } });
      expect(response.body).not.toContain(site);
      expect(take()).toEqual([]);
      await app.close();
    });

  it('accepts host names (IDN too, stored in the browser\'s ASCII form, lower case)', async () => {
    const { app, take } = await captureIngest({ quiet: true });
    for (const site of ['Example.COM', 'shop.example.com', '例え.jp', 'xn--r8jz45g.jp']) expect((await postBeacon(app, beacon(site))).statusCode).toBe(202);
    expect(take().map((r) => (r.ok ? r.record.site : r.reason))).toEqual(['example.com', 'shop.example.com', 'xn--r8jz45g.jp', 'xn--r8jz45g.jp']);
    await app.close();
  });

  it('accepts only the declared sites when TOKUMEI_SITES is set (403 TKM_UNKNOWN_SITE otherwise)', async () => {
    const { app, take } = await captureIngest({ quiet: true, env: { TOKUMEI_SITES: 'example.com, 例え.jp' } });
    expect((await postBeacon(app, beacon('example.com'))).statusCode).toBe(202);
    expect((await postBeacon(app, beacon('xn--r8jz45g.jp'))).statusCode).toBe(202);
    const other = await postBeacon(app, beacon('other.example'));
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ error: { code: 'TKM_UNKNOWN_SITE' } });
    expect(take()).toHaveLength(2);
    await app.close();
  });
});
