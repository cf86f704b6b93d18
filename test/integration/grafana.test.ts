import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createLogger } from '@tokumei/config';
import { FIELD_POLICY } from '@tokumei/privacy';
import { EVENT_DIMENSIONS, createStoreClient, migrate, type StoreClient } from '@tokumei/store';
import { ClickHouseSink } from '@tokumei/worker';
import { tempDir } from '../helpers/pipeline.js';
import { generateTraffic, truthBreakdown } from '../helpers/traffic.js';

// Grafana cannot run here. Instead: take every SQL query out of the shipped dashboard, expand the ClickHouse plugin's
// macros and Grafana's template variables exactly as they would be expanded (grafana-clickhouse-datasource v4,
// pkg/macros), and run each against the real schema in chDB with seeded data.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DASHBOARDS = path.join(ROOT, 'dashboards');
const DASHBOARD = JSON.parse(fs.readFileSync(path.join(DASHBOARDS, 'grafana/tokumei-overview.json'), 'utf8')) as Dashboard;
const DAY = 86_400;

interface Target { rawSql: string; format: number; refId: string }
interface Panel { title: string; type: string; targets?: Target[]; datasource?: { type: string; uid: string } }
interface Variable { type: string; name: string; query: string; datasource?: { type: string; uid: string }; options?: { value: string }[] }
interface Dashboard { panels: Panel[]; templating: { list: Variable[] } }

/** Grafana's `sqlstring` format: single quotes doubled, the value quoted. */
const sqlString = (value: string) => `'${value.replaceAll("'", "''")}'`;
const isoDate = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

/** What Grafana and the plugin send for a time range [from, to] (epoch seconds) and an interval in seconds. */
export function expand(sql: string, vars: Record<string, string>, from: number, to: number, intervalSeconds: number): string {
  return sql
    .replace(/\$__timeFilter\(([^)]+)\)/g, (_, c: string) => `${c.trim()} >= toDateTime(${from}) AND ${c.trim()} <= toDateTime(${to})`)
    .replace(/\$__dateFilter\(([^)]+)\)/g, (_, c: string) => `${c.trim()} >= toDate('${isoDate(from)}') AND ${c.trim()} <= toDate('${isoDate(to)}')`)
    .replace(/\$__timeInterval\(([^)]+)\)/g, (_, c: string) => `toStartOfInterval(toDateTime(${c.trim()}), INTERVAL ${Math.max(1, intervalSeconds)} second)`)
    .replace(/\$__fromTime\b/g, `toDateTime(${from})`)
    .replace(/\$__toTime\b/g, `toDateTime(${to})`)
    .replace(/\$__interval_s\b/g, String(Math.max(1, intervalSeconds)))
    .replace(/\$\{(\w+):sqlstring\}/g, (_, name: string) => sqlString(vars[name] ?? expect.fail(`unknown variable ${name}`)))
    .replace(/\$\{(\w+)\}|\$(\w+)\b/g, (_, a: string | undefined, b: string | undefined) => vars[a ?? b ?? ''] ?? expect.fail(`unknown variable ${a ?? b}`));
}

const queries = DASHBOARD.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, sql: t.rawSql })));
const variable = (name: string) => DASHBOARD.templating.list.find((v) => v.name === name) ?? expect.fail(`no variable ${name}`);

const logger = createLogger({ level: 'warn' });
const NOW = Math.floor(Date.now() / 1000);
const START = Math.floor(NOW / DAY) * DAY - 3 * DAY;
const traffic = generateTraffic('grafana.example.com', START, 3, 40, 7);
// The first k-anonymity attack (k-anonymity.test.ts): one person on a page of their own on three days, and in two
// import runs of the first day: five visitor hashes, each in its own salt domain.
const first = traffic.rows.find((r) => r.site === traffic.site && r.event === 'pageview' && r.visitor !== '0') ?? expect.fail('no row');
traffic.rows.push(...[0, 1, 2, 0, 0].map((day, i) => ({
  ...first, ts: START + day * DAY + 600, path: '/secret', session: String(7_000 + i), visitor: String(8_000 + i), salt_domain: i < 3 ? '0' : String(9_000 + i),
})));
let store: StoreClient;

beforeAll(async () => {
  const config = { clickhouseUrl: undefined, dataDir: tempDir('tokumei-grafana-'), eventsTtlDays: 30, aggregatesTtlMonths: 25 };
  store = await createStoreClient(config);
  await migrate(store.client, config, logger);
  const sink = new ClickHouseSink(store.client);
  await sink.insertEvents(traffic.rows, 'grafana-seed');
  await sink.insertBots([{ site: traffic.site, day: isoDate(START + DAY), bots: 17 }], 'grafana-bots');
});

afterAll(async () => {
  await store?.close();
});

async function run(sql: string): Promise<Record<string, unknown>[]> {
  return (await store.client.query({ query: sql, format: 'JSONEachRow' })).json<Record<string, unknown>>();
}

describe('Grafana dashboard', () => {
  it('uses the ClickHouse plugin everywhere and has a query in every data panel', () => {
    expect(queries.length).toBeGreaterThanOrEqual(10);
    for (const panel of DASHBOARD.panels) {
      expect(panel.datasource, panel.title).toEqual({ type: 'grafana-clickhouse-datasource', uid: 'tokumei-clickhouse' });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    }
  });

  it('the site variable query lists the seeded site', async () => {
    const rows = await run(expand(variable('site').query, { k: variable('k').query }, START, NOW, 3600));
    expect(rows.map((r) => r.site)).toContain(traffic.site);
  });

  it.each(queries)('"$title" runs on the real schema and returns data', async ({ sql }) => {
    const vars = { site: traffic.site, dimension: 'country', k: variable('k').query };
    const expanded = expand(sql, vars, START, NOW, 3600);
    expect(expanded).not.toContain('$');
    expect((await run(expanded)).length).toBeGreaterThan(0);
  });

  it('every breakdown panel is one query, which reads k from the dashboard constant', () => {
    const breakdowns = queries.filter((q) => q.sql.includes('agg_dimensions'));
    expect(breakdowns.map((q) => q.title)).toEqual(['Pages', 'Referrers', 'Countries', 'Browsers', 'Breakdown by ${dimension}']);
    const shape = (sql: string) => sql.replace(/dimension = ('[a-z_]+'|\$\{dimension:sqlstring\})/, 'dimension = ?');
    for (const q of breakdowns) expect(shape(q.sql), q.title).toBe(shape(breakdowns[0]?.sql ?? ''));
    expect(breakdowns[0]?.sql.match(/\$\{k\}/g)).toHaveLength(2);
  });

  it('offers every event dimension of the declaration as a breakdown choice (the analyst role cannot read agg_sessions)', () => {
    const dimension = variable('dimension');
    expect(dimension.query.split(',')).toEqual(EVENT_DIMENSIONS);
    expect((dimension.options ?? []).map((o) => o.value)).toEqual(EVENT_DIMENSIONS);
  });

  it('every breakdown choice follows the API rule: k per salt domain and day, (other) only when it hides two values and k visitors', async () => {
    const sql = queries.find((q) => q.title.includes('${dimension}'))?.sql ?? expect.fail('no dimension panel');
    for (const { value } of variable('dimension').options ?? []) {
      const rows = await run(expand(sql, { site: traffic.site, dimension: value, k: '5' }, START, NOW, 3600));
      const truth = truthBreakdown(traffic, { from: START, to: NOW }, value, 100, 5).rows.map((r) => ({ label: r.value, visitors: r.visitors, pageviews: r.pageviews }));
      expect(rows.map((r) => ({ label: r.label, visitors: Number(r.visitors), pageviews: Number(r.pageviews) })), value).toEqual(truth);
      for (const row of rows) if (row.label !== '(other)') expect(Number(row.visitors), `${value} ${String(row.label)}`).toBeGreaterThanOrEqual(5);
    }
    const pages = await run(expand(sql, { site: traffic.site, dimension: 'page', k: '5' }, START, NOW, 3600));
    expect(pages.map((r) => r.label)).not.toContain('/secret');
  });

  it('totals match the seeded traffic', async () => {
    const pageviews = queries.find((q) => q.title === 'Page views')?.sql ?? expect.fail('no page views panel');
    const [row] = await run(expand(pageviews, { site: traffic.site }, START, NOW, 3600));
    expect(Number(row?.pageviews)).toBe(traffic.rows.filter((r) => r.site === traffic.site && r.event === 'pageview').length);
    const bots = queries.find((q) => q.title === 'Bot requests')?.sql ?? expect.fail('no bots panel');
    expect(Number((await run(expand(bots, { site: traffic.site }, START, NOW, 3600)))[0]?.bots)).toBe(17);
  });

  it('the analyst role reads aggregates only, and every table the dashboard reads', () => {
    const ddl = fs.readFileSync(path.join(DASHBOARDS, 'clickhouse/analyst.sql'), 'utf8');
    const granted = [...ddl.matchAll(/^GRANT SELECT ON tokumei\.(\w+) TO tokumei_analyst_role;$/gm)].map((m) => m[1]);
    const aggregates = FIELD_POLICY.filter((t) => t.kind === 'aggregate').map((t) => t.table);
    expect(granted.length).toBeGreaterThan(0);
    for (const table of granted) expect(aggregates, `${table} is not an aggregate table`).toContain(table);
    expect(ddl).not.toMatch(/GRANT\s+(?!SELECT ON tokumei\.\w+ TO|tokumei_analyst_role TO)/);
    const read = new Set(queries.flatMap((q) => [...q.sql.matchAll(/\bFROM\s+(\w+)/g)].map((m) => m[1])).filter((t) => t !== undefined));
    for (const table of read) expect(granted, `dashboard reads ${table}`).toContain(table);
  });

  it('provisioning points Grafana at the plugin and the dashboard folder', () => {
    const datasource = parseYaml(fs.readFileSync(path.join(DASHBOARDS, 'grafana/provisioning/datasources/tokumei-clickhouse.yaml'), 'utf8')) as {
      datasources: { uid: string; type: string; jsonData: { username: string } }[];
    };
    expect(datasource.datasources[0]).toMatchObject({ uid: 'tokumei-clickhouse', type: 'grafana-clickhouse-datasource', jsonData: { username: 'tokumei_analyst' } });
    const provider = parseYaml(fs.readFileSync(path.join(DASHBOARDS, 'grafana/provisioning/dashboards/tokumei.yaml'), 'utf8')) as { providers: { type: string }[] };
    expect(provider.providers[0]?.type).toBe('file');
  });
});
