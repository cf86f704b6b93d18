import { FIELD_POLICY, type TablePolicy } from '@tokumei/privacy';
import { PROMISES, check, type CheckResult, type Finding, type InventoryRow } from './report.js';
import { holdsData, type LiveColumn, type LiveTable } from './schema.js';

/**
 * Inventory: every table and column in the database must be declared in the privacy engine's field policy with the
 * same type. A column nobody declared is data nobody decided to keep, so it fails even if it is empty.
 */
export function inventoryCheck(tables: readonly LiveTable[], columns: readonly LiveColumn[], policy: readonly TablePolicy[] = FIELD_POLICY): CheckResult {
  const declared = new Map(policy.map((t) => [t.table, t]));
  const findings: Finding[] = [];
  const stored = tables.filter(holdsData);
  for (const table of stored) {
    const entry = declared.get(table.name);
    if (entry === undefined) {
      findings.push({ table: table.name, count: table.rows, message: `table ${table.name} (${table.engine}, ${table.rows} rows) is not declared in the field policy` });
      continue;
    }
    for (const column of columns.filter((c) => c.table === table.name)) {
      const want = entry.columns.find((c) => c.name === column.name);
      if (want === undefined) {
        findings.push({ table: table.name, column: column.name, message: `column ${table.name}.${column.name} (${column.type}) is not declared in the field policy` });
      } else if (want.type !== column.type) {
        findings.push({ table: table.name, column: column.name, message: `column ${table.name}.${column.name} is ${column.type}, declared as ${want.type}` });
      }
    }
  }
  const views = tables.filter((t) => !holdsData(t)).map((t) => t.name);
  const missing = policy.filter((t) => !tables.some((l) => l.name === t.table)).map((t) => t.table);
  const columnCount = columns.filter((c) => stored.some((t) => t.name === c.table)).length;
  return check({
    id: 'inventory',
    title: 'Data inventory matches the declared field policy',
    promise: PROMISES.statisticsOnly,
    scope: `${stored.length} tables and ${columnCount} columns in the ClickHouse database (system.tables, system.columns)`,
    method: 'Each table and column, with its type, is compared with the field policy, which states for every column where its value comes from, how it is transformed and why it is kept.',
    evidence: [
      `tables holding data: ${stored.map((t) => `${t.name} (${t.rows} rows)`).join(', ') || 'none'}`,
      ...(views.length > 0 ? [`views without storage of their own (they write into declared tables): ${views.join(', ')}`] : []),
      ...(missing.length > 0 ? [`declared but not created yet (no data): ${missing.join(', ')}`] : []),
    ],
    findings,
  });
}

/** The data inventory an auditor attaches to a review: one row per stored field. */
export function inventoryRows(policy: readonly TablePolicy[] = FIELD_POLICY): InventoryRow[] {
  return policy.flatMap((t) => t.columns.map((c) => ({
    table: t.table, field: `${t.table}.${c.name}`, purpose: `${c.purpose} (${c.transform})`, retention: t.retention,
  })));
}
