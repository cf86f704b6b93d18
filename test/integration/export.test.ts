import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { buildApiApp, type ApiApp } from '@tokumei/api';
import { loadConfig } from '@tokumei/config';
import type { EventRow } from '@tokumei/privacy';
import { FIXTURE_LOGGER, openStatsFixture, type StatsFixture } from '../helpers/stats-fixture.js';
import { parseCsv, unzip } from '../helpers/unzip.js';

// The dashboard export on real chDB: every CSV of the ZIP is the v2 API's answer to that table's question (asked
// here as a client would, written out below rather than taken from the export's code), for the whole site and for a
// filtered view; a few numbers are also counted by hand from the traffic, and visitor-written text (a campaign that
// starts with +, a value with a comma, a path with quotes) arrives quoted and defused. k = 5.

const K = 5;
const DAY = 86_400;
const NOW = Date.now();
const D0 = Math.floor(NOW / 1000 / DAY) * DAY - 2 * DAY;
const SITE = 'export.example.com';
const day = new Date(D0 * 1000).toISOString().slice(0, 10);
const RANGE = [day, day];

interface Visit { visitor: number; domain: number; country: string; browser: [string, string]; os: string; pages: string[]; campaign?: string; content?: string; referrer?: string; signup?: boolean }
const visits: Visit[] = [];
const add = (from: number, to: number, v: Omit<Visit, 'visitor'>) => {
  for (let n = from; n <= to; n += 1) visits.push({ visitor: n, ...v });
};
// 1-10 (JP, Firefox): a campaign whose name starts with + (a formula to a spreadsheet), home then pricing; 1-6 sign up.
add(1, 6, { domain: 0, country: 'JP', browser: ['Firefox', '130'], os: 'Linux', pages: ['/', '/pricing'], campaign: '+spring', referrer: 'news.example.net', signup: true });
add(7, 10, { domain: 0, country: 'JP', browser: ['Firefox', '130'], os: 'Linux', pages: ['/', '/pricing'], campaign: '+spring', referrer: 'news.example.net' });
// 11-18 (US, Chrome): a utm_content with a comma, home then a page whose path holds quotes.
add(11, 18, { domain: 0, country: 'US', browser: ['Chrome', '131'], os: 'Windows', pages: ['/', '/blog/"quoted"'], content: 'a,b' });
// 19-21 in the live domain and 22-24 in an import's: two pages each below k (withheld, together an (other)).
add(19, 21, { domain: 0, country: 'DE', browser: ['Safari', '17'], os: 'Mac OS', pages: ['/x'] });
add(22, 24, { domain: 7, country: 'DE', browser: ['Safari', '17'], os: 'Mac OS', pages: ['/y'] });

const rows: EventRow[] = visits.flatMap((v) => {
  const base = {
    site: SITE, host: SITE, query: '', utm_source: '', utm_medium: '', utm_term: '', session: String(5000 + v.visitor), visitor: String(v.visitor),
    salt_domain: String(v.domain), browser: v.browser[0], browser_version: v.browser[1], os: v.os, os_version: '', device: 'desktop', screen: 'l',
    country: v.country, lang: 'en', src: 'beacon' as const,
  };
  const views = v.pages.map((path, i) => ({
    ...base, ts: D0 + 9 * 3600 + v.visitor * 600 + i * 60, event: 'pageview', path,
    referrer_host: i === 0 ? v.referrer ?? '' : '', utm_campaign: i === 0 ? v.campaign ?? '' : '', utm_content: i === 0 ? v.content ?? '' : '',
    props: path === '/pricing' ? { plan: v.visitor % 2 === 0 ? 'pro' : 'free' } : {},
  }));
  const signup = v.signup === true
    ? [{ ...base, ts: D0 + 9 * 3600 + v.visitor * 600 + 300, event: 'signup', path: '/pricing', referrer_host: '', utm_campaign: '', utm_content: '', props: {} }] : [];
  return [...views, ...signup];
});

const TOKEN = 'export-test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
let fixture: StatsFixture;
let app: ApiApp;

beforeAll(async () => {
  fixture = await openStatsFixture('tokumei-export-', rows, { minVisitors: K, now: NOW });
  const config = loadConfig({ TOKUMEI_GOALS: JSON.stringify({ [SITE]: [{ event_name: 'signup', display_name: 'Signup' }, { page_path: '/pricing' }] }), TOKUMEI_PROPS_ALLOWLIST: `${SITE}:plan` });
  app = await buildApiApp({
    config: { apiToken: TOKEN, host: '127.0.0.1', minVisitors: K, goals: config.goals, privacy: { sites: undefined, propsAllowList: config.privacy.propsAllowList } },
    clickhouse: fixture.store.client, logger: FIXTURE_LOGGER, registry: new Registry(), clock: () => NOW,
  });
});

afterAll(async () => {
  await app?.close();
  await fixture?.close();
});

interface Answer { results: { metrics: (number | null)[]; dimensions: string[] }[]; meta: { other?: { metrics: (number | null)[]; dimensions: string[] } } }

async function v2(body: Record<string, unknown>): Promise<Answer> {
  const res = await app.inject({ method: 'POST', url: '/api/v2/query', headers: auth, payload: body });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Answer>();
}

/** The CSV rows a v2 answer should become: its rows, then (other), numbers as text, a withheld number empty. */
function expected(answer: Answer, prefix: string[] = []): string[][] {
  const cells = (r: { metrics: (number | null)[]; dimensions: string[] }) => [...prefix, ...r.dimensions.map(defuse), ...r.metrics.map((m) => (m === null ? '' : String(m)))];
  return [...answer.results.map(cells), ...(answer.meta.other === undefined ? [] : [cells(answer.meta.other)])];
}
const defuse = (s: string) => (/^[=+\-@\t\r]/.test(s) ? `'${s}` : s);

/** Each table's question as the API documents it (packages/api/README.md, Export). */
const QUESTIONS: Record<string, { dimensions: string[]; metrics: string[]; filters?: unknown[] }> = {
  visitors: { dimensions: ['time'], metrics: ['visitors', 'pageviews', 'visits', 'bounce_rate', 'visit_duration'] },
  pages: { dimensions: ['event:page'], metrics: ['visitors', 'pageviews', 'bounce_rate', 'time_on_page', 'scroll_depth'] },
  entry_pages: { dimensions: ['visit:entry_page'], metrics: ['visitors', 'visits', 'bounce_rate', 'visit_duration'] },
  exit_pages: { dimensions: ['visit:exit_page'], metrics: ['visitors', 'visits'] },
  sources: { dimensions: ['visit:source'], metrics: ['visitors', 'bounce_rate', 'visit_duration'] },
  referrers: { dimensions: ['visit:referrer'], metrics: ['visitors', 'bounce_rate', 'visit_duration'] },
  utm_campaigns: { dimensions: ['visit:utm_campaign'], metrics: ['visitors', 'bounce_rate', 'visit_duration'], filters: [['is_not', 'visit:utm_campaign', ['']]] },
  utm_contents: { dimensions: ['visit:utm_content'], metrics: ['visitors', 'bounce_rate', 'visit_duration'], filters: [['is_not', 'visit:utm_content', ['']]] },
  countries: { dimensions: ['visit:country'], metrics: ['visitors'] },
  browser_versions: { dimensions: ['visit:browser', 'visit:browser_version'], metrics: ['visitors'] },
  operating_systems: { dimensions: ['visit:os'], metrics: ['visitors'] },
  devices: { dimensions: ['visit:device'], metrics: ['visitors'] },
  conversions: { dimensions: ['event:goal'], metrics: ['visitors', 'events', 'conversion_rate'] },
};

async function exportZip(filters: unknown[] = []): Promise<Map<string, string[][]>> {
  const res = await app.inject({ method: 'POST', url: '/api/v2/export', headers: auth, payload: { site_id: SITE, date_range: RANGE, filters } });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['x-tokumei-export-omitted']).toBeUndefined();
  return new Map([...unzip(res.rawPayload)].map(([name, text]) => [name.replace(/\.csv$/, ''), parseCsv(text)]));
}

describe('export on chDB', () => {
  it('every CSV is the v2 answer to its table\'s question, header first', async () => {
    const zip = await exportZip();
    for (const [name, q] of Object.entries(QUESTIONS)) {
      const answer = await v2({ site_id: SITE, date_range: RANGE, metrics: q.metrics, dimensions: q.dimensions, filters: q.filters ?? [], ...(name === 'conversions' ? {} : { pagination: { limit: 1000 } }) });
      const csv = zip.get(name);
      expect(csv?.[0], name).toEqual([...(name === 'visitors' ? ['date'] : name === 'browser_versions' ? ['name', 'version'] : ['name']), ...q.metrics]);
      expect(csv?.slice(1), name).toEqual(expected(answer));
      if (name !== 'visitors' && name !== 'devices') expect(csv?.length, `${name} has rows`).toBeGreaterThan(1);
    }
    const props = await v2({ site_id: SITE, date_range: RANGE, metrics: ['visitors', 'events', 'percentage'], dimensions: ['event:props:plan'], pagination: { limit: 1000 } });
    expect(zip.get('custom_props')).toEqual([['property', 'value', 'visitors', 'events', 'percentage'], ...expected(props, ['plan'])]);
  });

  it('holds the numbers counted from the traffic, the (other) row, and visitor text defused and quoted', async () => {
    const zip = await exportZip();
    const row = (table: string, name: string) => zip.get(table)?.find((r) => r[0] === name);
    expect(row('pages', '/pricing')?.slice(0, 3)).toEqual(['/pricing', '10', '10']);
    expect(row('pages', '/')?.slice(0, 3)).toEqual(['/', '18', '18']);
    expect(row('pages', '/blog/"quoted"')?.slice(0, 3)).toEqual(['/blog/"quoted"', '8', '8']);
    // /x (3 visitors, live) and /y (3, an import's domain) are withheld and shown together.
    expect(row('pages', '/x')).toBeUndefined();
    expect(row('pages', '(other)')?.slice(0, 2)).toEqual(['(other)', '6']);
    expect(row('utm_campaigns', "'+spring")?.slice(0, 2)).toEqual(["'+spring", '10']);
    expect(row('utm_contents', 'a,b')?.slice(0, 2)).toEqual(['a,b', '8']);
    expect(row('countries', 'JP')).toEqual(['JP', '10']);
    expect(row('conversions', 'Signup')?.slice(0, 3)).toEqual(['Signup', '6', '6']);
    const raw = unzip((await app.inject({ method: 'GET', url: `/api/v2/export?site_id=${SITE}&date_range=${day},${day}`, headers: auth })).rawPayload);
    expect(raw.get('utm_campaigns.csv')).toContain("\r\n'+spring,10,");
    expect(raw.get('utm_contents.csv')).toContain('\r\n"a,b",8,');
    expect(raw.get('pages.csv')).toContain('\r\n"/blog/""quoted""",8,8,');
  });

  it('a filtered view is exported with its filters, and one table alone is the same CSV', async () => {
    const filters = [['is', 'visit:country', ['JP']]];
    const zip = await exportZip(filters);
    const pages = await v2({ site_id: SITE, date_range: RANGE, metrics: QUESTIONS.pages?.metrics, dimensions: ['event:page'], filters, pagination: { limit: 1000 } });
    expect(zip.get('pages')?.slice(1)).toEqual(expected(pages));
    expect(zip.get('pages')?.find((r) => r[0] === '/pricing')?.slice(0, 2)).toEqual(['/pricing', '10']);
    expect(zip.get('countries')?.slice(1)).toEqual([['JP', '10']]);
    const one = await app.inject({ method: 'GET', url: `/api/v2/export?site_id=${SITE}&date_range=${day},${day}&format=csv&table=pages&filters=${encodeURIComponent(JSON.stringify(filters))}`, headers: auth });
    expect(one.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(parseCsv(one.body)).toEqual(zip.get('pages'));
  });
});
