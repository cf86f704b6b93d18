import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Config, Logger } from '@tokumei/config';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'migrations');

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}

type TemplateConfig = Pick<Config, 'eventsTtlDays' | 'aggregatesTtlMonths'>;

/** Values substituted into migrations. Integers only, so templating cannot inject SQL. */
function templateValues(config: TemplateConfig): Record<string, number> {
  return { events_ttl_days: config.eventsTtlDays, aggregates_ttl_months: config.aggregatesTtlMonths };
}

export function loadMigrations(config: TemplateConfig, dir = MIGRATIONS_DIR): Migration[] {
  const values = templateValues(config);
  return fs.readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = fs.readFileSync(path.join(dir, file), 'utf8').replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
        const value = values[key];
        if (value === undefined) throw new Error(`${file}: unknown template value {{${key}}}`);
        return String(value);
      });
      return {
        version: Number(file.slice(0, 3)),
        name: file.slice(4, -4),
        statements: sql.split(/;\s*(?:\n|$)/)
          .map((s) => s.split('\n').filter((line) => !line.trimStart().startsWith('--')).join('\n').trim())
          .filter((s) => s !== ''),
      };
    });
}

export interface MigrationResult {
  readonly applied: readonly string[];
  readonly current: number;
}

/**
 * Applies what is missing, in order, and records each version. Statements are idempotent (IF NOT EXISTS), so a
 * migration interrupted half-way is simply applied again. `dir` lets a test build a database as an older release left it.
 */
export async function migrate(client: ClickHouseClient, config: TemplateConfig, logger: Logger, dir = MIGRATIONS_DIR): Promise<MigrationResult> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS tokumei_migrations (version UInt32, name String, applied DateTime('UTC') DEFAULT now())
            ENGINE = MergeTree ORDER BY version`,
  });
  const done = new Set(
    (await (await client.query({ query: 'SELECT version FROM tokumei_migrations', format: 'JSONEachRow' })).json<{ version: number }>())
      .map((r) => Number(r.version)),
  );
  const applied: string[] = [];
  let current = Math.max(0, ...done);
  for (const migration of loadMigrations(config, dir)) {
    if (done.has(migration.version)) continue;
    for (const statement of migration.statements) await client.command({ query: statement });
    await client.insert({
      table: 'tokumei_migrations',
      values: [{ version: migration.version, name: migration.name }],
      format: 'JSONEachRow',
    });
    applied.push(`${String(migration.version).padStart(3, '0')}_${migration.name}`);
    current = Math.max(current, migration.version);
    logger.info({ version: migration.version, name: migration.name }, 'applied migration');
  }
  await applyRetention(client, config, logger);
  return { applied, current };
}

const RETENTION = [
  { table: 'events', ttl: (c: TemplateConfig) => `ts + toIntervalDay(${c.eventsTtlDays})` },
  { table: 'bots_daily', ttl: (c: TemplateConfig) => `day + toIntervalMonth(${c.aggregatesTtlMonths})` },
  { table: 'agg_site_hourly', ttl: (c: TemplateConfig) => `hour + toIntervalMonth(${c.aggregatesTtlMonths})` },
  { table: 'agg_dimensions_hourly', ttl: (c: TemplateConfig) => `hour + toIntervalMonth(${c.aggregatesTtlMonths})` },
  { table: 'agg_dimensions_daily', ttl: (c: TemplateConfig) => `day + toIntervalMonth(${c.aggregatesTtlMonths})` },
  // Per-session rows are pseudonymous like events: they follow the events retention, not the aggregates'.
  { table: 'agg_sessions', ttl: (c: TemplateConfig) => `day + toIntervalDay(${c.eventsTtlDays})` },
  { table: 'stats_daily', ttl: (c: TemplateConfig) => `day + toIntervalMonth(${c.aggregatesTtlMonths})` },
  { table: 'agg_engagement_sessions', ttl: (c: TemplateConfig) => `day + toIntervalDay(${c.eventsTtlDays})` },
  { table: 'agg_engagement_daily', ttl: (c: TemplateConfig) => `day + toIntervalMonth(${c.aggregatesTtlMonths})` },
] as const;

/** Retention is configuration: when it changes after the tables exist, the TTLs follow. */
async function applyRetention(client: ClickHouseClient, config: TemplateConfig, logger: Logger): Promise<void> {
  const rows = await (await client.query({
    query: 'SELECT name, create_table_query FROM system.tables WHERE database = currentDatabase()',
    format: 'JSONEachRow',
  })).json<{ name: string; create_table_query: string }>();
  for (const { table, ttl } of RETENTION) {
    const expression = ttl(config);
    const create = rows.find((r) => r.name === table)?.create_table_query;
    if (create === undefined || create.includes(`TTL ${expression}`)) continue;
    await client.command({ query: `ALTER TABLE ${table} MODIFY TTL ${expression}` });
    logger.info({ table, ttl: expression }, 'retention changed');
  }
}
