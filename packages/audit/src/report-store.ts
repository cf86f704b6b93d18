import type { ClickHouseClient } from '@clickhouse/client';
import { renderMarkdown } from './markdown.js';
import type { AuditReport } from './report.js';

async function hasTable(client: ClickHouseClient): Promise<boolean> {
  const rows = await (await client.query({
    query: "SELECT name FROM system.tables WHERE database = currentDatabase() AND name = 'audit_reports'",
    format: 'JSONEachRow',
  })).json<{ name: string }>();
  return rows.length > 0;
}

/**
 * Keeps the report in ClickHouse (audit_reports), so `GET /api/audit` serves the last one from any API process.
 * Returns false when the table does not exist yet (a data directory never started: the audit changes nothing).
 */
export async function saveReport(client: ClickHouseClient, report: AuditReport): Promise<boolean> {
  if (!(await hasTable(client))) return false;
  await client.insert({
    table: 'audit_reports',
    values: [{
      created: Math.floor(Date.parse(report.generatedAt) / 1000), passed: report.passed ? 1 : 0,
      schema_version: report.schemaVersion, report: JSON.stringify(report), markdown: renderMarkdown(report),
    }],
    format: 'JSONEachRow',
  });
  return true;
}
