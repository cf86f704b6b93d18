import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { buildApiApp, type ApiApp } from '@tokumei/api';
import { independentScanCheck } from '@tokumei/audit';
import type { EventRow } from '@tokumei/privacy';
import { contentScanCheck } from '../../packages/audit/src/content-scan.js';
import { FIXTURE_LOGGER, openStatsFixture, type StatsFixture } from '../helpers/stats-fixture.js';
import { unzip } from '../helpers/unzip.js';

// Shared links on real chDB (migration 011): a link reads its site exactly as the API token does, never the other
// site that has data too; revoking stops it on the next request; a password link works through its cookie; the
// table holds no token and no password, and the privacy audit's scans pass over it. k = 5.

const K = 5;
const DAY = 86_400;
const NOW = Date.now();
const D0 = Math.floor(NOW / 1000 / DAY) * DAY - 2 * DAY;
const SITE = 'shared.example.com';
const OTHER = 'other.example.com';
const day = new Date(D0 * 1000).toISOString().slice(0, 10);

const rows: EventRow[] = [SITE, OTHER].flatMap((site, s) => Array.from({ length: 12 }, (_, v) => ({
  site, ts: D0 + 9 * 3600 + v * 60, event: 'pageview', host: site, path: v < 7 ? '/' : '/pricing', query: '', referrer_host: '',
  utm_source: '', utm_medium: '', utm_campaign: '', utm_term: '', utm_content: '', session: String(100 * (s + 1) + v), visitor: String(100 * (s + 1) + v),
  salt_domain: '0', browser: 'Firefox', browser_version: '130', os: 'Linux', os_version: '', device: 'desktop', screen: 'l', country: 'JP', lang: 'ja',
  src: 'beacon', props: {},
})));

const TOKEN = 'shared-links-test-token-0123456789';
const admin = { authorization: `Bearer ${TOKEN}` };
const PASSWORD = 'correct horse battery';
let fixture: StatsFixture;
let app: ApiApp;

beforeAll(async () => {
  fixture = await openStatsFixture('tokumei-shared-links-', rows, { minVisitors: K, now: NOW });
  app = await buildApiApp({
    config: { apiToken: TOKEN, host: '0.0.0.0', minVisitors: K }, clickhouse: fixture.store.client, logger: FIXTURE_LOGGER, registry: new Registry(), clock: () => NOW,
  });
});

afterAll(async () => {
  await app?.close();
  await fixture?.close();
});

const make = async (body: Record<string, unknown> = {}) => {
  const res = await app.inject({ method: 'POST', url: `/api/sites/${SITE}/shared-links`, headers: admin, payload: body });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ id: string; token: string }>();
};
const code = (res: { json: () => unknown }) => (res.json() as { error?: { code: string } }).error?.code;
const summary = (site: string) => `/api/stats/summary?site=${site}&from=${day}&to=${day}`;
const query = (site: string) => ({ site_id: site, metrics: ['visitors', 'pageviews'], date_range: [day, day], dimensions: ['event:page'] });

describe('shared links on chDB', () => {
  it('reads its site as the API token does, and no other site, though that one has data', async () => {
    const { token } = await make({ name: 'Board' });
    const share = { 'x-tokumei-share': token };
    for (const [method, url, payload] of [['GET', summary(SITE), undefined], ['POST', '/api/v2/query', query(SITE)]] as const) {
      const asAdmin = await app.inject({ method, url, headers: admin, payload });
      const asShare = await app.inject({ method, url, headers: share, payload });
      expect(asAdmin.statusCode, asAdmin.body).toBe(200);
      expect(asShare.json()).toEqual(asAdmin.json());
    }
    expect((await app.inject({ method: 'POST', url: '/api/v2/query', headers: admin, payload: query(SITE) })).json<{ results: unknown[] }>().results)
      .toEqual([{ metrics: [7, 7], dimensions: ['/'] }, { metrics: [5, 5], dimensions: ['/pricing'] }]);
    const refusals = [];
    for (const site of [OTHER, 'never.example.com']) {
      expect((await app.inject({ method: 'GET', url: summary(site), headers: admin })).statusCode).toBe(200);
      for (const [method, url, payload] of [['GET', summary(site), undefined], ['POST', '/api/v2/query', query(site)]] as const) {
        const res = await app.inject({ method, url, headers: share, payload });
        expect([res.statusCode, code(res)], `${method} ${url} ${site}`).toEqual([403, 'TKM_SHARE_FORBIDDEN']);
        refusals.push(res.body);
      }
    }
    expect(new Set(refusals).size).toBe(1);
    expect(code(await app.inject({ method: 'GET', url: '/api/audit', headers: share }))).toBe('TKM_SHARE_FORBIDDEN');
  });

  it('exports its own site byte for byte as the API token does', async () => {
    const { token } = await make();
    const url = `/api/v2/export?site_id=${SITE}&date_range=${day},${day}`;
    const asAdmin = await app.inject({ method: 'GET', url, headers: admin });
    const asShare = await app.inject({ method: 'GET', url, headers: { 'x-tokumei-share': token } });
    expect(asShare.statusCode, asShare.body).toBe(200);
    expect([...unzip(asShare.rawPayload)]).toEqual([...unzip(asAdmin.rawPayload)]);
    expect(unzip(asShare.rawPayload).get('pages.csv')).toContain('\r\n/,7,7,');
    const other = await app.inject({ method: 'GET', url: url.replace(SITE, OTHER), headers: { 'x-tokumei-share': token } });
    expect(code(other)).toBe('TKM_SHARE_FORBIDDEN');
  });

  it('stops on the request after its revocation', async () => {
    const made = await make();
    const share = { 'x-tokumei-share': made.token };
    expect((await app.inject({ method: 'GET', url: summary(SITE), headers: share })).statusCode).toBe(200);
    const revoked = await app.inject({ method: 'DELETE', url: `/api/sites/${SITE}/shared-links/${made.id}`, headers: admin });
    expect(revoked.statusCode, revoked.body).toBe(200);
    const after = await app.inject({ method: 'GET', url: summary(SITE), headers: share });
    expect([after.statusCode, code(after)]).toEqual([401, 'TKM_SHARE_INVALID']);
    const listed = (await app.inject({ method: 'GET', url: `/api/sites/${SITE}/shared-links`, headers: admin })).json<{ shared_links: { id: string }[] }>();
    expect(listed.shared_links.map((l) => l.id)).not.toContain(made.id);
  });

  it('a password link opens with its session cookie only', async () => {
    const made = await make({ password: PASSWORD });
    const share = { 'x-tokumei-share': made.token };
    expect(code(await app.inject({ method: 'GET', url: summary(SITE), headers: share }))).toBe('TKM_SHARE_PASSWORD');
    const session = await app.inject({ method: 'POST', url: '/api/share/session', headers: share, payload: { password: PASSWORD } });
    expect(session.statusCode, session.body).toBe(200);
    const cookie = String(session.headers['set-cookie']).split(';')[0] ?? '';
    const opened = await app.inject({ method: 'GET', url: summary(SITE), headers: { ...share, cookie } });
    expect(opened.statusCode, opened.body).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/share', headers: { ...share, cookie } })).json()).toEqual({ site: SITE, name: 'Shared link', password_protected: true });
  });

  it('stores hashes only, and the audit\'s content and independent scans find nothing in the table', async () => {
    const made = await make({ password: PASSWORD, name: 'Marketing' });
    const stored = await (await fixture.store.client.query({ query: 'SELECT * FROM shared_links', format: 'JSONEachRow' })).json<Record<string, unknown>>();
    const text = JSON.stringify(stored);
    expect(text).not.toContain(made.token);
    expect(text).not.toContain(PASSWORD);
    expect(stored.find((r) => r.id === made.id)?.token_hash).toBe(createHash('sha256').update(made.token).digest('hex'));
    const tables = [{ name: 'shared_links', engine: 'ReplacingMergeTree', createQuery: '', rows: stored.length }];
    const columns = await (await fixture.store.client.query({ query: "SELECT table, name, type FROM system.columns WHERE database = currentDatabase() AND table = 'shared_links'", format: 'JSONEachRow' })).json<{ table: string; name: string; type: string }>();
    const content = await contentScanCheck(fixture.store.client, tables, columns);
    expect(content.findings).toEqual([]);
    expect(content.evidence.join('\n')).toContain('shared_links.token_hash: every value must match');
    const independent = await independentScanCheck(fixture.store.client, tables, columns);
    expect(independent.findings).toEqual([]);
  });
});
