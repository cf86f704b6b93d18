import type { ClickHouseClient } from '@clickhouse/client';
import { PROMISES, check, type CheckResult, type Finding, type SaltLifecycleRow } from './report.js';
import { RUN_SALT_MAX_MS } from '@tokumei/privacy';
import type { LiveColumn, LiveTable } from './schema.js';

const DAY_MS = 86_400_000;
/** Rotation runs every minute; a destruction recorded this long after the deadline is reported as late. */
const LATE_AFTER_MS = 10 * 60_000;

interface DbRow {
  day_text: string;
  run_id: string;
  hash: string;
  created_at: string;
  destroyed_at: string | null;
}

interface Row {
  day: string;
  run: string;
  commitment: string;
  created: string;
  destroyed: string | null;
}

/**
 * Salt lifecycle: the ledger the worker keeps in salt_log (day, SHA-256 commitment, created, destroyed) for the
 * last N days. A salt whose time is over must have a recorded destruction; the commitments let an auditor match
 * these rows with the worker's logs without the salt ever being shown.
 */
export async function saltLifecycleCheck(client: ClickHouseClient, tables: readonly LiveTable[], columns: readonly LiveColumn[], options: { days: number; graceMs: number; now: number }): Promise<{ result: CheckResult; rows: SaltLifecycleRow[] }> {
  const base = {
    id: 'salt-lifecycle' as const,
    title: 'Every day salt was destroyed on time',
    promise: PROMISES.noIdentification,
    scope: `salt_log, the privacy engine's record of each day salt, for the last ${options.days} days`,
    method: 'Rows of one salt are merged (creation and destruction are written separately); a salt whose day and grace period are over must have a destruction time.',
  };
  if (!tables.some((t) => t.name === 'salt_log')) {
    return { result: check({ ...base, evidence: ['salt_log does not exist yet (the worker has never run)'], findings: [] }), rows: [] };
  }
  // Import runs' salts (for days past their day salt) live at most 24 h from creation, whatever their day.
  const run = columns.some((c) => c.table === 'salt_log' && c.name === 'run') ? 'run' : "''";
  const rows: Row[] = (await (await client.query({
    // Aliases differ from column names: ClickHouse would otherwise compare the text alias in WHERE.
    query: `SELECT toString(day) AS day_text, ${run} AS run_id, commitment AS hash, formatDateTime(min(created), '%FT%TZ') AS created_at,
              if(count(destroyed) = 0, NULL, formatDateTime(max(assumeNotNull(destroyed)), '%FT%TZ')) AS destroyed_at
            FROM salt_log WHERE day >= today() - {days:UInt32}
            GROUP BY day, run_id, commitment ORDER BY day, created_at`,
    query_params: { days: options.days },
    format: 'JSONEachRow',
  })).json<DbRow>()).map((r) => ({ day: r.day_text, run: r.run_id, commitment: r.hash, created: r.created_at, destroyed: r.destroyed_at }));
  const findings: Finding[] = [];
  const late: string[] = [];
  for (const row of rows) {
    const deadline = row.run === '' ? Date.parse(`${row.day}T00:00:00Z`) + DAY_MS + options.graceMs : Date.parse(row.created) + RUN_SALT_MAX_MS;
    if (row.destroyed === null) {
      if (options.now >= deadline) {
        findings.push({ table: 'salt_log', location: `salt of ${row.day}`, message: `the ${row.run === '' ? '' : `import run ${row.run} `}salt of ${row.day} (commitment ${row.commitment.slice(0, 16)}…) has no recorded destruction; its time ended at ${new Date(deadline).toISOString()}` });
      }
    } else if (Date.parse(row.destroyed) > deadline + LATE_AFTER_MS) {
      late.push(`${row.day} destroyed at ${row.destroyed}, deadline ${new Date(deadline).toISOString()} (no process was running to destroy it)`);
    }
  }
  const perDay = new Map<string, number>();
  for (const row of rows) perDay.set(row.day, (perDay.get(row.day) ?? 0) + 1);
  const shared = [...perDay].filter(([, n]) => n > 1).map(([d]) => d);
  return {
    result: check({
      ...base,
      evidence: [
        `${rows.length} salt(s) recorded, ${rows.filter((r) => r.destroyed !== null).length} destroyed, ${rows.filter((r) => r.destroyed === null).length} still live`,
        ...late.map((l) => `late destruction: ${l}`),
        ...(shared.length > 0 ? [`days with more than one salt (a register was reset): ${shared.join(', ')}`] : []),
      ],
      findings,
    }),
    rows: rows.map((r) => ({ day: r.run === '' ? r.day : `${r.day} (import run ${r.run})`, commitment: r.commitment, created: r.created, destroyed: r.destroyed })),
  };
}
