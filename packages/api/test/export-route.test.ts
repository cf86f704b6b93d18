import { afterEach, describe, expect, it } from 'vitest';
import { buildApiApp, type ApiApp } from '@tokumei/api';
import { Registry } from 'prom-client';
import { captureLogs } from '../../../test/helpers/logs.js';
import { parseCsv, unzip } from '../../../test/helpers/unzip.js';
import { fakeClickHouse } from './fake-clickhouse.js';

// The export's wiring: which files, which headers, which refusals, and that a shared link exports its own site only.
// Its numbers are the v2 API's on real chDB (test/integration/export.test.ts).

const TOKEN = 'test-token-0123456789';
const admin = { authorization: `Bearer ${TOKEN}` };
const NOW = Date.parse('2026-03-10T12:34:56Z');

const apps: ApiApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function setup() {
  const links: Record<string, unknown>[] = [];
  const fake = fakeClickHouse((call) => Promise.resolve(
    call.query.includes('FROM shared_links WHERE token_hash') ? links.filter((l) => l.token_hash === call.query_params.hash).map((l) => ({ ...l, version: '1', created: '2026-03-10T12:34:56Z' })) : []));
  const insert = fake.client.insert.bind(fake.client);
  fake.client.insert = ((params: { table: string; values: Record<string, unknown>[] }) => {
    if (params.table === 'shared_links') links.push(...params.values);
    return insert(params as never);
  }) as typeof fake.client.insert;
  const app = await buildApiApp({
    config: { apiToken: TOKEN, host: '0.0.0.0', privacy: { sites: undefined, propsAllowList: new Map([['example.com', new Set(['plan'])]]) } },
    clickhouse: fake.client, logger: captureLogs().logger, registry: new Registry(), clock: () => NOW,
  });
  apps.push(app);
  return { app, calls: fake.calls };
}

const FILES = ['visitors.csv', 'pages.csv', 'entry_pages.csv', 'exit_pages.csv', 'sources.csv', 'referrers.csv', 'utm_mediums.csv',
  'utm_sources.csv', 'utm_campaigns.csv', 'utm_contents.csv', 'utm_terms.csv', 'countries.csv', 'browsers.csv', 'browser_versions.csv',
  'operating_systems.csv', 'operating_system_versions.csv', 'devices.csv', 'conversions.csv', 'custom_props.csv'];

describe('GET|POST /api/v2/export', () => {
  it('answers a ZIP of one CSV per dashboard table, each with its header row, named after the site and range', async () => {
    const { app } = await setup();
    const res = await app.inject({ method: 'GET', url: '/api/v2/export?site_id=example.com&date_range=2026-03-01,2026-03-07', headers: admin });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toBe('attachment; filename="example.com_2026-03-01_2026-03-07.zip"');
    expect(res.headers['cache-control']).toBe('no-store');
    const files = unzip(res.rawPayload);
    expect([...files.keys()]).toEqual(FILES);
    expect(parseCsv(files.get('visitors.csv') ?? '')).toEqual([['date', 'visitors', 'pageviews', 'visits', 'bounce_rate', 'visit_duration']]);
    expect(parseCsv(files.get('pages.csv') ?? '')[0]).toEqual(['name', 'visitors', 'pageviews', 'bounce_rate', 'time_on_page', 'scroll_depth']);
    expect(parseCsv(files.get('browser_versions.csv') ?? '')[0]).toEqual(['name', 'version', 'visitors']);
    expect(parseCsv(files.get('conversions.csv') ?? '')[0]).toEqual(['name', 'visitors', 'events', 'conversion_rate']);
    expect(parseCsv(files.get('custom_props.csv') ?? '')[0]).toEqual(['property', 'value', 'visitors', 'events', 'percentage']);
  });

  it('answers one table as CSV, takes the v2 body by POST, and refuses what v2 refuses with its message', async () => {
    const { app } = await setup();
    const one = await app.inject({ method: 'GET', url: '/api/v2/export?site_id=example.com&date_range=7d&format=csv&table=entry_pages', headers: admin });
    expect([one.statusCode, one.headers['content-type'], one.headers['content-disposition']]).toEqual([200, 'text/csv; charset=utf-8', 'attachment; filename="entry_pages.csv"']);
    expect(one.body).toBe('name,visitors,visits,bounce_rate,visit_duration\r\n');
    const posted = await app.inject({ method: 'POST', url: '/api/v2/export', headers: admin,
      payload: { site_id: 'example.com', date_range: ['2026-03-01', '2026-03-07'], filters: [['is', 'visit:country', ['JP']]], format: 'csv', table: 'countries' } });
    expect(posted.body).toBe('name,visitors\r\n');
    const refusals = [
      '/api/v2/export?site_id=example.com&date_range=7d&format=csv&table=bogus',
      '/api/v2/export?site_id=example.com&date_range=7d&format=csv',
      '/api/v2/export?site_id=example.com&date_range=7d&table=pages',
      '/api/v2/export?site_id=example.com&date_range=7d&filters=%5Bnot%20json',
      '/api/v2/export?site_id=example.com&date_range=fortnight',
      `/api/v2/export?site_id=example.com&date_range=7d&filters=${encodeURIComponent(JSON.stringify([['is', 'visit:nope', ['x']]]))}`,
    ];
    for (const url of refusals) {
      const res = await app.inject({ method: 'GET', url, headers: admin });
      expect([res.statusCode, res.json<{ error: { code: string } }>().error.code], url).toEqual([400, 'TKM_INVALID_QUERY']);
    }
    const v2 = await app.inject({ method: 'POST', url: '/api/v2/query', headers: admin, payload: { site_id: 'example.com', metrics: ['visitors'], date_range: 'fortnight' } });
    const exported = await app.inject({ method: 'GET', url: '/api/v2/export?site_id=example.com&date_range=fortnight', headers: admin });
    expect(exported.json()).toEqual(v2.json());
  });

  it('a table keeps the metrics v2 answers for the view; one v2 refuses even so is left out and named', async () => {
    const { app } = await setup();
    const filters = encodeURIComponent(JSON.stringify([['is', 'event:name', ['signup']]]));
    const res = await app.inject({ method: 'GET', url: `/api/v2/export?site_id=example.com&date_range=7d&filters=${filters}`, headers: admin });
    expect(res.statusCode, res.body).toBe(200);
    const files = unzip(res.rawPayload);
    // Engagement metrics with an event:name filter are refused by v2: pages.csv keeps visitors and page views.
    expect(parseCsv(files.get('pages.csv') ?? '')[0]).toEqual(['name', 'visitors', 'pageviews']);
    expect(parseCsv(files.get('visitors.csv') ?? '')[0]).toEqual(['date', 'visitors', 'pageviews', 'visits', 'bounce_rate', 'visit_duration']);
    // Whatever v2 refuses outright for this view is named and absent; everything else is there.
    const omitted = String(res.headers['x-tokumei-export-omitted'] ?? '').split(',').filter((n) => n !== '').map((n) => `${n}.csv`);
    expect([...files.keys()]).toEqual(FILES.filter((f) => !omitted.includes(f)));
  });

  it('needs a token; a shared link exports its own site only', async () => {
    const { app } = await setup();
    expect((await app.inject({ method: 'GET', url: '/api/v2/export?site_id=example.com&date_range=7d' })).statusCode).toBe(401);
    const made = (await app.inject({ method: 'POST', url: '/api/sites/example.com/shared-links', headers: admin, payload: {} })).json<{ token: string }>();
    const share = { 'x-tokumei-share': made.token };
    const own = await app.inject({ method: 'GET', url: '/api/v2/export?site_id=example.com&date_range=7d&format=csv&table=pages', headers: share });
    expect(own.statusCode, own.body).toBe(200);
    for (const site of ['other.example', 'Example.com']) {
      const res = await app.inject({ method: 'GET', url: `/api/v2/export?site_id=${site}&date_range=7d`, headers: share });
      expect([res.statusCode, res.json<{ error: { code: string } }>().error.code]).toEqual([403, 'TKM_SHARE_FORBIDDEN']);
      const posted = await app.inject({ method: 'POST', url: '/api/v2/export', headers: share, payload: { site_id: site, date_range: '7d' } });
      expect(posted.statusCode).toBe(403);
    }
  });
});
