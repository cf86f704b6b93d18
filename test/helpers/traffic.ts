import type { EventRow } from '@tokumei/privacy';
import { prng } from './random.js';

/**
 * Seeded synthetic traffic with known truth: pseudonymized event rows as the worker would store them, and the exact
 * statistics they imply, computed here in plain TypeScript (never by ClickHouse) so the API can be checked against
 * them. Sessions stay within one UTC day, like the day-salted session hashes do.
 */

export const PAGES = ['/', '/pricing', '/docs', '/docs/install', '/blog/privacy', '/signup', '/about', '/jobs'] as const;
const REFERRERS = ['example.org', 'news.example.net', 'search.example', 'rare.example'] as const;
const BROWSERS = [['Chrome', 'Windows', 'desktop'], ['Firefox', 'Linux', 'desktop'], ['Mobile Safari', 'iOS', 'mobile'], ['Chrome', 'Android', 'mobile'], ['Safari', 'Mac OS', 'tablet']] as const;
const COUNTRIES = ['DE', 'JP', 'US', 'FR', 'IS'] as const;
const LANGS = ['de-de', 'ja', 'en-us', 'fr', 'is'] as const;
const CAMPAIGNS = [['newsletter', 'email', 'spring'], ['social.example', 'social', 'launch']] as const;


export interface Traffic {
  readonly site: string;
  readonly rows: EventRow[];
}

function row(site: string, ts: number, path: string, over: Partial<EventRow> = {}): EventRow {
  return {
    site, ts, event: 'pageview', host: site, path, query: '', referrer_host: '', utm_source: '', utm_medium: '', utm_campaign: '',
    utm_term: '', utm_content: '', session: '0', visitor: '0', salt_domain: '0', browser: '', browser_version: '', os: '', os_version: '',
    device: '', screen: '', country: '', lang: '', src: 'beacon', ...over,
  };
}

/**
 * `perDay` people a day over `days` UTC days from `startDay` (epoch seconds of a midnight); some come twice a day
 * (two sessions, one visitor), some send consent signals (no hashes), some trigger custom events. Rows of
 * `other.example.com` are mixed in and must never show up in `site`'s numbers.
 */
export function generateTraffic(site: string, startDay: number, days: number, perDay: number, seed = 42): Traffic {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * random() * items.length)] as T; // skewed to the front
  const rows: EventRow[] = [];
  let id = 1n;
  const hash = () => ((id++ * 0x9e3779b97f4a7c15n) & 0x7fffffffffffffffn).toString();
  for (let day = 0; day < days; day += 1) {
    for (let p = 0; p < perDay; p += 1) {
      const visitor = hash();
      const [browser, os, device] = pick(BROWSERS);
      const c = Math.floor(random() * COUNTRIES.length);
      const who = { visitor, browser, os, device, country: COUNTRIES[c] ?? '', lang: LANGS[c] ?? '', screen: device === 'mobile' ? 'mobile' : 'desktop' };
      const consent = random() < 0.1;
      const sessions = random() < 0.2 ? 2 : 1;
      for (let s = 0; s < sessions; s += 1) {
        const session = hash();
        // Seconds into the day: the second session starts in the afternoon, so the two never overlap.
        let at = startDay + day * 86_400 + s * 43_200 + Math.floor(random() * 40_000);
        const views = 1 + Math.floor(random() * random() * 6);
        for (let v = 0; v < views; v += 1) {
          const first = v === 0;
          const campaign = first && random() < 0.3 ? pick(CAMPAIGNS) : undefined;
          const ids = consent ? { session: '0', visitor: '0' } : { session, visitor };
          rows.push(row(site, at, first ? pick(PAGES) : PAGES[Math.floor(random() * PAGES.length)] ?? '/', {
            ...who, ...ids,
            referrer_host: first && random() < 0.6 ? pick(REFERRERS) : '',
            utm_source: campaign?.[0] ?? '', utm_medium: campaign?.[1] ?? '', utm_campaign: campaign?.[2] ?? '',
          }));
          if (random() < 0.1) rows.push(row(site, at + 1, '/signup', { ...who, ...ids, event: 'signup' }));
          at += 5 + Math.floor(random() * 300);
        }
      }
    }
    rows.push(row('other.example.com', startDay + day * 86_400 + 3600, '/', { session: hash(), visitor: hash() }));
  }
  return { site, rows };
}

// ---- truth ----------------------------------------------------------------------------------------------------

export interface Range { from: number; to: number } // epoch seconds, [from, to)

const views = (t: Traffic, r: Range) => t.rows.filter((x) => x.site === t.site && x.event === 'pageview' && x.ts >= r.from && x.ts < r.to);
const distinct = (values: string[]) => new Set(values.filter((v) => v !== '0')).size;

interface SessionTruth { started: number; ended: number; views: number; entry: string; exit: string; visitor: string; domain: string }

/** Sessions that started in the range (session 0 is none). */
function sessions(t: Traffic, r: Range): SessionTruth[] {
  const by = new Map<string, EventRow[]>();
  for (const x of t.rows) {
    if (x.site !== t.site || x.event !== 'pageview' || x.session === '0') continue;
    by.set(x.session, [...(by.get(x.session) ?? []), x]);
  }
  return [...by.values()].map((xs) => {
    const sorted = [...xs].sort((a, b) => a.ts - b.ts);
    const first = sorted[0] as EventRow;
    const last = sorted.at(-1) as EventRow;
    return { started: first.ts, ended: last.ts, views: xs.length, entry: first.path, exit: last.path, visitor: first.visitor, domain: domainOf(first) };
  }).filter((s) => s.started >= r.from && s.started < r.to);
}

export function truthSummary(t: Traffic, r: Range) {
  const v = views(t, r);
  const s = sessions(t, r);
  const bounces = s.filter((x) => x.views === 1).length;
  const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
  return {
    pageviews: v.length,
    visitors: distinct(v.map((x) => x.visitor)),
    sessions: distinct(v.map((x) => x.session)),
    sessionsStarted: s.length,
    bounces,
    bounceRate: ratio(bounces, s.length),
    viewsPerSession: ratio(s.reduce((n, x) => n + x.views, 0), s.length),
    avgDuration: ratio(s.reduce((n, x) => n + x.ended - x.started, 0), s.length),
  };
}

export function truthSeries(t: Traffic, r: Range, step: 3600 | 86_400) {
  const out = [];
  for (let at = Math.floor(r.from / step) * step; at < r.to; at += step) {
    const v = views(t, { from: at, to: at + step });
    out.push({
      time: new Date(at * 1000).toISOString().replace('.000Z', 'Z'),
      pageviews: v.length, visitors: distinct(v.map((x) => x.visitor)), sessions: distinct(v.map((x) => x.session)),
    });
  }
  return out;
}

const COLUMN: Record<string, keyof EventRow> = {
  page: 'path', referrer: 'referrer_host', utm_source: 'utm_source', utm_medium: 'utm_medium', utm_campaign: 'utm_campaign',
  browser: 'browser', os: 'os', device: 'device', country: 'country', language: 'lang', screen: 'screen',
};
const SKIP_EMPTY = new Set(['referrer', 'utm_source', 'utm_medium', 'utm_campaign']);

/** A row's salt domain: its UTC day and, for an import run's records, the run (hashes of two domains never match). */
export function domainOf(x: EventRow): string {
  return `${Math.floor(x.ts / 86_400)}:${x.salt_domain}`;
}

interface Cell { value: string; domain: string; visitors: Set<string>; sessions: Set<string> | number; pageviews: number }

/**
 * The stats API's breakdown rule (k-anonymity per salt domain), computed independently of its SQL: whole UTC days; a value is named with the cells (salt
 * domain) in which it had at least k distinct visitors; every other cell is withheld, and shown as one (other) row
 * only when it holds at least two values that have visitors and, counting per domain only its largest cell, at least k
 * visitors.
 */
export function truthBreakdown(t: Traffic, asked: Range, dimension: string, limit: number, k: number) {
  const r = { from: Math.floor(asked.from / 86_400) * 86_400, to: Math.ceil(asked.to / 86_400) * 86_400 };
  const cells = new Map<string, Cell>();
  const add = (value: string, domain: string, visitor: string, session: string | number, pageviews: number) => {
    const key = JSON.stringify([value, domain]);
    const c = cells.get(key) ?? { value, domain, visitors: new Set<string>(), sessions: typeof session === 'number' ? 0 : new Set<string>(), pageviews: 0 };
    if (visitor !== '0') c.visitors.add(visitor);
    if (typeof c.sessions === 'number') c.sessions += Number(session);
    else if (session !== '0') c.sessions.add(String(session));
    c.pageviews += pageviews;
    cells.set(key, c);
  };
  if (dimension === 'entry_page' || dimension === 'exit_page') {
    for (const s of sessions(t, r)) add(dimension === 'entry_page' ? s.entry : s.exit, s.domain, s.visitor, 1, s.views);
  } else {
    const column = COLUMN[dimension] as keyof EventRow;
    for (const x of views(t, r)) {
      const cell = x[column];
      const value = typeof cell === 'object' ? '' : String(cell); // a dimension column is never the props map
      if (value === '' && SKIP_EMPTY.has(dimension)) continue;
      add(value, domainOf(x), x.visitor, x.session, 1);
    }
  }
  const size = (s: Set<string> | number) => (typeof s === 'number' ? s : s.size);
  const total = (list: Cell[]) => ({
    visitors: list.reduce((n, c) => n + c.visitors.size, 0), pageviews: list.reduce((n, c) => n + c.pageviews, 0),
    sessions: list.reduce((n, c) => n + size(c.sessions), 0),
  });
  const byValue = new Map<string, Cell[]>();
  const small: Cell[] = [];
  for (const c of cells.values()) {
    if (c.visitors.size >= k) byValue.set(c.value, [...(byValue.get(c.value) ?? []), c]);
    else small.push(c);
  }
  const named = [...byValue].map(([value, list]) => ({ value, ...total(list) }))
    .sort((a, b) => b.visitors - a.visitors || b.pageviews - a.pageviews || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  const rows: { value: string; visitors: number; pageviews: number; sessions: number; other?: true }[] = named.slice(0, limit);
  const largest = new Map<string, number>();
  for (const c of small) largest.set(c.domain, Math.max(largest.get(c.domain) ?? 0, c.visitors.size));
  const floor = [...largest.values()].reduce((n, v) => n + v, 0);
  if (new Set(small.filter((c) => c.visitors.size > 0).map((c) => c.value)).size >= 2 && floor >= k) rows.push({ value: '(other)', ...total(small), other: true });
  return { rows, folded: small.length > 0, more: Math.max(0, named.length - limit) };
}
