// @ts-check
/*
 * Tokumei's browser tracker, served by ingest as /t.js. This is the readable source: ingest minifies it once at
 * start-up (src/index.ts) and replaces __TOKUMEI_CONSENT__ with its TOKUMEI_CONSENT_POLICY, so a site owner never
 * configures consent in two places. No cookies, no localStorage; the only state is a random per-tab id in
 * sessionStorage, and not even that for a browser that asked not to be tracked.
 */
/* global window, document, navigator, location, history, sessionStorage, crypto, fetch, console, URL, __TOKUMEI_CONSENT__ */
(() => {
  const previous = window.tokumei;
  // Included twice (layout and page, say), the second copy would count every page view again.
  if (previous && previous.loaded) return;

  // Only set while the script first runs; a deferred script still has it then.
  const script = /** @type {HTMLScriptElement | null} */ (document.currentScript || document.querySelector('script[src$="/t.js"]'));
  /** @param {string} name */
  const data = (name) => script && script.getAttribute('data-' + name);

  const site = data('site') || location.hostname;
  const base = data('api') || (script && script.src ? new URL(script.src).origin : '');
  const endpoint = base.replace(/\/+$/, '') + '/collect';

  const signalled = navigator.doNotTrack === '1' || navigator.globalPrivacyControl === true;
  const policy = __TOKUMEI_CONSENT__;
  // `drop`: a browser that signals DNT/GPC sends nothing. `count`: it sends page views without a session id, so they
  // are counted but cannot be linked to each other. `ignore`: the signal changes nothing.
  const silent = signalled && policy === 'drop';
  const anonymous = signalled && policy === 'count';

  // Developers' own machines would pollute the statistics; the browser tests opt back in.
  const local = location.protocol === 'file:' || /^(.*\.)?localhost$|^127(\.\d+){3}$|^\[::1\]$/.test(location.hostname);
  const ignored = silent || (local && data('allow-localhost') === null);

  // "/admin/*,/preview": `*` matches anything (slashes too), everything else literally, against the whole path.
  const excluded = (data('exclude') || '').split(',').map((pattern) => pattern.trim()).filter(Boolean)
    .map((pattern) => new RegExp('^' + pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$'));

  /** @type {string | null | undefined} */
  let sid;
  /** @returns {string} */
  const sessionId = () => {
    if (!sid) {
      try {
        sid = sessionStorage.getItem('tokumei.sid');
      } catch {
        // Storage can be blocked (sandboxed frames, strict settings): the id then lives as long as the page.
      }
      if (!sid || !/^[\da-f]{32}$/.test(sid)) {
        sid = Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => (byte + 256).toString(16).slice(1)).join('');
        try {
          sessionStorage.setItem('tokumei.sid', sid);
        } catch {
          // As above.
        }
      }
    }
    return sid;
  };

  /**
   * @param {string} event
   * @param {string} [referrer]
   * @param {{ em?: number, sd?: number, props?: unknown }} [extra] engagement numbers or custom properties
   * @param {string} [href] the page the beacon is about (an SPA has already moved on when its engagement is sent)
   */
  const send = (event, referrer, extra, href = location.href) => {
    if (ignored || excluded.some((pattern) => pattern.test(new URL(href).pathname))) return;
    const lang = navigator.language;
    // Ingest's limits (url and referrer 2048, lang a BCP 47 tag): a beacon over them would be refused whole.
    const body = JSON.stringify({
      site,
      url: href.slice(0, 2048),
      referrer: referrer ? referrer.slice(0, 2048) : undefined,
      sid: anonymous ? undefined : sessionId(),
      event,
      w: window.innerWidth,
      lang: /^[A-Za-z]{1,8}(-[A-Za-z\d]{1,8})*$/.test(lang) && lang.length <= 35 ? lang : undefined,
      ...extra,
    });
    // A string body goes as text/plain: no CORS preflight. sendBeacon survives the page unloading; it returns false
    // when the browser's beacon queue is full.
    try {
      if (navigator.sendBeacon && navigator.sendBeacon(endpoint, body)) return;
    } catch {
      // Fall through to fetch.
    }
    fetch(endpoint, { method: 'POST', body, keepalive: true, credentials: 'omit' }).catch(() => {});
  };

  // Engagement, Plausible-style: the time the page was visible (not wall time) and the deepest point scrolled to,
  // sent as an `engagement` event (never a page view) when the page is hidden or left, and for the previous page on
  // an SPA navigation. Only what is new since the last one: at least 3 s more, or a deeper scroll.
  let engaged = 0;
  /** When the page was last shown, or 0 while hidden. */
  let shown = 0;
  let depth = 0;
  let sentDepth = 0;
  const visible = () => document.visibilityState !== 'hidden';
  const scrolled = () => {
    const root = document.documentElement;
    const height = root && root.scrollHeight;
    if (height) depth = Math.max(depth, Math.min(100, Math.round(((window.scrollY + window.innerHeight) / height) * 100)));
  };
  /** @param {string} [href] */
  const engagement = (href) => {
    if (shown) engaged += Date.now() - shown;
    shown = visible() ? Date.now() : 0;
    scrolled();
    if (!href || (engaged < 3000 && depth <= sentDepth)) return;
    send('engagement', undefined, { em: Math.min(engaged, 1800000), sd: depth }, href);
    engaged = 0;
    sentDepth = depth;
  };

  // The fragment never reaches storage, so a fragment-only change (an in-page anchor) is not a new page.
  /** @type {string | undefined} */
  let last;
  /** @type {string | undefined} */
  let referrer = document.referrer;
  const pageview = () => {
    const page = location.href.split('#')[0];
    if (page === last) return;
    engagement(last);
    // What the first screen shows is no news: a page glanced at for under 3 s without scrolling sends nothing.
    engaged = depth = 0;
    scrolled();
    sentDepth = depth;
    last = page;
    send('pageview', referrer);
    // data-track-404 marks a not-found page (its template's script tag): the page as loaded, not later SPA pages.
    if (referrer !== undefined && data('track-404') !== null) send('404');
    referrer = undefined; // the referrer brought the visitor to the first page, not to the later ones
  };

  for (const method of /** @type {const} */ (['pushState', 'replaceState'])) {
    const original = history[method];
    /** @type {History['pushState']} */
    history[method] = function (...args) {
      const result = original.apply(this, args);
      pageview();
      return result;
    };
  }
  window.addEventListener('popstate', pageview);
  window.addEventListener('scroll', scrolled, { passive: true });
  // Hidden: stop the clock and report; shown again: start it. `pagehide` covers pages left without being hidden first.
  document.addEventListener('visibilitychange', () => engagement(last));
  window.addEventListener('pagehide', () => engagement(last));

  // Automatic events, each opted into on the script tag. Only the target's host or the file's extension is sent,
  // never the link's URL (its path and query are where addresses and ids are). The beacon is queued before the
  // browser follows the link: no click is held back, and none is prevented.
  const outbound = data('outbound') !== null;
  const extensions = data('downloads');
  // `data-downloads` alone: Plausible's list. Otherwise the site's, separated by commas, spaces or dots (`.pdf, .zip`).
  const downloads = (extensions === '' ? 'pdf,xlsx,docx,txt,rtf,csv,exe,key,pps,ppt,pptx,7z,pkg,rar,gz,zip,avi,mov,mp4,mpeg,wmv,midi,mp3,wav,wma,dmg' : extensions || '')
    .toLowerCase().split(/[\s,.]+/);
  /** @param {MouseEvent} event */
  const clicked = (event) => {
    // Clicks and middle clicks (auxclick) open the link, modifier keys or not; other buttons open menus.
    if (event.button > 1) return;
    // A click dispatched on the document itself (menus' "click outside" code does) has no element to look in.
    const target = /** @type {Element} */ (event.target);
    const href = String(/** @type {{ href?: unknown }} */ ((target.closest && target.closest('a[href]')) || {}).href);
    // Pages only: a mailto: holds an address; tel: and javascript: are no pages; an SVG link's href is no string.
    if (!/^https?:/.test(href)) return;
    const url = new URL(href);
    const ext = (/\.([\da-z]{1,8})$/.exec(url.pathname.toLowerCase()) || [])[1];
    // A file is a download wherever it is hosted (files often live on another host): that is what was clicked.
    if (ext && downloads.includes(ext)) send('File_Download', undefined, { props: { ext } });
    else if (outbound && url.host !== location.host) send('Outbound_Link:_Click', undefined, { props: { host: url.hostname } });
  };
  document.addEventListener('click', clicked);
  document.addEventListener('auxclick', clicked);

  /** @type {TokumeiApi} */
  const api = (command, name, options) => {
    // Plausible's 404 call: for a not-found page, besides its page view; the page's path says which.
    if (command === '404') send('404');
    if (command !== 'event') return;
    // `{ props: { plan: 'pro' } }`: ingest checks them (and the worker stores only allow-listed keys).
    const props = options && /** @type {{ props?: unknown }} */ (options).props;
    if (typeof name === 'string' && /^[\w.:-]{1,64}$/.test(name)) send(name, undefined, props ? { props } : undefined);
    else console.warn('tokumei: event names are 1-64 of A-Z a-z 0-9 _ . : -');
  };
  api.loaded = true;
  window.tokumei = api;

  // A page being prerendered may never be shown: count it when (and if) it is.
  if (document.prerendering) document.addEventListener('prerenderingchange', pageview, { once: true });
  else pageview();

  // Calls made before this deferred script ran, through the stub in the README.
  for (const args of (previous && previous.q) || []) api(...args);
})();
