import { describe, expect, it } from 'vitest';
import { loadConfig } from '@tokumei/config';
import { FIELD_POLICY } from '@tokumei/privacy';
import { inventoryCheck } from '../src/inventory.js';
import { mask } from '../src/mask.js';
import { renderMarkdown } from '../src/markdown.js';
import { REPORT_KIND, SCHEMA_VERSION, type AuditReport } from '../src/report.js';
import { retentionCheck } from '../src/retention.js';
import { SCAN_PATTERNS } from '../src/content-scan.js';
import { textExpression, type LiveColumn, type LiveTable } from '../src/schema.js';
import { parseTtl } from '../src/ttl.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const config = loadConfig({ TOKUMEI_DATA_DIR: '/tmp/tokumei-audit-unit' });

function live(): { tables: LiveTable[]; columns: LiveColumn[] } {
  return {
    tables: FIELD_POLICY.map((t) => ({ name: t.table, engine: 'MergeTree', createQuery: `CREATE TABLE ${t.table} (…) TTL ts + toIntervalDay(30)`, rows: 0 })),
    columns: FIELD_POLICY.flatMap((t) => t.columns.map((c) => ({ table: t.table, name: c.name, type: c.type }))),
  };
}

function saltValue(created: number): Buffer {
  const value = Buffer.alloc(40, 7);
  value.writeBigUInt64BE(BigInt(created), 0);
  return value;
}

describe('audit building blocks', () => {
  it('masks every letter and digit of a sample', () => {
    expect(mask('jane.doe@example.com')).toBe('••••.•••@•••••••.•••');
    expect(mask('2001:db8::1')).toBe('••••:•••::•');
    expect(mask('x'.repeat(100))).toHaveLength(49);
  });

  it('reads TTLs as ClickHouse prints and as migrations write them', () => {
    expect(parseTtl("CREATE TABLE e (ts DateTime) ENGINE = MergeTree ORDER BY ts TTL ts + toIntervalDay(30) SETTINGS index_granularity = 8192"))
      .toMatchObject({ expression: 'ts + toIntervalDay(30)', maxDays: 30, amount: 30, unit: 'Day' });
    expect(parseTtl('… TTL hour + INTERVAL 25 MONTH')).toMatchObject({ amount: 25, unit: 'Month', maxDays: 775 });
    expect(parseTtl('CREATE TABLE t (x UInt8) ENGINE = MergeTree ORDER BY x').expression).toBeUndefined();
  });

  it('passes an inventory equal to the field policy and names an undeclared table and column', () => {
    const { tables, columns } = live();
    expect(inventoryCheck(tables, columns).status).toBe('pass');
    const planted = inventoryCheck(
      [...tables, { name: 'visitors_raw', engine: 'MergeTree', createQuery: '', rows: 3 }, { name: 'x_mv', engine: 'MaterializedView', createQuery: '', rows: 0 }],
      [...columns, { table: 'events', name: 'ip', type: 'String' }, { table: 'visitors_raw', name: 'ua', type: 'String' }],
    );
    expect(planted.status).toBe('fail');
    expect(planted.findings.map((f) => [f.table, f.column])).toEqual([['events', 'ip'], ['visitors_raw', undefined]]);
  });

  it('reads text from string-like columns and aggregate states that hold strings, and skips the rest', () => {
    const col = (type: string) => textExpression({ table: 't', name: 'c', type });
    expect(col('LowCardinality(String)')).toBe('toString(`c`)');
    expect(col('Nullable(String)')).toBe('toString(assumeNotNull(`c`))');
    expect(col('Array(String)')).toContain('arrayJoin');
    expect(col("AggregateFunction(argMin, String, DateTime('UTC'))")).toBe('toString(finalizeAggregation(`c`))');
    expect(col('AggregateFunction(uniq, UInt64)')).toBeUndefined();
    expect(col('SimpleAggregateFunction(sum, UInt64)')).toBeUndefined();
    expect(col('IPv6')).toBe('toString(`c`)');
  });

  it('confirms personal-data shapes and leaves ordinary values alone', () => {
    const hits = (text: string) => SCAN_PATTERNS.filter((p) => new RegExp(p.source).test(text) && p.confirm(text) !== undefined).map((p) => p.name);
    expect(hits('/u/jane@example.com')).toContain('email');
    expect(hits('/u/jane＠example．com')).toContain('email');
    expect(hits('/from/198.51.100.23/')).toEqual(['ip']);
    expect(hits('/call/０９０－１２３４－５６７８')).toEqual(['number']);
    expect(hits('Mozilla/5.0 (X11; Linux x86_64)')).toEqual(['user_agent']);
    expect(hits('/blog/2026-11-25/my-first-post')).toEqual([]);
    expect(hits('utm_source=news')).toEqual([]);
  });

  it('allows today\'s and yesterday\'s salts and a young import run salt, and names anything older', async () => {
    const register = (entries: Record<string, Buffer>) => ({ description: 'test register', load: () => Promise.resolve(new Map(Object.entries(entries))) });
    const ok = await retentionCheck({
      config, tables: [], now: NOW,
      salts: register({ '2026-11-25': saltValue(NOW - 3_600_000), '2026-11-24': saltValue(NOW - 86_400_000), 'run:abcdef12:2026-10-01': saltValue(NOW - 3_600_000) }),
    });
    expect(ok.findings).toEqual([]);
    expect(ok.evidence.join('\n')).toContain('run:abcdef12:2026-10-01 (import run salt, 1 h old)');
    const old = await retentionCheck({
      config, tables: [], now: NOW,
      salts: register({ '2026-11-22': saltValue(NOW - 3 * 86_400_000), 'run:abcdef12:2026-10-01': saltValue(NOW - 30 * 3_600_000), other: Buffer.alloc(3) }),
    });
    expect(old.findings.map((f) => f.location)).toEqual(['salt register key 2026-11-22', 'salt register key run:abcdef12:2026-10-01', 'salt register key other']);
  });

  it('renders a Markdown report with every section and without stored values', () => {
    const report: AuditReport = {
      kind: REPORT_KIND, schemaVersion: SCHEMA_VERSION, generatedAt: new Date(NOW).toISOString(), passed: false,
      deployment: { store: 'embedded', bus: 'memory', ranIn: 'command', canary: false },
      checks: [{
        id: 'content-scan', title: 'No stored value looks like personal data', promise: 'p', status: 'fail', scope: 's', method: 'm', evidence: ['e'],
        findings: [{ table: 'events', column: 'path', pattern: 'ipv4', count: 1, sample: mask('203.0.113.9'), message: '1 value(s) in events.path look like ipv4' }],
      }],
      saltLifecycle: [{ day: '2026-11-25', commitment: 'ab'.repeat(32), created: '2026-11-25T00:00:01Z', destroyed: null }],
      inventory: [{ table: 'events', field: 'events.path', purpose: 'page statistics', retention: '30 days' }],
      cnil: [{ criterion: 'Data kept no longer than 25 months', status: 'met', evidence: 'ttl' }],
    };
    const md = renderMarkdown(report);
    for (const heading of ['# Tokumei privacy audit', '## Summary', '## Salt lifecycle', '## Data inventory', '## Second reference: CNIL', '## The promises checked']) expect(md).toContain(heading);
    expect(md).toContain('| events.path | ipv4 | 1 | `•••.•.•••.•` |');
    expect(md).not.toContain('203.0.113.9');
  });
});
