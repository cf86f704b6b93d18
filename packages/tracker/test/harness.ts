import { randomFillSync } from 'node:crypto';
import vm from 'node:vm';
import type { ConsentPolicy } from '@tokumei/config';
import { buildTracker } from '@tokumei/tracker';

// The served (minified) script in a bare VM context with a hand-made browser, for the tracker's unit tests.

export interface Page {
  href?: string;
  attrs?: Record<string, string>;
  referrer?: string;
  policy?: ConsentPolicy;
  doNotTrack?: string | null;
  gpc?: boolean;
  language?: string;
  /** What navigator.sendBeacon returns; `undefined` removes it. */
  beacon?: boolean | undefined;
  storage?: Map<string, string> | 'blocked';
  prerendering?: boolean;
  /** A window to load the script into again (double inclusion). */
  window?: FakeWindow;
  /** Calls queued by the README's stub before the script ran. */
  queued?: unknown[][];
}

export interface Sent {
  via: 'beacon' | 'fetch';
  endpoint: string;
  body: Record<string, unknown>;
  init?: Record<string, unknown>;
}

export type FakeWindow = Record<string, unknown> & { tokumei?: (...args: unknown[]) => void };

export function load(page: Page = {}) {
  const sent: Sent[] = [];
  const listeners = new Map<string, ((event?: unknown) => void)[]>();
  const warnings: string[] = [];
  let url = new URL(page.href ?? 'https://shop.example.com/');
  const attrs: Record<string, string> = { src: 'https://stats.example.com/t.js', 'data-site': 'shop.example.com', ...page.attrs };
  const location = {
    get href() { return url.href; },
    get pathname() { return url.pathname; },
    get hostname() { return url.hostname; },
    get host() { return url.host; },
    get protocol() { return url.protocol; },
  };
  const storage = page.storage ?? new Map<string, string>();
  const blocked = () => { throw new Error('SecurityError'); };
  const win: FakeWindow = page.window ?? {};
  const navigate = (to: string) => { url = new URL(to, url); };
  Object.assign(win, {
    window: win,
    URL,
    location,
    innerWidth: 1280,
    document: {
      currentScript: { src: attrs.src, getAttribute: (name: string) => attrs[name] ?? null },
      querySelector: () => null,
      referrer: page.referrer ?? '',
      prerendering: page.prerendering ?? false,
      addEventListener: (type: string, listener: () => void) => listeners.set(type, [...(listeners.get(type) ?? []), listener]),
    },
    navigator: {
      doNotTrack: page.doNotTrack ?? null,
      globalPrivacyControl: page.gpc ?? false,
      language: page.language ?? 'en-GB',
      ...('beacon' in page && page.beacon === undefined ? {} : {
        sendBeacon: (endpoint: string, body: string) => {
          sent.push({ via: 'beacon', endpoint, body: JSON.parse(body) as Record<string, unknown> });
          return page.beacon ?? true;
        },
      }),
    },
    history: {
      pushState: (_state: unknown, _title: string, to: string) => navigate(to),
      replaceState: (_state: unknown, _title: string, to: string) => navigate(to),
    },
    sessionStorage: storage === 'blocked' ? { getItem: blocked, setItem: blocked } : {
      getItem: (key: string) => storage.get(key) ?? null,
      setItem: (key: string, value: string) => storage.set(key, value),
    },
    crypto: { getRandomValues: <T extends NodeJS.ArrayBufferView>(array: T) => randomFillSync(array) },
    fetch: (endpoint: string, init: Record<string, unknown>) => {
      sent.push({ via: 'fetch', endpoint, body: JSON.parse(init.body as string) as Record<string, unknown>, init });
      return Promise.resolve();
    },
    console: { warn: (message: string) => warnings.push(message) },
    addEventListener: (type: string, listener: () => void) => listeners.set(type, [...(listeners.get(type) ?? []), listener]),
  });
  if (page.queued !== undefined) win.tokumei = Object.assign(() => undefined, { q: page.queued });
  const script = buildTracker({ consentPolicy: page.policy ?? 'count' }).body.toString();
  vm.runInNewContext(script, vm.createContext(win));

  const history = win.history as { pushState(s: unknown, t: string, u: string): void; replaceState(s: unknown, t: string, u: string): void };
  const fire = (type: string) => { for (const listener of listeners.get(type) ?? []) listener(); };
  return {
    sent,
    warnings,
    storage,
    window: win,
    pushState: (to: string) => history.pushState({}, '', to),
    replaceState: (to: string) => history.replaceState({}, '', to),
    /** The back button: the browser moves the URL, then fires popstate. */
    back: (to: string) => { navigate(to); fire('popstate'); },
    fire,
    /**
     * A click on an element inside a link (`href` as the browser resolves it, absent for an element in no link):
     * what the document's listener gets. Returns whether anything prevented the click.
     */
    click: (href: string | undefined, init: { type?: 'click' | 'auxclick'; button?: number; ctrlKey?: boolean; svg?: boolean; onDocument?: boolean } = {}) => {
      const resolved = href === undefined ? undefined : new URL(href, url).href;
      // An SVG <a>'s href is an SVGAnimatedString, not a string.
      const link = resolved === undefined ? null : { href: init.svg === true ? { baseVal: resolved, animVal: resolved } : resolved };
      let prevented = false;
      const event = {
        type: init.type ?? 'click', button: init.button ?? 0, ctrlKey: init.ctrlKey ?? false,
        // Dispatched on the document itself, the target is no element (no closest()).
        target: init.onDocument === true ? {} : { closest: (selector: string) => (selector === 'a[href]' ? link : null) },
        preventDefault: () => { prevented = true; },
      };
      for (const listener of listeners.get(event.type) ?? []) listener(event);
      return prevented;
    },
    track: (...args: unknown[]) => win.tokumei?.(...args),
    paths: () => sent.map((s) => `${String(s.body.event)} ${new URL(String(s.body.url)).pathname}`),
  };
}

