import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditReport } from '@tokumei/audit';
import { createLogger } from '@tokumei/config';
import { startTokumei, type Running } from '../../apps/tokumei/src/runtime.js';
import { byId } from '../helpers/audit.js';
import { BROWSER_UA, summary, testConfig, waitUntil } from '../helpers/pipeline.js';

/**
 * Custom properties and engagement from `POST /collect` to the rows chDB holds: only allow-listed keys, values
 * judged by the privacy engine, engagement numbers on engagement rows only and never a page view; and the audit
 * finds personal data planted in a props value (as a scrubber bug would leave it), also when split over keys.
 */
const logger = createLogger({ level: 'warn' });
const SITE = 'example.com';

async function post(ingest: string, beacon: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${ingest}/collect`, {
    method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8', 'user-agent': BROWSER_UA }, body: JSON.stringify(beacon),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) as unknown };
}

async function query<T>(client: ClickHouseClient, sql: string): Promise<T[]> {
  return (await client.query({ query: sql, format: 'JSONEachRow' })).json<T>();
}

describe('props and engagement through the embedded pipeline', () => {
  let running: Running;
  let ingest: string;
  let client: ClickHouseClient;

  beforeAll(async () => {
    running = await startTokumei(testConfig({ TOKUMEI_PROPS_ALLOWLIST: `${SITE}:plan,note,a,b,c;*:lang` }), logger);
    ingest = running.urls.ingest ?? expect.fail('no ingest');
    client = running.store?.client ?? expect.fail('no store');
  });
  afterAll(async () => {
    await running.stop();
  });

  it('refuses what breaks the props and engagement rules with a 400 naming the field, and stores nothing of it', async () => {
    const base = { site: SITE, url: 'https://example.com/refused' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, props: { plan: 'x'.repeat(201) } }, 'body props: values must be at most 200 characters (UTF-16 code units)'],
      [{ ...base, props: { 'jane@example.com': 'x' } }, 'body props: keys must be identifiers: a letter, then letters, digits or _, at most 40'],
      [{ ...base, props: Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, 'v'])) }, 'body props: must have at most 30 keys'],
      [{ ...base, props: { plan: 1 } }, 'body props: values must be strings'],
      [{ ...base, event: 'engagement' }, 'body em: is required for an engagement event'],
      [{ ...base, event: 'engagement', em: 1_800_001 }, 'body em: must be between 0 and 1800000'],
      [{ ...base, em: 100 }, 'body em: only an engagement event carries it'],
    ];
    for (const [beacon, message] of cases) {
      const { status, body } = await post(ingest, beacon);
      expect(status, message).toBe(400);
      expect(body).toMatchObject({ error: { code: 'TKM_INVALID_BEACON', message } });
      expect(JSON.stringify(body)).not.toContain('jane@');
    }
  });

  it('stores allow-listed props judged, engagement on its own rows, and counts no engagement as a page view', async () => {
    const before = await summary(running.urls.api ?? '', SITE);
    const beacons: Record<string, unknown>[] = [
      { site: SITE, url: 'https://example.com/pricing', sid: 'tab-1', props: { plan: 'pro', lang: 'ja', secret: 'kept nowhere' } },
      { site: SITE, url: 'https://example.com/pricing', sid: 'tab-1', event: 'signup', props: { plan: '０９０－１２３４－５６７８', note: '山田様' } },
      { site: SITE, url: 'https://example.com/pricing', sid: 'tab-1', event: 'split', props: { a: '090', b: '1234', c: '5678' } },
      { site: SITE, url: 'https://example.com/pricing', sid: 'tab-1', event: 'mail', props: { plan: 'jane%40example.com', note: 'ｊａｎｅ＠ｅｘａｍｐｌｅ．ｊｐ' } },
      { site: SITE, url: 'https://example.com/pricing', sid: 'tab-1', event: 'engagement', em: 12_345, sd: 75 },
      { site: SITE, url: 'https://example.com/pricing', sid: 'tab-1', event: 'engagement', em: 2_000, sd: 90 },
      { site: 'other.example.net', url: 'https://other.example.net/', sid: 'tab-9', props: { plan: 'pro', lang: 'en' } },
    ];
    for (const beacon of beacons) expect((await post(ingest, beacon)).status).toBe(202);
    type Row = { site: string; event: string; props: Record<string, string>; engaged_ms: number; scroll_depth: number };
    const rows = await waitUntil(
      () => query<Row>(client, 'SELECT site, event, props, engaged_ms, scroll_depth FROM events ORDER BY site, event, engaged_ms'),
      (found) => found.length >= beacons.length, 10_000,
    );
    expect(rows).toEqual([
      { site: SITE, event: 'engagement', props: {}, engaged_ms: 2_000, scroll_depth: 90 },
      { site: SITE, event: 'engagement', props: {}, engaged_ms: 12_345, scroll_depth: 75 },
      { site: SITE, event: 'mail', props: { note: ':email', plan: ':email' }, engaged_ms: 0, scroll_depth: 0 },
      { site: SITE, event: 'pageview', props: { lang: 'ja', plan: 'pro' }, engaged_ms: 0, scroll_depth: 0 },
      { site: SITE, event: 'signup', props: { note: ':name', plan: ':phone' }, engaged_ms: 0, scroll_depth: 0 },
      { site: SITE, event: 'split', props: { a: ':phone', b: ':phone', c: ':phone' }, engaged_ms: 0, scroll_depth: 0 },
      // Only the `*` key for a site without its own list.
      { site: 'other.example.net', event: 'pageview', props: { lang: 'en' }, engaged_ms: 0, scroll_depth: 0 },
    ]);

    // The engagement rollups: one session with both beacons, one page.
    expect(await query(client, `SELECT toString(engagements) AS n, toString(engaged_ms) AS ms, scroll_depth FROM agg_engagement_sessions FINAL WHERE site = '${SITE}'`))
      .toEqual([{ n: '2', ms: '14345', scroll_depth: 90 }]);
    expect(await query(client, `SELECT path, toString(sum(engagements)) AS n, toString(sum(engaged_ms)) AS ms, toString(sum(scroll_sum)) AS scroll,
                                       uniqMerge(visitors) AS visitors FROM agg_engagement_daily WHERE site = '${SITE}' GROUP BY path`))
      .toEqual([{ path: '/pricing', n: '2', ms: '14345', scroll: '165', visitors: 1 }]);
    // Page views, sessions and the session table count the one page view only.
    const after = await summary(running.urls.api ?? '', SITE);
    expect(after.pageviews - before.pageviews).toBe(1);
    expect(await query(client, `SELECT toString(sum(pageviews)) AS pv FROM agg_sessions WHERE site = '${SITE}'`)).toEqual([{ pv: '1' }]);

    // Counted by outcome, never logged: 10 kept (7 of them replaced), 2 dropped (`secret`, and `plan` on a site without it).
    const metrics = await (await fetch(`${ingest}/metrics`)).text();
    expect(metrics.split('\n').filter((line) => line.startsWith('tokumei_worker_props_total')).sort())
      .toEqual(['tokumei_worker_props_total{result="dropped"} 2', 'tokumei_worker_props_total{result="kept"} 10', 'tokumei_worker_props_total{result="replaced"} 7']);
  });

  it('the audit finds an e-mail planted in a props value, whole or split over keys, in both scans', async () => {
    // As a scrubber bug would leave them: written straight into events, past the privacy engine. With its own
    // deduplication token: on chDB the worker's last token stays set on the shared connection, and an insert without
    // one is dropped as a duplicate of the worker's block.
    await client.insert({
      table: 'events', format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: `planted-${Date.now()}` },
      values: [
        { site: SITE, ts: Math.floor(Date.now() / 1000), event: 'planted', path: '/', props: { plan: 'jane.doe@example.com' } },
        { site: SITE, ts: Math.floor(Date.now() / 1000), event: 'planted', path: '/', props: { a: 'taro.yamada', b: '@', c: 'example.co.jp' } },
      ],
    });
    const report: AuditReport = await (running.audit ?? expect.fail('no audit')).run({ canary: false });
    const props = (id: 'content-scan' | 'independent-scan') => byId(report, id).findings.filter((f) => f.table === 'events' && f.column === 'props');
    // The engine confirms the whole address and the split one read joined (the `@` alone is no address to it).
    expect(props('content-scan').map((f) => [f.pattern, f.count])).toEqual([['email', 2]]);
    // The independent detector's own name for it; the lone `@` counts as well.
    expect(props('independent-scan').map((f) => f.pattern)).toEqual(['at-sign']);
    expect(props('independent-scan')[0]?.count).toBeGreaterThanOrEqual(2);
    expect(report.passed).toBe(false);
    expect(JSON.stringify(report)).not.toContain('jane.doe@');
    expect(JSON.stringify(report)).not.toContain('taro.yamada');
  });
});
