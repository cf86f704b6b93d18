import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiApp } from '@tokumei/api';
import { MemorySaltStore, Pseudonymizer, type EventRow } from '@tokumei/privacy';
import type { RawRecord } from '@tokumei/schema';
import { rollupDays } from '@tokumei/store';
import { Registry } from 'prom-client';
import { BROWSER_UA } from '../helpers/pipeline.js';
import { FIXTURE_LOGGER, openStatsFixture, type StatsFixture } from '../helpers/stats-fixture.js';
import { truthBreakdown, type Range } from '../helpers/traffic.js';

// Attacks on k-anonymity, tried against the real pipeline at the default k = 5: records go through the privacy engine
// (real salts: a day salt while the day is live, run salts for an old day's import) into chDB, and the stats API is
// asked what an adversary would ask. Each attack is checked on live days and again once the days are rolled up.

const K = 5;
const DAY = 86_400;
const NOW = Date.now();
const START = Math.floor(NOW / 1000 / DAY) * DAY - 7 * DAY; // days 0..6; day 6 is yesterday
const SITE = 'kanon.example.com';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const at = (day: number, hour = 9) => (START + day * DAY + hour * 3600) * 1000;
const date = (day: number) => new Date((START + day * DAY) * 1000).toISOString().slice(0, 10);
const range = (first: number, last: number): Range => ({ from: START + first * DAY, to: START + (last + 1) * DAY });

interface Visit { day: number; ip: string; path: string; ua?: string; run?: string; site?: string; hour?: number; lang?: string; dnt?: true }

const visits: Visit[] = [];
for (let day = 0; day < 7; day += 1) {
  // The crowd: ten people a day on the home page, so '/' and Chrome are named every day.
  for (let p = 1; p <= 10; p += 1) visits.push({ day, ip: `192.0.2.${p}`, path: '/' });
}
// Attack 1, live: one person (one IP and user agent) on a page of their own on five different days.
for (let day = 0; day < 5; day += 1) visits.push({ day, ip: '203.0.113.7', ua: FIREFOX, path: '/secret' });
// Attack 1, import: the same log line of an old day imported in five runs (each run hashes with its own salt).
for (const run of ['a1a1a1a1', 'b2b2b2b2', 'c3c3c3c3', 'd4d4d4d4', 'e5e5e5e5']) visits.push({ day: 1, ip: '198.51.100.9', path: '/imported', run });
// Attack 2: a lone Firefox user on day 5, among the crowd.
visits.push({ day: 5, ip: '203.0.113.50', ua: FIREFOX, path: '/' });
// Attack 3: '/x' has five visitors on day 6 and one on day 3.
for (let p = 1; p <= 5; p += 1) visits.push({ day: 6, ip: `198.51.100.${100 + p}`, path: '/x', hour: 10 + p });
visits.push({ day: 3, ip: '198.51.100.200', path: '/x' });
// Secondary suppression: three people on '/a' (day 5) and three on '/b' (day 6); one person on five pages on day 6.
for (let p = 1; p <= 3; p += 1) visits.push({ day: 5, ip: `203.0.113.${100 + p}`, path: '/a' }, { day: 6, ip: `203.0.113.${110 + p}`, path: '/b' });
for (const path of ['/p1', '/p2', '/p3', '/p4', '/p5']) visits.push({ day: 6, ip: '203.0.113.120', path });
// Attack 5, on a site of its own: among a crowd without a language, one person reads in Esperanto on five days (five
// visitor-days, a floor of k, but one value); a browser that signals DNT (counted without a visitor hash under the
// `count` policy) adds a second language on day 0.
const LANG_SITE = 'lang.example.com';
for (let day = 0; day < 5; day += 1) {
  for (let p = 1; p <= 10; p += 1) visits.push({ day, ip: `192.0.2.${50 + p}`, path: '/', site: LANG_SITE });
  visits.push({ day, ip: '203.0.113.77', path: '/', lang: 'eo', site: LANG_SITE });
}
visits.push({ day: 0, ip: '203.0.113.78', path: '/', lang: 'tlh', dnt: true, site: LANG_SITE });
// Attack 4: a site with one visitor, and a site one person visited on five days.
visits.push({ day: 2, ip: '192.0.2.200', path: '/', site: 'one.example.com' });
for (let day = 0; day < 5; day += 1) visits.push({ day, ip: '192.0.2.201', path: '/', site: 'drip.example.com' });

/** Through the privacy engine, with the salt store's clock on the record's day (live) or today (an import run). */
async function pseudonymize(list: readonly Visit[]): Promise<EventRow[]> {
  let clock = NOW;
  const engine = new Pseudonymizer(new MemorySaltStore(() => clock), { consentPolicy: 'count' });
  const rows: EventRow[] = [];
  const people = new Map<string, number>();
  // In time order, as a worker sees them: each day's salt is made while its day is live; imports come last.
  const ordered = [...list].sort((a, b) => Number(a.run !== undefined) - Number(b.run !== undefined) || at(a.day, a.hour) - at(b.day, b.hour));
  for (const v of ordered) {
    if (!people.has(v.ip)) people.set(v.ip, people.size);
    const ts = at(v.day, v.hour);
    clock = v.run === undefined ? ts : NOW;
    const site = v.site ?? SITE;
    const record: RawRecord = {
      v: 1, src: v.run === undefined ? 'beacon' : 'log', ts, site, url: `https://${site}${v.path}`, event: 'pageview',
      ip: v.ip, ua: v.ua ?? BROWSER_UA, dnt: v.dnt === true, gpc: false, ...(v.lang === undefined ? {} : { lang: v.lang }), sid: `sid-${people.get(v.ip)}-${v.day}-${v.run ?? ''}`, ...(v.run === undefined ? {} : { run: v.run }),
    };
    const result = await engine.process(record);
    if (result.kind !== 'ok') throw new Error(`not stored: ${JSON.stringify(result)}`);
    rows.push(result.row);
  }
  return rows;
}

interface Row { value: string; visitors: number; pageviews: number; sessions: number; other?: true }
interface Body { from: string; to: string; rows: Row[]; folded: boolean; more: number }

let rows: EventRow[];
let fixture: StatsFixture;

async function breakdown(r: Range | string, dimension: string, limit = 100, site = SITE): Promise<Body> {
  const span = typeof r === 'string' ? r : `from=${date((r.from - START) / DAY)}&to=${date((r.to - START) / DAY - 1)}`;
  const response = await fixture.app.inject({ method: 'GET', url: `/api/stats/breakdown?site=${site}&${span}&dimension=${dimension}&limit=${limit}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<Body>();
}
const value = (body: Body, v: string) => body.rows.find((r) => r.value === v && r.other !== true);
const other = (body: Body) => body.rows.find((r) => r.other === true);
/** What a rule blind to salt domains would count: distinct hashes over the whole range, summed over days. */
const hashes = (path: string) => new Set(rows.filter((r) => r.site === SITE && r.path === path).map((r) => r.visitor)).size;

beforeAll(async () => {
  rows = await pseudonymize(visits);
  fixture = await openStatsFixture('tokumei-kanon-', rows, { minVisitors: K, now: NOW });
});

afterAll(async () => {
  await fixture?.close();
});

function attacks(when: string): void {
  it(`${when}: one person on five days, or one log line imported five times, is never a named value`, async () => {
    expect(hashes('/secret')).toBe(K);
    expect(hashes('/imported')).toBe(K);
    expect(new Set(rows.filter((r) => r.path === '/imported').map((r) => r.salt_domain)).size).toBe(5);
    for (const dimension of ['page', 'entry_page', 'exit_page']) {
      const body = await breakdown(range(0, 6), dimension);
      expect(value(body, '/secret'), dimension).toBeUndefined();
      expect(value(body, '/imported'), dimension).toBeUndefined();
      expect(value(body, '/'), dimension).toMatchObject({ visitors: 71 });
      expect(body.folded).toBe(true);
    }
    expect(value(await breakdown(range(0, 6), 'browser'), 'Firefox')).toBeUndefined();
  });

  it(`${when}: a lone value is never the (other) row: the Firefox user leaves no signature in seven breakdowns`, async () => {
    for (const dimension of ['browser', 'os', 'page', 'entry_page', 'exit_page', 'device', 'screen']) {
      const body = await breakdown(range(5, 5), dimension);
      expect(body.rows.every((r) => r.visitors >= K), `${dimension}: ${JSON.stringify(body.rows)}`).toBe(true);
    }
    const browsers = await breakdown(range(5, 5), 'browser');
    expect(browsers).toMatchObject({ folded: true, rows: [{ value: 'Chrome', visitors: 13 }] });
    expect(browsers.rows).toHaveLength(1);
  });

  it(`${when}: (other) needs two values and k visitors in the least favourable count`, async () => {
    // Day 6: one person on five folded pages and three on '/b': five values, cells add up to 8, but no domain has 5.
    const day6 = await breakdown(range(6, 6), 'page');
    expect(other(day6)).toBeUndefined();
    expect(day6.folded).toBe(true);
    // Days 5 and 6: '/a' (3, day 5) and '/b' (3, day 6) are different domains, so at least 6 visitors: shown.
    const both = await breakdown(range(5, 6), 'page');
    expect(other(both)).toMatchObject({ value: '(other)' });
    expect(other(both)?.visitors).toBeGreaterThanOrEqual(K);
  });

  it(`${when}: a value seen only without a visitor hash does not make one folded value pass as two`, async () => {
    expect(rows.filter((r) => r.lang === 'tlh').map((r) => r.visitor)).toEqual(['0']);
    const languages = await breakdown(range(0, 6), 'language', 100, LANG_SITE);
    expect(value(languages, '')).toMatchObject({ visitors: 50 });
    expect(languages.folded).toBe(true);
    expect(other(languages), JSON.stringify(languages.rows)).toBeUndefined();
    expect(languages.rows.every((r) => r.visitors >= K)).toBe(true);
  });

  it(`${when}: two ranges differ only by whole days of at least k, and an hour asks for its whole day`, async () => {
    const wide = value(await breakdown(range(2, 6), 'page'), '/x');
    const narrow = value(await breakdown(range(4, 6), 'page'), '/x');
    expect(hashes('/x')).toBe(6); // before: 6 over the wide range, 5 over the narrow one, so one visitor on day 3
    expect(wide).toEqual({ value: '/x', visitors: 5, pageviews: 5, sessions: 5 });
    expect(narrow).toEqual(wide);
    const hour = `from=${date(6)}T11:00:00Z&to=${date(6)}T12:00:00Z`;
    const hourly = await breakdown(hour, 'page');
    expect(hourly).toMatchObject({ from: `${date(6)}T00:00:00.000Z`, to: `${date(7)}T00:00:00.000Z` });
    expect(hourly.rows).toEqual((await breakdown(range(6, 6), 'page')).rows);
  });

  it(`${when}: every breakdown equals the rule computed independently`, async () => {
    for (const dimension of ['page', 'entry_page', 'exit_page', 'browser', 'os', 'device']) {
      for (const r of [range(0, 6), range(5, 6), range(1, 1)]) {
        const body = await breakdown(r, dimension, 3);
        expect({ rows: body.rows, folded: body.folded, more: body.more }, dimension).toEqual(truthBreakdown({ site: SITE, rows }, r, dimension, 3, K));
      }
    }
  });

  it(`${when}: the site list holds only sites that reached k in one salt domain, or the declared ones`, async () => {
    const listed = (await fixture.app.inject({ method: 'GET', url: '/api/stats/sites' })).json<{ sites: string[] }>();
    expect(listed.sites).toEqual([SITE, LANG_SITE].sort());
    const declared = await buildApiApp({
      config: { apiToken: undefined, host: '127.0.0.1', minVisitors: K, privacy: { sites: new Set(['www.example.com', SITE]) } },
      clickhouse: fixture.store.client, logger: FIXTURE_LOGGER, registry: new Registry(), clock: () => NOW,
    });
    try {
      expect((await declared.inject({ method: 'GET', url: '/api/stats/sites' })).json()).toEqual({ sites: [SITE, 'www.example.com'] });
    } finally {
      await declared.close();
    }
  });
}

describe('k-anonymity against an adversary, k = 5', () => {
  describe('live days (state tables)', () => attacks('live'));

  describe('rolled-up days (stats_daily)', () => {
    it('rolls up every finished day', async () => {
      const rolled = await rollupDays(fixture.store.client, { eventsTtlDays: 30, now: () => NOW });
      expect(rolled.filter((r) => r.site === SITE).map((r) => r.day)).toEqual([0, 1, 2, 3, 4, 5, 6].map(date));
    });
    attacks('rolled up');
  });
});
