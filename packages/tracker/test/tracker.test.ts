import { describe, expect, it } from 'vitest';
import { buildTracker } from '@tokumei/tracker';
import { load, type FakeWindow, type Page } from './harness.js';

// The served (minified) script, run in a bare VM context with a hand-made browser (harness.ts): fast checks of every
// branch. test/browser/tracker.test.ts runs the same script in Chromium against the whole pipeline.

describe('page view on load', () => {
  it('sends every contract field with sendBeacon to the script origin', () => {
    const page = load({ href: 'https://shop.example.com/pricing?plan=pro#faq', referrer: 'https://www.example.org/search' });
    expect(page.sent).toHaveLength(1);
    const [beacon] = page.sent;
    expect(beacon?.via).toBe('beacon');
    expect(beacon?.endpoint).toBe('https://stats.example.com/collect');
    expect(beacon?.body).toEqual({
      site: 'shop.example.com', url: 'https://shop.example.com/pricing?plan=pro#faq', referrer: 'https://www.example.org/search',
      sid: expect.stringMatching(/^[\da-f]{32}$/) as string, event: 'pageview', w: 1280, lang: 'en-GB',
    });
  });

  it('defaults the site to the page host and leaves out an empty referrer', () => {
    const page = load({ href: 'https://blog.example.com/post', attrs: { 'data-site': '' } });
    expect(page.sent[0]?.body.site).toBe('blog.example.com');
    expect(page.sent[0]?.body).not.toHaveProperty('referrer');
  });

  it('posts to data-api instead of the script origin', () => {
    const page = load({ attrs: { 'data-api': 'https://example.com/stats/' } });
    expect(page.sent[0]?.endpoint).toBe('https://example.com/stats/collect');
  });

  it('falls back to fetch with keepalive and no credentials when sendBeacon refuses or is missing', () => {
    for (const beacon of [false, undefined]) {
      const page = load({ beacon });
      const fetched = page.sent.filter((s) => s.via === 'fetch');
      expect(fetched).toHaveLength(1);
      expect(fetched[0]?.endpoint).toBe('https://stats.example.com/collect');
      expect(fetched[0]?.init).toMatchObject({ method: 'POST', keepalive: true, credentials: 'omit' });
      expect(fetched[0]?.init).not.toHaveProperty('headers');
    }
  });

  it('keeps the beacon within ingest limits: long URLs cut, malformed languages left out', () => {
    const long = `https://shop.example.com/search?q=${'x'.repeat(3000)}`;
    const page = load({ href: long, referrer: long, language: 'en_US@posix' });
    const body = page.sent[0]?.body;
    expect(String(body?.url)).toHaveLength(2048);
    expect(String(body?.referrer)).toHaveLength(2048);
    expect(body).not.toHaveProperty('lang');
  });

  it('counts once when the script is included twice', () => {
    const first = load();
    const second = load({ window: first.window });
    expect(first.sent).toHaveLength(1);
    expect(second.sent).toHaveLength(0);
  });

  it('waits for a prerendered page to be shown', () => {
    const page = load({ prerendering: true });
    expect(page.sent).toHaveLength(0);
    page.fire('prerenderingchange');
    expect(page.sent).toHaveLength(1);
  });
});

describe('session id', () => {
  it('is random per tab and kept in sessionStorage across page loads', () => {
    const storage = new Map<string, string>();
    const first = load({ storage });
    const second = load({ storage, href: 'https://shop.example.com/next' });
    const other = load();
    expect(first.sent[0]?.body.sid).toBe(second.sent[0]?.body.sid);
    expect(storage.get('tokumei.sid')).toBe(first.sent[0]?.body.sid);
    expect(other.sent[0]?.body.sid).not.toBe(first.sent[0]?.body.sid);
  });

  it('replaces a stored value that is not one of ours', () => {
    const storage = new Map([['tokumei.sid', 'x'.repeat(500)]]);
    const page = load({ storage });
    expect(page.sent[0]?.body.sid).toMatch(/^[\da-f]{32}$/);
  });

  it('lives as long as the page when storage is blocked', () => {
    const page = load({ storage: 'blocked' });
    page.pushState('/other');
    expect(page.sent).toHaveLength(2);
    expect(page.sent[0]?.body.sid).toMatch(/^[\da-f]{32}$/);
    expect(page.sent[1]?.body.sid).toBe(page.sent[0]?.body.sid);
  });
});

describe('single-page navigations', () => {
  it('counts pushState and popstate, not a replaceState or fragment change to the same page', () => {
    const page = load({ href: 'https://shop.example.com/app', referrer: 'https://www.example.org/' });
    page.pushState('/app/a');
    page.pushState('/app/b');
    page.replaceState('/app/b');
    page.pushState('/app/b#details');
    page.back('/app/b');
    page.back('/app/a');
    page.replaceState('/app/a?tab=2');
    expect(page.paths()).toEqual(['pageview /app', 'pageview /app/a', 'pageview /app/b', 'pageview /app/a', 'pageview /app/a']);
    // The referrer brought the visitor to the first page only.
    expect(page.sent.map((s) => s.body.referrer)).toEqual(['https://www.example.org/', undefined, undefined, undefined, undefined]);
    expect(new Set(page.sent.map((s) => s.body.sid)).size).toBe(1);
  });
});

describe('custom events', () => {
  it('sends tokumei("event", name) with the page URL and session', () => {
    const page = load({ href: 'https://shop.example.com/signup' });
    page.track('event', 'signup');
    page.track('event', 'checkout:step-2.done');
    expect(page.paths()).toEqual(['pageview /signup', 'signup /signup', 'checkout:step-2.done /signup']);
    expect(page.sent[1]?.body.sid).toBe(page.sent[0]?.body.sid);
    expect(page.sent[1]?.body).not.toHaveProperty('referrer');
  });

  it('sends custom properties given as { props }, and none otherwise', () => {
    const page = load();
    page.track('event', 'signup', { props: { plan: 'pro', lang: 'ja' } });
    page.track('event', 'signup', { other: 1 });
    page.track('event', 'signup');
    expect(page.sent[1]?.body.props).toEqual({ plan: 'pro', lang: 'ja' });
    expect(page.sent.slice(2).map((s) => 'props' in s.body)).toEqual([false, false]);
  });

  it.each([['has space'], [''], ['x'.repeat(65)], [42], [undefined]])('refuses the name %j with a console warning', (name) => {
    const page = load();
    page.track('event', name);
    expect(page.sent).toHaveLength(1);
    expect(page.warnings).toHaveLength(1);
  });

  it('ignores unknown commands', () => {
    const page = load();
    page.track('identify', 'jane');
    expect(page.sent).toHaveLength(1);
  });

  it('sends the calls queued before the script ran, after the page view', () => {
    const page = load({ queued: [['event', 'early'], ['event', 'bad name']] });
    expect(page.paths()).toEqual(['pageview /', 'early /']);
  });
});

describe('DNT and GPC, per the baked-in policy', () => {
  const signals = [{ doNotTrack: '1' }, { gpc: true }];

  it.each(signals)('count: page views and events without a session id, nothing stored (%o)', (signal) => {
    const storage = new Map<string, string>();
    const page = load({ ...signal, storage, policy: 'count' });
    page.pushState('/next');
    page.track('event', 'signup');
    expect(page.paths()).toEqual(['pageview /', 'pageview /next', 'signup /next']);
    for (const beacon of page.sent) expect(beacon.body).not.toHaveProperty('sid');
    expect(storage.size).toBe(0);
  });

  it.each(signals)('drop: nothing at all (%o)', (signal) => {
    const storage = new Map<string, string>();
    const page = load({ ...signal, storage, policy: 'drop' });
    page.pushState('/next');
    page.track('event', 'signup');
    expect(page.sent).toEqual([]);
    expect(storage.size).toBe(0);
  });

  it.each(signals)('ignore: as without the signal (%o)', (signal) => {
    const page = load({ ...signal, policy: 'ignore' });
    expect(page.sent[0]?.body.sid).toMatch(/^[\da-f]{32}$/);
  });

  it.each(['count', 'drop'] as const)('%s: a browser without a signal is tracked normally', (policy) => {
    const page = load({ policy, doNotTrack: '0' });
    expect(page.sent[0]?.body.sid).toMatch(/^[\da-f]{32}$/);
  });
});

describe('pages not tracked', () => {
  it.each([
    ['/admin/', true], ['/admin/users/7', true], ['/admin', false], ['/preview', true], ['/preview/1', false],
    ['/previews', false], ['/a.b', true], ['/axb', false], ['/shop', false],
  ])('data-exclude="/admin/*,/preview, /a.b" on %s → excluded: %s', (path, excluded) => {
    const page = load({ href: `https://shop.example.com${path}`, attrs: { 'data-exclude': '/admin/*,/preview, /a.b' } });
    expect(page.sent).toHaveLength(excluded ? 0 : 1);
  });

  it('applies exclusions to SPA navigations and events too', () => {
    const page = load({ attrs: { 'data-exclude': '/admin/*' } });
    page.pushState('/admin/settings');
    page.track('event', 'saved');
    page.pushState('/');
    expect(page.paths()).toEqual(['pageview /', 'pageview /']);
  });

  it.each(['http://localhost:3000/', 'http://app.localhost/', 'http://127.0.0.1:8000/', 'http://[::1]/', 'file:///home/site/index.html'])(
    'ignores %s unless data-allow-localhost is present',
    (href) => {
      expect(load({ href }).sent).toHaveLength(0);
      expect(load({ href, attrs: { 'data-allow-localhost': '' } }).sent).toHaveLength(1);
    },
  );

  it('still defines tokumei() on an ignored page, so calls do not throw', () => {
    const page = load({ href: 'http://localhost/' });
    expect(() => page.track('event', 'signup')).not.toThrow();
    expect(page.sent).toHaveLength(0);
  });
});

describe('buildTracker', () => {
  it('builds each policy once and returns the same buffers after', () => {
    const first = buildTracker({ consentPolicy: 'ignore' });
    expect(buildTracker({ consentPolicy: 'ignore' })).toBe(first);
    expect(buildTracker({ consentPolicy: 'count' })).not.toBe(first);
  });
});

describe('engagement', () => {
  /** A page with a clock the test moves, a visibility it sets, and a document 4000 px high in a 1000 px window. */
  function engaged(page: Page = {}) {
    let now = 1_000_000;
    const win: FakeWindow = { Date: { now: () => now }, scrollY: 0, innerHeight: 1000 };
    const loaded = load({ ...page, window: win });
    const doc = win.document as Record<string, unknown>;
    Object.assign(doc, { visibilityState: 'visible', documentElement: { scrollHeight: 4000 } });
    return {
      ...loaded,
      wait: (ms: number) => { now += ms; },
      scroll: (y: number) => { win.scrollY = y; loaded.fire('scroll'); },
      hide: () => { doc.visibilityState = 'hidden'; loaded.fire('visibilitychange'); },
      show: () => { doc.visibilityState = 'visible'; loaded.fire('visibilitychange'); },
      engagements: () => loaded.sent.filter((s) => s.body.event === 'engagement').map((s) => s.body),
    };
  }

  it('sends visible time and the deepest scroll once when the page is hidden, pagehide after it adding nothing', () => {
    const page = engaged();
    page.wait(4000);
    page.scroll(1000);
    page.scroll(200);
    page.hide();
    page.fire('pagehide');
    expect(page.engagements()).toEqual([expect.objectContaining({ event: 'engagement', em: 4000, sd: 50, url: 'https://shop.example.com/' })]);
    expect(page.sent.filter((s) => s.body.event === 'pageview')).toHaveLength(1);
  });

  it('does not count the time hidden, and reports the time shown again on the next hide', () => {
    const page = engaged();
    page.wait(5000);
    page.hide();
    page.wait(60_000);
    page.show();
    page.wait(3500);
    page.fire('pagehide');
    expect(page.engagements().map((b) => b.em)).toEqual([5000, 3500]);
  });

  it('sends nothing new for under 3 s without a deeper scroll, and caps a beacon at 30 minutes', () => {
    const short = engaged();
    short.hide(); // the first view of the page is news: 25 % seen
    short.show();
    short.wait(2999);
    short.hide();
    short.show();
    short.scroll(3000);
    short.hide();
    expect(short.engagements().map((b) => [b.em, b.sd])).toEqual([[0, 25], [2999, 100]]);
    const long = engaged();
    long.wait(5 * 3600 * 1000);
    long.hide();
    expect(long.engagements().map((b) => b.em)).toEqual([1_800_000]);
  });

  it("reports the previous page's engagement, with its URL, on an SPA navigation", () => {
    const page = engaged();
    page.wait(4000);
    page.pushState('/next');
    page.wait(6000);
    page.hide();
    expect(page.paths()).toEqual(['pageview /', 'engagement /', 'pageview /next', 'engagement /next']);
    expect(page.engagements().map((b) => b.em)).toEqual([4000, 6000]);
  });

  it('sends none from an excluded page or a silent browser', () => {
    for (const page of [engaged({ href: 'https://shop.example.com/admin/x', attrs: { 'data-exclude': '/admin/*' } }), engaged({ doNotTrack: '1', policy: 'drop' })]) {
      page.wait(10_000);
      page.hide();
      expect(page.sent).toEqual([]);
    }
  });
});
