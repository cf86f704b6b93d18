import { describe, expect, it } from 'vitest';
import { load } from './harness.js';

// Outbound links, downloads and 404s (data-outbound, data-downloads, data-track-404, tokumei('404')) in the VM
// harness; test/browser/tracker-auto-events.test.ts drives them in Chromium through to storage.

const OUTBOUND = 'Outbound_Link:_Click';
const DOWNLOAD = 'File_Download';
const auto = (page: ReturnType<typeof load>) => page.sent.filter((s) => s.body.event !== 'pageview').map((s) => [s.body.event, s.body.props]);

describe('outbound links (data-outbound)', () => {
  it('sends the target host only, lower case, without port, userinfo, path, query or fragment', () => {
    const page = load({ attrs: { 'data-outbound': '' } });
    page.click('https://jane:secret@Docs.Example.ORG:8443/users/jane?email=jane%40example.com#top');
    page.click('http://www.example.net/');
    expect(auto(page)).toEqual([[OUTBOUND, { host: 'docs.example.org' }], [OUTBOUND, { host: 'www.example.net' }]]);
    // The page the click happened on, with the page view's session: an event like any other.
    expect(page.sent[1]?.body).toMatchObject({ url: 'https://shop.example.com/', sid: page.sent[0]?.body.sid });
    expect(JSON.stringify(page.sent)).not.toContain('jane');
  });

  it('sends an IDN host as the browser writes it (punycode) and an IP literal as is, for the server to judge', () => {
    const page = load({ attrs: { 'data-outbound': '' } });
    page.click('https://例え.jp/');
    page.click('http://198.51.100.7:8080/admin');
    page.click('http://[2001:db8::1]/');
    expect(auto(page).map(([, props]) => props)).toEqual([{ host: 'xn--r8jz45g.jp' }, { host: '198.51.100.7' }, { host: '[2001:db8::1]' }]);
  });

  it('counts middle clicks and modifier clicks, never prevents one, and ignores other buttons', () => {
    const page = load({ attrs: { 'data-outbound': '' } });
    const prevented = [
      page.click('https://www.example.org/a', { ctrlKey: true }),
      page.click('https://www.example.org/b', { type: 'auxclick', button: 1 }),
      page.click('https://www.example.org/c', { type: 'auxclick', button: 2 }),
    ];
    expect(prevented).toEqual([false, false, false]);
    expect(auto(page)).toHaveLength(2);
  });

  it('does not count internal links, other schemes, clicks outside links, or anything without the attribute', () => {
    const page = load({ attrs: { 'data-outbound': '' } });
    for (const href of ['/pricing', 'https://shop.example.com/other', 'mailto:jane@example.com', 'tel:+81312345678', 'javascript:void(0)', undefined]) page.click(href);
    page.click('https://www.example.org/', { svg: true });
    expect(() => page.click(undefined, { onDocument: true })).not.toThrow();
    // Another port of the same host is another origin: outbound.
    page.click('https://shop.example.com:8443/');
    expect(auto(page)).toEqual([[OUTBOUND, { host: 'shop.example.com' }]]);
    const off = load();
    off.click('https://www.example.org/');
    expect(off.sent).toHaveLength(1);
  });

  it('sends nothing from an excluded page or a silent browser; without a session id under "count" with DNT', () => {
    const excluded = load({ href: 'https://shop.example.com/admin/x', attrs: { 'data-outbound': '', 'data-exclude': '/admin/*' } });
    excluded.click('https://www.example.org/');
    const silent = load({ doNotTrack: '1', policy: 'drop', attrs: { 'data-outbound': '' } });
    silent.click('https://www.example.org/');
    expect([excluded.sent, silent.sent]).toEqual([[], []]);
    const counted = load({ doNotTrack: '1', policy: 'count', attrs: { 'data-outbound': '' } });
    counted.click('https://www.example.org/');
    expect(counted.sent.map((s) => [s.body.event, 'sid' in s.body])).toEqual([['pageview', false], [OUTBOUND, false]]);
  });
});

describe('downloads (data-downloads)', () => {
  it('counts the default list by extension only, case-insensitively, wherever the file is hosted', () => {
    const page = load({ attrs: { 'data-downloads': '' } });
    page.click('/files/Report-2026.PDF?token=abc#page=2');
    page.click('https://cdn.example.net/jane/setup.dmg');
    page.click('/music/track.mp3');
    page.click('/notes.md'); // not in the list
    page.click('/files/'); // no extension
    page.click('/archive.tar.gz');
    expect(auto(page)).toEqual([[DOWNLOAD, { ext: 'pdf' }], [DOWNLOAD, { ext: 'dmg' }], [DOWNLOAD, { ext: 'mp3' }], [DOWNLOAD, { ext: 'gz' }]]);
    expect(JSON.stringify(page.sent)).not.toMatch(/token|jane|Report/);
  });

  it('takes the site\'s own list instead, with commas, spaces or dots', () => {
    const page = load({ attrs: { 'data-downloads': '.EPUB, ipynb zip' } });
    for (const href of ['/book.epub', '/nb.ipynb', '/a.zip', '/doc.pdf']) page.click(href);
    expect(auto(page).map(([, props]) => props)).toEqual([{ ext: 'epub' }, { ext: 'ipynb' }, { ext: 'zip' }]);
  });

  it('is a download first: a listed file on another host is not also an outbound click', () => {
    const page = load({ attrs: { 'data-downloads': '', 'data-outbound': '' } });
    page.click('https://cdn.example.net/file.zip');
    page.click('https://cdn.example.net/page.html');
    expect(auto(page)).toEqual([[DOWNLOAD, { ext: 'zip' }], [OUTBOUND, { host: 'cdn.example.net' }]]);
  });

  it('counts nothing without the attribute', () => {
    const page = load({ attrs: { 'data-outbound': '' } });
    page.click('/files/report.pdf');
    expect(auto(page)).toEqual([]);
  });
});

describe('404 pages', () => {
  it('data-track-404 sends one 404 event after the page view of the page as loaded, not of later SPA pages', () => {
    const page = load({ href: 'https://shop.example.com/no/such/page?ref=x', attrs: { 'data-track-404': '' } });
    page.pushState('/found');
    expect(page.paths()).toEqual(['pageview /no/such/page', '404 /no/such/page', 'pageview /found']);
    expect(page.sent[1]?.body).not.toHaveProperty('props');
    expect(page.sent[1]?.body).not.toHaveProperty('referrer');
  });

  it('waits with it for a prerendered page to be shown', () => {
    const page = load({ prerendering: true, attrs: { 'data-track-404': '' } });
    expect(page.sent).toEqual([]);
    page.fire('prerenderingchange');
    expect(page.paths()).toEqual(['pageview /', '404 /']);
  });

  it("tokumei('404') sends it for the current page, queued before the script ran too", () => {
    const page = load({ href: 'https://shop.example.com/gone', queued: [['404']] });
    page.pushState('/app/missing');
    page.track('404');
    expect(page.paths()).toEqual(['pageview /gone', '404 /gone', 'pageview /app/missing', '404 /app/missing']);
  });

  it('sends none from an excluded page', () => {
    const page = load({ href: 'https://shop.example.com/admin/x', attrs: { 'data-track-404': '', 'data-exclude': '/admin/*' } });
    page.track('404');
    expect(page.sent).toEqual([]);
  });
});
