import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRow } from '@tokumei/privacy';
import { openStatsFixture, type StatsFixture } from '../helpers/stats-fixture.js';

// Custom properties (`event:props:<key>`) as a v2 dimension and filter, on real chDB. The rows are written out below
// as the worker stores them (props already judged by the privacy engine); every expected number is counted from them
// in TypeScript. k = 5, the default.

const K = 5;
const DAY = 86_400;
const NOW = Date.now();
const D0 = Math.floor(NOW / 1000 / DAY) * DAY - 2 * DAY;
const SITE = 'props.example.com';
const RANGE = [new Date(D0 * 1000).toISOString().slice(0, 10), new Date(D0 * 1000).toISOString().slice(0, 10)];

interface Hit { visitor: number; country: string; event: string; path: string; props: Record<string, string> }
const hits: Hit[] = [];
const people = (from: number, to: number, country: string, made: Omit<Hit, 'visitor' | 'country'>[]) => {
  for (let v = from; v <= to; v += 1) hits.push(...made.map((h) => ({ visitor: v, country, ...h })));
};
// 1-6 (JP): a pro plan's pricing page, then a signup by e-mail. 7-12 (DE): the free plan's pricing page.
people(1, 6, 'JP', [
  { event: 'pageview', path: '/pricing', props: { plan: 'pro' } },
  { event: 'signup', path: '/pricing', props: { plan: 'pro', method: 'email' } },
]);
people(7, 12, 'DE', [{ event: 'pageview', path: '/pricing', props: { plan: 'free' } }]);
// 13-14: the team plan (below k); 20: a value the privacy engine replaced (one person, below k too).
people(13, 14, 'US', [{ event: 'pageview', path: '/pricing', props: { plan: 'team' } }]);
people(20, 20, 'US', [{ event: 'pageview', path: '/pricing', props: { plan: ':email' } }]);
// 15-19: no properties at all: "(none)", as in Plausible.
people(15, 19, 'US', [{ event: 'pageview', path: '/', props: {} }]);

const rows: EventRow[] = hits.map((h, i) => ({
  site: SITE, ts: D0 + 9 * 3600 + h.visitor * 60 + i, event: h.event, host: SITE, path: h.path, query: '', referrer_host: '',
  utm_source: '', utm_medium: '', utm_campaign: '', utm_term: '', utm_content: '', session: String(7000 + h.visitor), visitor: String(h.visitor),
  salt_domain: '0', browser: 'Firefox', browser_version: '130', os: 'Linux', os_version: '', device: 'desktop', screen: 'l', country: h.country,
  lang: 'en', src: 'beacon', props: h.props,
}));

/** Plausible's value of a property: the stored value, "(none)" when the event has none. */
const value = (h: Hit, key: string) => h.props[key] ?? '(none)';
/** Groups of hits by the keys' values, named when at least k visitors (one salt domain, one day here): [values…, visitors, events]. */
function truth(kept: Hit[], keys: string[]): (string | number)[][] {
  const groups = new Map<string, Hit[]>();
  for (const h of kept) {
    const id = JSON.stringify(keys.map((k) => value(h, k)));
    groups.set(id, [...(groups.get(id) ?? []), h]);
  }
  return [...groups].map(([id, list]) => ({
    labels: JSON.parse(id) as string[], visitors: new Set(list.map((h) => h.visitor)).size, events: list.length,
    pageviews: list.filter((h) => h.event === 'pageview').length,
  }))
    .filter((g) => g.visitors >= K)
    .sort((a, b) => b.visitors - a.visitors || b.pageviews - a.pageviews || (a.labels.join('\u0000') < b.labels.join('\u0000') ? -1 : 1))
    .map((g) => [...g.labels, g.visitors, g.events]);
}

let fixture: StatsFixture;
interface Answer { results: { metrics: (number | null)[]; dimensions: string[] }[]; meta: Record<string, unknown> }
async function ask(body: Record<string, unknown>, status = 200): Promise<Answer & { error?: { code: string; message: string } }> {
  const response = await fixture.app.inject({ method: 'POST', url: '/api/v2/query', payload: { site_id: SITE, date_range: RANGE, ...body } });
  expect(response.statusCode, response.body).toBe(status);
  return response.json();
}
const table = (a: Answer) => a.results.map((r) => [...r.dimensions, ...r.metrics]);

beforeAll(async () => {
  fixture = await openStatsFixture('tokumei-query-v2-props-', rows, { minVisitors: K, now: NOW });
});
afterAll(async () => {
  await fixture?.close();
});

describe('event:props:<key>, k = 5', () => {
  it('breaks down by a property: a value is named with k visitors, "(none)" for events without it', async () => {
    const a = await ask({ metrics: ['visitors', 'events'], dimensions: ['event:props:plan'] });
    const expected = truth(hits, ['plan']);
    // free and pro have 6 visitors each (pro: page views and signups), (none) 5; team (2) and :email (1) are withheld,
    // and not shown as (other): one salt domain's floor is its largest withheld cell, 2 < k.
    expect(expected).toEqual([['free', 6, 6], ['pro', 6, 12], ['(none)', 5, 5]]);
    expect(table(a)).toEqual(expected);
    expect(a.meta).toMatchObject({ source: 'events', folded: true });
    expect(a.meta.other).toBeUndefined();
  });

  it('two properties at once, each key its own parameter', async () => {
    const a = await ask({ metrics: ['visitors', 'events'], dimensions: ['event:props:plan', 'event:props:method'] });
    expect(table(a)).toEqual(truth(hits, ['plan', 'method']));
    expect(table(a)).toEqual([['free', '(none)', 6, 6], ['pro', '(none)', 6, 6], ['pro', 'email', 6, 6], ['(none)', '(none)', 5, 5]]);
  });

  it('filters on a property, alone, with other dimensions and with a visit filter', async () => {
    const pro = hits.filter((h) => value(h, 'plan') === 'pro');
    expect(table(await ask({ metrics: ['visitors', 'events'], dimensions: ['event:name'], filters: [['is', 'event:props:plan', ['pro']]] })))
      .toEqual([['pageview', 6, 6], ['signup', 6, 6]]);
    expect(new Set(pro.map((h) => h.visitor)).size).toBe(6);
    const de = hits.filter((h) => ['free', 'pro'].includes(value(h, 'plan')) && h.country === 'DE');
    expect(table(await ask({ metrics: ['visitors'], filters: [['is', 'event:props:plan', ['free', 'pro']], ['is', 'visit:country', ['DE']]] })))
      .toEqual([[new Set(de.map((h) => h.visitor)).size]]);
    expect(table(await ask({ metrics: ['visitors'], filters: [['is', 'event:props:plan', ['(none)']]] }))).toEqual([[5]]);
    expect(table(await ask({ metrics: ['visitors'], filters: [['contains', 'event:props:method', ['MAIL'], { case_sensitive: false }]] }))).toEqual([[6]]);
    // Visit metrics of the visits that had such an event.
    expect(table(await ask({ metrics: ['visits', 'bounce_rate'], filters: [['is', 'event:props:plan', ['free']]] }))).toEqual([[6, 100]]);
  });

  it('a property filter that selects fewer than k visitors names nothing', async () => {
    expect(table(await ask({ metrics: ['visitors', 'events'], filters: [['is', 'event:props:plan', ['team']]] }))).toEqual([[null, null]]);
    const split = await ask({ metrics: ['visitors'], dimensions: ['event:page'], filters: [['matches', 'event:props:plan', ['^(team|:email)$']]] });
    expect(split.results).toEqual([]);
    expect(split.meta).toMatchObject({ folded: true });
  });

  it('refuses a key that is not a plain identifier, and visit or engagement metrics split by a property, naming the field', async () => {
    const bad = await ask({ metrics: ['visitors'], dimensions: ['event:props:jane@example.com'] }, 400);
    expect(bad.error).toMatchObject({ code: 'TKM_INVALID_QUERY', message: expect.stringMatching(/^dimensions\[0\]: event:props:<key> takes a key that is a plain identifier/) as string });
    expect(JSON.stringify(bad)).not.toContain('jane');
    expect((await ask({ metrics: ['visitors'], filters: [['is', 'event:props:', ['x']]] }, 400)).error?.message).toMatch(/^filters\[0\]\[1\]: event:props:<key>/);
    expect((await ask({ metrics: ['bounce_rate'], dimensions: ['event:props:plan'] }, 400)).error?.message)
      .toMatch(/^metrics: session metric\(s\) bounce_rate cannot be queried with the event dimension event:props:plan/);
    expect((await ask({ metrics: ['time_on_page'], filters: [['is', 'event:props:plan', ['pro']]] }, 400)).error?.message)
      .toMatch(/^metrics: engagement metric\(s\) time_on_page cannot be queried with a filter on event:props:plan/);
  });
});
