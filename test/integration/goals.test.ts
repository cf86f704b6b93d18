import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { buildApiApp, type ApiApp } from '@tokumei/api';
import { loadConfig } from '@tokumei/config';
import { createStoreClient, migrate, type StoreClient } from '@tokumei/store';
import { tempDir } from '../helpers/pipeline.js';
import { FIXTURE_LOGGER } from '../helpers/stats-fixture.js';

// Goals, conversions and funnels on real chDB. Every journey is written out below and every expected number is
// counted from these journeys in TypeScript (not read back from the database). k = 5.

const K = 5;
const DAY = 86_400;
const NOW = Date.now();
const D0 = Math.floor(NOW / 1000 / DAY) * DAY - 2 * DAY;
const SITE = 'goals.example.com';
const date = (s: number) => new Date(s * 1000).toISOString().slice(0, 10);
const RANGE = [date(D0), date(D0)];

interface Step { path: string; event?: string }
interface Journey { visitor: number; domain: number; steps: Step[]; campaign?: string }

const page = (path: string): Step => ({ path });
const journeys: Journey[] = [];
// 1-12: a product page; 1-8 then the cart; 1-6 then checkout and sign up.
for (let v = 1; v <= 12; v += 1) {
  // 1-10 came from a campaign (on their first page view, which is what a visit filter reads).
  journeys.push({ visitor: v, domain: 0, ...(v <= 10 ? { campaign: 'spring' } : {}), steps: [
    page('/'), page(v % 2 === 1 ? '/product/a' : '/product/b'),
    ...(v <= 8 ? [page('/cart')] : []),
    ...(v <= 6 ? [page('/checkout'), { path: '/checkout', event: 'signup' }] : []),
  ] });
}
// 13-15: the cart before a product page (a funnel product → cart must not count them).
for (let v = 13; v <= 15; v += 1) journeys.push({ visitor: v, domain: 0, steps: [page('/cart'), page('/product/x')] });
// 16-20: a page below a product (not matched by `/product/*`) and a deep thanks page (matched by `/thanks/**`).
for (let v = 16; v <= 20; v += 1) journeys.push({ visitor: v, domain: 0, steps: [page('/product/c/reviews'), page('/thanks/2026/12')] });
// 21-22: '/thanks' itself, which `/thanks/**` does not match.
for (let v = 21; v <= 22; v += 1) journeys.push({ visitor: v, domain: 0, steps: [page('/thanks')] });
// 30-33: an import run's salt domain: product then cart, four visitors, below k in their own domain.
for (let v = 30; v <= 33; v += 1) journeys.push({ visitor: v, domain: 7, steps: [page('/product/a'), page('/cart')] });

const GOALS = [
  { page_path: '/product/*', display_name: 'Product' },
  { page_path: '/cart' },
  { page_path: '/checkout', display_name: 'Checkout' },
  { event_name: 'signup', display_name: 'Signup' },
  { page_path: '/thanks/**', display_name: 'Thanks' },
];

/** The test's own reading of each goal (written for these paths, independent of the SQL). */
const completes: Record<string, (s: Step) => boolean> = {
  'Product': (s) => s.event === undefined && /^\/product\/[^/]+$/.test(s.path),
  'Visit /cart': (s) => s.event === undefined && s.path === '/cart',
  'Checkout': (s) => s.event === undefined && s.path === '/checkout',
  'Signup': (s) => s.event === 'signup',
  'Thanks': (s) => s.event === undefined && s.path.startsWith('/thanks/'),
};

/** Visitors per salt domain; a domain below k contributes nothing, as the API's rule says. */
function kSum(visitors: readonly Journey[]): number {
  const perDomain = new Map<number, number>();
  for (const j of visitors) perDomain.set(j.domain, (perDomain.get(j.domain) ?? 0) + 1);
  return [...perDomain.values()].filter((n) => n >= K).reduce((a, b) => a + b, 0);
}

/** Journeys whose steps contain the goals in this order (each after the previous). */
function reached(goals: readonly string[]): Journey[] {
  return journeys.filter((j) => {
    let next = 0;
    for (const s of j.steps) if (next < goals.length && completes[goals[next] ?? '']?.(s) === true) next += 1;
    return next === goals.length;
  });
}

let store: StoreClient;
let app: ApiApp;
let guarded: ApiApp;

beforeAll(async () => {
  const config = { clickhouseUrl: undefined, dataDir: tempDir('tokumei-goals-'), eventsTtlDays: 30, aggregatesTtlMonths: 25 };
  store = await createStoreClient(config);
  await migrate(store.client, config, FIXTURE_LOGGER);
  const values = journeys.flatMap((j) => j.steps.map((s, i) => ({
    site: SITE, ts: D0 + 9 * 3600 + j.visitor * 600 + i * 60, event: s.event ?? 'pageview', host: SITE, path: s.path,
    session: 1000 + j.visitor, visitor: j.visitor, salt_domain: j.domain, src: 'beacon', utm_campaign: i === 0 ? j.campaign ?? '' : '',
  })));
  await store.client.insert({ table: 'events', values, format: 'JSONEachRow' });
  // The seed, read by loadConfig exactly as from the environment.
  const seed = loadConfig({ TOKUMEI_GOALS: JSON.stringify({ [SITE]: GOALS, 'seeded.example.com': [{ event_name: 'download' }] }) }).goals;
  const deps = { clickhouse: store.client, logger: FIXTURE_LOGGER, clock: () => NOW };
  app = await buildApiApp({ ...deps, registry: new Registry(), config: { apiToken: undefined, host: '127.0.0.1', minVisitors: K, goals: seed } });
  guarded = await buildApiApp({ ...deps, registry: new Registry(), config: { apiToken: 'goals-test-token', host: '127.0.0.1', minVisitors: K, goals: seed } });
});

afterAll(async () => {
  await app?.close();
  await guarded?.close();
  await store?.close();
});

const put = (site: string, payload: unknown) => app.inject({ method: 'PUT', url: `/api/sites/${site}/goals`, payload: payload as Record<string, unknown> });
const get = (site: string) => app.inject({ method: 'GET', url: `/api/sites/${site}/goals` });
const error = (r: { statusCode: number; json: () => unknown }) => ({ status: r.statusCode, ...(r.json() as { error: { code: string; message: string } }).error });

describe('declaring goals', () => {
  it('lists the TOKUMEI_GOALS seed, with Plausible\'s default display name for a page goal', async () => {
    const r = await get('seeded.example.com');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ site: 'seeded.example.com', source: 'config', goals: [{ goal_type: 'event', event_name: 'download', display_name: 'download' }] });
    expect((await get(SITE)).json<{ goals: { display_name: string }[] }>().goals.map((g) => g.display_name))
      .toEqual(['Product', 'Visit /cart', 'Checkout', 'Signup', 'Thanks']);
    expect((await get('none.example.com')).json()).toEqual({ site: 'none.example.com', source: 'none', goals: [] });
  });

  it('a PUT replaces the seed for that site, and the newest PUT wins (also an empty list)', async () => {
    const site = 'crud.example.com';
    const first = await put(site, { goals: [{ page_path: '/a' }, { event_name: 'b', display_name: 'B' }] });
    expect(first.statusCode, first.body).toBe(200);
    expect((await get(site)).json()).toEqual({ site, source: 'api', goals: [
      { goal_type: 'page', page_path: '/a', display_name: 'Visit /a' }, { goal_type: 'event', event_name: 'b', display_name: 'B' }] });
    expect((await put(site, { goals: [{ page_path: '/c/**', display_name: 'C' }] })).statusCode).toBe(200);
    expect((await get(site)).json<{ goals: unknown[] }>().goals).toEqual([{ goal_type: 'page', page_path: '/c/**', display_name: 'C' }]);
    expect((await put('seeded.example.com', { goals: [] })).statusCode).toBe(200);
    expect((await get('seeded.example.com')).json()).toEqual({ site: 'seeded.example.com', source: 'api', goals: [] });
  });

  it('refuses invalid lists with a 400 naming the field, and stores nothing', async () => {
    const site = 'invalid.example.com';
    const cases: [unknown, string][] = [
      [{ goals: Array.from({ length: 101 }, (_, i) => ({ event_name: `e${i}` })) }, 'goals: at most 100 goals per site'],
      [{ goals: [{ page_path: 'thanks' }] }, 'goals[0].page_path: must start with /'],
      [{ goals: [{ event_name: 'x' }, { page_path: `/${'a'.repeat(256)}` }] }, 'goals[1].page_path:'],
      [{ goals: [{ page_path: '/a', event_name: 'a' }] }, 'goals[0]: give exactly one of page_path and event_name'],
      [{ goals: [{ event_name: 'a', display_name: 'X' }, { page_path: '/x', display_name: 'X' }] }, 'goals[1].display_name:'],
      [{ goals: [{ event_name: 'a', goal_type: 'page' }] }, 'goals[0].goal_type:'],
      [{ goals: [{ event_name: 'a', colour: 'red' }] }, "goals[0]: unknown field 'colour'"],
      [{ goals: [{ event_name: 'x'.repeat(121) }] }, 'goals[0].event_name:'],
      [{ list: [] }, 'the body must be {"goals": [goal, …]}'],
    ];
    for (const [payload, message] of cases) {
      const e = error(await put(site, payload));
      expect(e.status).toBe(400);
      expect(e.code).toBe('TKM_INVALID_QUERY');
      expect(e.message.startsWith(message), e.message).toBe(true);
    }
    expect((await get(site)).json()).toMatchObject({ source: 'none', goals: [] });
    expect(error(await app.inject({ method: 'GET', url: '/api/sites/bad%20site/goals' })).message).toMatch(/^site:/);
  });

  it('needs the API token when one is set', async () => {
    expect((await guarded.inject({ method: 'GET', url: `/api/sites/${SITE}/goals` })).statusCode).toBe(401);
    expect((await guarded.inject({ method: 'PUT', url: `/api/sites/${SITE}/goals`, payload: { goals: [] } })).statusCode).toBe(401);
    expect((await guarded.inject({ method: 'POST', url: '/api/v2/funnel', payload: {} })).statusCode).toBe(401);
    const ok = await guarded.inject({ method: 'GET', url: `/api/sites/${SITE}/goals`, headers: { authorization: 'Bearer goals-test-token' } });
    expect(ok.statusCode).toBe(200);
  });
});

describe('conversions: event:goal and conversion_rate', () => {
  const ask = (body: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/v2/conversions', payload: { site_id: SITE, date_range: RANGE, ...body } });

  it('counts page goals (with * and ** wildcards) and an event goal, k per salt domain', async () => {
    const r = await ask({ metrics: ['visitors', 'events', 'conversion_rate'], dimensions: ['event:goal'] });
    expect(r.statusCode, r.body).toBe(200);
    const inDomain0 = journeys.filter((j) => j.domain === 0);
    const total = kSum(inDomain0);
    const expected = Object.keys(completes).map((goal) => {
      const converted = journeys.filter((j) => j.steps.some((s) => completes[goal]?.(s) === true));
      const visitors = kSum(converted);
      const events = converted.filter((j) => j.domain === 0).flatMap((j) => j.steps).filter((s) => completes[goal]?.(s) === true).length;
      return { goal, visitors, events, rate: Math.round((visitors / total) * 10_000) / 100 };
    }).filter((e) => e.visitors > 0).sort((a, b) => b.visitors - a.visitors);
    // Product 15 of 22 (68.18 %), Visit /cart 11, Checkout 6, Signup 6, Thanks 5; the import domain's 4 are withheld.
    expect(expected.map((e) => [e.goal, e.visitors])).toEqual([['Product', 15], ['Visit /cart', 11], ['Checkout', 6], ['Signup', 6], ['Thanks', 5]]);
    const body = r.json<{ results: { metrics: number[]; dimensions: string[] }[]; meta: { folded: boolean } }>();
    expect(body.results).toEqual(expected.map((e) => ({ dimensions: [e.goal], metrics: [e.visitors, e.events, e.rate] })));
    expect(body.meta.folded).toBe(true);
  });

  it('answers the same through POST /api/v2/query, so a Plausible client needs one endpoint', async () => {
    const body = { site_id: SITE, date_range: RANGE, metrics: ['visitors', 'events', 'conversion_rate'], dimensions: ['event:goal'] };
    const viaQuery = await app.inject({ method: 'POST', url: '/api/v2/query', payload: body });
    expect(viaQuery.statusCode, viaQuery.body).toBe(200);
    const direct = await ask({ metrics: body.metrics, dimensions: body.dimensions });
    // The same numbers and meta; v2's query echo has its own fields (order_by, pagination, include), and v2 names the
    // zones of its days (the conversions route has no time dimension to name one for).
    const same = (r: { json: () => unknown }) => {
      const { results, meta } = r.json() as { results: unknown; meta: Record<string, unknown> };
      const { time_zone: _days, site_time_zone: _site, ...rest } = meta;
      return { results, meta: rest };
    };
    expect(viaQuery.json<{ meta: Record<string, unknown> }>().meta).toMatchObject({ time_zone: 'UTC', site_time_zone: 'UTC' });
    expect(same(viaQuery)).toEqual(same(direct));
    const rateOnly = await app.inject({ method: 'POST', url: '/api/v2/query', payload: { ...body, metrics: ['conversion_rate'] } });
    expect(rateOnly.statusCode, rateOnly.body).toBe(200);
    const filters = [['is', 'visit:utm_campaign', ['spring']], ['is', 'event:goal', ['Checkout', 'Product']]];
    const filtered = await app.inject({ method: 'POST', url: '/api/v2/query', payload: { ...body, filters } });
    expect(same(filtered)).toEqual(same(await ask({ metrics: body.metrics, dimensions: body.dimensions, filters })));
  });

  it('takes visit filters: the conversions and their denominator are those of the selected visits', async () => {
    const spring = journeys.filter((j) => j.campaign === 'spring');
    const expected = Object.keys(completes).map((goal) => {
      const visitors = kSum(spring.filter((j) => j.steps.some((s) => completes[goal]?.(s) === true)));
      return { dimensions: [goal], metrics: [visitors, Math.round((visitors / kSum(spring)) * 10_000) / 100] };
    }).filter((e) => (e.metrics[0] ?? 0) > 0).sort((a, b) => (b.metrics[0] ?? 0) - (a.metrics[0] ?? 0));
    // Of the 10 campaign visitors: Product 10 (100 %), cart 8 (80 %), checkout and signup 6 (60 %).
    expect(expected.map((e) => e.metrics)).toEqual([[10, 100], [8, 80], [6, 60], [6, 60]]);
    const r = await ask({ metrics: ['visitors', 'conversion_rate'], dimensions: ['event:goal'], filters: [['is', 'visit:utm_campaign', ['spring']]] });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json<{ results: unknown[] }>().results).toEqual(expected);
    const one = await ask({ metrics: ['visitors'], dimensions: ['event:goal'], filters: [['contains', 'visit:utm_campaign', ['spr']], ['is', 'event:goal', ['Checkout']]] });
    expect(one.json<{ results: unknown[] }>().results).toEqual([{ dimensions: ['Checkout'], metrics: [6] }]);
    expect(error(await ask({ metrics: ['visitors'], dimensions: ['event:goal'], filters: [['is', 'visit:utm_campaign', ['x']], ['is', 'event:page', ['/']]] })).message)
      .toMatch(/^filters\[1\]: only visit:\* filters/);
    expect(error(await ask({ metrics: ['visitors'], dimensions: ['event:goal'], filters: [['matches', 'visit:utm_campaign', ['(']]] })).message)
      .toMatch(/^filters: a matches pattern is not a valid RE2/);
    expect(error(await ask({ metrics: ['visitors'], dimensions: ['event:goal'], filters: [['is', 'visit:nope', ['x']]] })).message)
      .toMatch(/^filters\[0\]\[1\]: unknown dimension/);
  });

  it('answers one goal, and names the field of an unknown one', async () => {
    const r = await ask({ metrics: ['conversion_rate'], dimensions: ['event:goal'], filters: [['is', 'event:goal', ['Signup']]] });
    expect(r.json<{ results: unknown[] }>().results).toEqual([{ dimensions: ['Signup'], metrics: [27.27] }]);
    expect(error(await ask({ metrics: ['visitors'], dimensions: ['event:goal'], filters: [['is', 'event:goal', ['Nope']]] })).message).toMatch(/^filters\[0\]\[2\]\[0\]:/);
    expect(error(await ask({ metrics: ['bounce_rate'], dimensions: ['event:goal'] })).message).toMatch(/^metrics:/);
    expect(error(await ask({ metrics: ['visitors'], dimensions: ['event:page'] })).message).toMatch(/^dimensions:/);
    expect(error(await ask({ metrics: ['visitors'], dimensions: ['event:goal'], date_range: 'fortnight' })).message).toMatch(/^date_range:/);
  });
});

describe('POST /api/v2/funnel', () => {
  const ask = (steps: unknown, extra: Record<string, unknown> = {}) =>
    app.inject({ method: 'POST', url: '/api/v2/funnel', payload: { site_id: SITE, date_range: RANGE, steps, ...extra } });
  type Answer = { steps: { label: string; visitors: number | null; suppressed: boolean; dropoff: number | null; dropoff_percentage: number | null; conversion_rate: number | null }[]; meta: { folded: boolean } };

  it('a 3-step funnel: each step\'s visitors and drop-off, exactly', async () => {
    const steps = ['Product', 'Visit /cart', 'Checkout'];
    const r = await ask(steps);
    expect(r.statusCode, r.body).toBe(200);
    const counts = steps.map((_, i) => kSum(reached(steps.slice(0, i + 1))));
    expect(counts).toEqual([15, 8, 6]);
    const pct = (a: number, b: number) => Math.round((a / b) * 10_000) / 100;
    expect(r.json<Answer>().steps).toEqual(steps.map((label, i) => {
      const previous = counts[i === 0 ? 0 : i - 1] ?? 0;
      const visitors = counts[i] ?? 0;
      return {
        label, visitors, suppressed: false, dropoff: previous - visitors, dropoff_percentage: pct(previous - visitors, previous),
        conversion_rate: pct(visitors, counts[0] ?? 0), conversion_rate_step: pct(visitors, previous),
      };
    }));
    // Drop-off 7 of 15 (46.67 %) and 2 of 8 (25 %); the import domain's four visitors (below k there) are left out.
    expect(r.json<Answer>().steps.map((s) => s.dropoff_percentage)).toEqual([0, 46.67, 25]);
    expect(r.json<Answer>().meta.folded).toBe(true);
  });

  it('takes visit filters: the funnel of the selected visits', async () => {
    const steps = ['Product', 'Visit /cart', 'Checkout'];
    const spring = (goals: string[]) => kSum(reached(goals).filter((j) => j.campaign === 'spring'));
    expect(steps.map((_, i) => spring(steps.slice(0, i + 1)))).toEqual([10, 8, 6]);
    const r = (await ask(steps, { filters: [['is', 'visit:utm_campaign', ['spring']]] })).json<Answer>();
    expect(r.steps.map((s) => [s.visitors, s.dropoff])).toEqual([[10, 0], [8, 2], [6, 2]]);
    // Not the campaign: 11-15 reach product (5; the import domain's four are below k there). Then the cart: only those
    // four (13-15 went to the cart first), below k in their domain, so the step is withheld rather than 0.
    const rest = (await ask(steps, { filters: [['is_not', 'visit:utm_campaign', ['spring']]] })).json<Answer>();
    const others = (goals: string[]) => reached(goals).filter((j) => j.campaign === undefined);
    expect(kSum(others(['Product']))).toBe(5);
    expect(others(['Product', 'Visit /cart']).map((j) => j.domain)).toEqual([7, 7, 7, 7]);
    expect(rest.steps.map((s) => [s.visitors, s.suppressed])).toEqual([[5, false], [null, true], [null, true]]);
  });

  it('order matters: the cart before a product page does not complete product → cart', async () => {
    // 13-15 visited both pages, cart first: they count for cart → product only.
    expect(kSum(reached(['Product', 'Visit /cart']))).toBe(8);
    const r = (await ask(['Product', 'Visit /cart'])).json<Answer>();
    expect(r.steps.map((s) => s.visitors)).toEqual([15, 8]);
  });

  it('a step fewer than k visitors reached is suppressed, and so is every number made from it', async () => {
    // Cart → product: 11 reach the cart, 3 (13-15) then a product page: below k.
    expect(reached(['Visit /cart', 'Product']).length).toBe(3);
    const r = (await ask(['Visit /cart', 'Product', 'Checkout'])).json<Answer>();
    expect(r.steps).toEqual([
      { label: 'Visit /cart', visitors: 11, suppressed: false, dropoff: 0, dropoff_percentage: 0, conversion_rate: 100, conversion_rate_step: 100 },
      { label: 'Product', visitors: null, suppressed: true, dropoff: null, dropoff_percentage: null, conversion_rate: null, conversion_rate_step: null },
      { label: 'Checkout', visitors: null, suppressed: true, dropoff: null, dropoff_percentage: null, conversion_rate: null, conversion_rate_step: null },
    ]);
  });

  it('a step nobody reached is a true zero, not a suppression', async () => {
    const r = (await ask(['Signup', 'Thanks'])).json<Answer>();
    expect(r.steps.map((s) => [s.visitors, s.suppressed])).toEqual([[6, false], [0, false]]);
  });

  it('refuses malformed funnels naming the field', async () => {
    expect(error(await ask(['Product'])).message).toMatch(/^steps: must be a list of 2 to 8/);
    expect(error(await ask(Array.from({ length: 9 }, () => 'Product'))).message).toMatch(/^steps:/);
    expect(error(await ask(['Product', 'Nope'])).message).toMatch(/^steps\[1\]: 'Nope' is not a goal/);
    expect(error(await ask(['Product', 'Checkout'], { funnel: true })).message).toMatch(/unknown field 'funnel'/);
    expect(error(await ask(['Product', 'Checkout'], { site_id: '' })).message).toMatch(/^site_id:/);
  });
});

describe('event:goal and conversion_rate in the v2 events plan', () => {
  const query = (body: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/v2/query', payload: { site_id: SITE, date_range: RANGE, ...body } });
  const table = (r: { json: () => unknown }) => (r.json() as { results: { metrics: unknown[]; dimensions: string[] }[] }).results.map((x) => [...x.dimensions, ...x.metrics]);
  const pageGoal = (goal: string) => goal !== 'Signup';
  /** Per (goal, campaign): visitors summed over the salt domains where they were k, completions there; v2's order. */
  function byGoalAndCampaign(kept: (j: Journey) => boolean) {
    const total = kSum(journeys.filter((j) => j.domain === 0));
    const groups = Object.keys(completes).flatMap((goal) => ['spring', ''].map((campaign) => {
      const converted = journeys.filter((j) => kept(j) && (j.campaign ?? '') === campaign && j.steps.some((s) => completes[goal]?.(s) === true));
      const named = converted.filter((j) => converted.filter((o) => o.domain === j.domain).length >= K);
      const events = named.flatMap((j) => j.steps).filter((s) => completes[goal]?.(s) === true).length;
      return { goal, campaign, visitors: named.length, events, pageviews: pageGoal(goal) ? events : 0, rate: Math.round((named.length / total) * 10_000) / 100 };
    })).filter((g) => g.visitors > 0);
    groups.sort((a, b) => b.visitors - a.visitors || b.pageviews - a.pageviews || (a.goal < b.goal ? -1 : a.goal > b.goal ? 1 : a.campaign < b.campaign ? -1 : 1));
    return groups;
  }

  it('breaks goals down by a visit property, with conversion_rate over the site\'s visitors of the same cells', async () => {
    const r = await query({ metrics: ['visitors', 'events', 'conversion_rate'], dimensions: ['event:goal', 'visit:utm_campaign'] });
    expect(r.statusCode, r.body).toBe(200);
    const expected = byGoalAndCampaign(() => true);
    // Cart without the campaign is 3 people (13-15): withheld; the import domain's four are below k everywhere.
    expect(expected.map((g) => [g.goal, g.campaign, g.visitors])).toEqual([
      ['Product', 'spring', 10], ['Visit /cart', 'spring', 8], ['Checkout', 'spring', 6], ['Signup', 'spring', 6], ['Product', '', 5], ['Thanks', '', 5]]);
    expect(table(r)).toEqual(expected.map((g) => [g.goal, g.campaign, g.visitors, g.events, g.rate]));
  });

  it('a goal filter without the goal dimension: the converted visitors, their rate, and by campaign', async () => {
    const checkout = kSum(journeys.filter((j) => j.steps.some((s) => completes.Checkout?.(s) === true)));
    const total = kSum(journeys.filter((j) => j.domain === 0));
    expect(table(await query({ metrics: ['visitors', 'conversion_rate'], filters: [['is', 'event:goal', ['Checkout']]] })))
      .toEqual([[checkout, Math.round((checkout / total) * 10_000) / 100]]);
    expect(table(await query({ metrics: ['visitors'], filters: [['contains', 'event:goal', ['ECK'], { case_sensitive: false }]] }))).toEqual([[checkout]]);
    const product = byGoalAndCampaign(() => true).filter((g) => g.goal === 'Product');
    expect(table(await query({ metrics: ['visitors'], dimensions: ['visit:utm_campaign'], filters: [['is', 'event:goal', ['Product']]] })))
      .toEqual(product.map((g) => [g.campaign, g.visitors]));
    // is_not: events that complete none of the goals named (here: page views of '/', '/product/c/reviews', '/thanks').
    const none = journeys.filter((j) => j.steps.some((s) => !['Product', 'Visit /cart', 'Checkout', 'Signup', 'Thanks'].some((g) => completes[g]?.(s) === true)));
    expect(table(await query({ metrics: ['visitors'], filters: [['is_not', 'event:goal', ['Product', 'Visit /cart', 'Checkout', 'Signup', 'Thanks']]] })))
      .toEqual([[kSum(none)]]);
  });

  it('a goal filter that selects fewer than k visitors names nothing', async () => {
    // Cart without the campaign: 13-15 in the day salt, 30-33 in the import domain; below k in both.
    expect(table(await query({ metrics: ['visitors', 'conversion_rate'], filters: [['is', 'event:goal', ['Visit /cart']], ['is_not', 'visit:utm_campaign', ['spring']]] })))
      .toEqual([[null, null]]);
  });

  it('refuses what has no meaning, naming the field', async () => {
    const message = async (body: Record<string, unknown>) => error(await query(body)).message;
    expect(await message({ metrics: ['visitors'], filters: [['or', [['is', 'visit:utm_campaign', ['x']], ['is', 'event:goal', ['Nope']]]]] }))
      .toMatch(/^filters\[0\]\[1\]\[1\]\[2\]\[0\]: 'Nope' is not a goal of the site/);
    expect(await message({ metrics: ['conversion_rate'], dimensions: ['visit:utm_campaign'] })).toMatch(/^metrics: 'conversion_rate' needs the event:goal dimension or a filter on event:goal/);
    expect(await message({ metrics: ['bounce_rate'], dimensions: ['event:goal'] })).toMatch(/^metrics: session metric\(s\) bounce_rate cannot be queried with the event dimension event:goal/);
    expect(await message({ metrics: ['scroll_depth'], filters: [['is', 'event:goal', ['Product']]] })).toMatch(/^metrics: engagement metric\(s\) scroll_depth/);
  });
});

describe('changing a goal', () => {
  it('re-evaluates the events already stored (goals are matched at query time)', async () => {
    // `/thanks**` (no slash before the stars) also matches '/thanks' itself: 16-22.
    expect((await put(SITE, { goals: [{ page_path: '/thanks**', display_name: 'Any thanks' }] })).statusCode).toBe(200);
    const converted = journeys.filter((j) => j.steps.some((s) => s.path.startsWith('/thanks')));
    expect(kSum(converted)).toBe(7);
    const r = await app.inject({ method: 'POST', url: '/api/v2/conversions', payload: {
      site_id: SITE, date_range: RANGE, metrics: ['visitors', 'conversion_rate'], dimensions: ['event:goal'] } });
    expect(r.json<{ results: unknown[] }>().results).toEqual([{ dimensions: ['Any thanks'], metrics: [7, Math.round((7 / 22) * 10_000) / 100] }]);
    // The funnel's steps are the new list's: the seed's goals are gone for this site.
    expect(error(await app.inject({ method: 'POST', url: '/api/v2/funnel', payload: { site_id: SITE, date_range: RANGE, steps: ['Product', 'Any thanks'] } })).message)
      .toMatch(/^steps\[0\]: 'Product' is not a goal/);
  });
});
