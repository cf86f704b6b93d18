import type { ClickHouseClient } from '@clickhouse/client';

export interface LiveTable {
  readonly name: string;
  readonly engine: string;
  readonly createQuery: string;
  readonly rows: number;
}

export interface LiveColumn {
  readonly table: string;
  readonly name: string;
  readonly type: string;
}

/** Engines that hold no rows of their own: a view reads other tables, a materialized view `TO` writes into one. */
const STORAGELESS = new Set(['View', 'MaterializedView', 'LiveView', 'WindowView']);

export function holdsData(table: LiveTable): boolean {
  // A materialized view without `TO` keeps its rows in an inner `.inner` table, which is listed on its own.
  return !STORAGELESS.has(table.engine);
}

export async function liveTables(client: ClickHouseClient): Promise<LiveTable[]> {
  const rows = await (await client.query({
    query: `SELECT name, engine, create_table_query, toString(ifNull(total_rows, 0)) AS rows FROM system.tables
            WHERE database = currentDatabase() ORDER BY name`,
    format: 'JSONEachRow',
  })).json<{ name: string; engine: string; create_table_query: string; rows: string }>();
  return rows.map((r) => ({ name: r.name, engine: r.engine, createQuery: r.create_table_query, rows: Number(r.rows) }));
}

export async function liveColumns(client: ClickHouseClient): Promise<LiveColumn[]> {
  return (await client.query({
    query: 'SELECT table, name, type FROM system.columns WHERE database = currentDatabase() ORDER BY table, position',
    format: 'JSONEachRow',
  })).json<LiveColumn>();
}

/** ClickHouse identifiers in backquotes, so any table or column name found in the database can be queried. */
export function ident(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

/**
 * An expression giving the column's text, one row per string, or undefined for columns that cannot hold text
 * (numbers, dates, aggregate states). Types that are identifiers by nature (UUID, IPv4, IPv6) count as text here.
 */
export function textExpression(column: LiveColumn): string | undefined {
  const col = ident(column.name);
  // A simple aggregate stores plain values of its argument type.
  const type = column.type.replace(/^SimpleAggregateFunction\(\w+, (.*)\)$/, '$1');
  if (type.startsWith('AggregateFunction(')) {
    // argMin(path, ts) and the like keep a whole string in their state: read it back, finalized.
    return /^AggregateFunction\((argMin|argMax|any|anyLast|anyHeavy|min|max), (Nullable\()?(LowCardinality\()?String/.test(type)
      ? `toString(finalizeAggregation(${col}))` : undefined;
  }
  if (!/String|UUID|IPv4|IPv6|Enum/.test(type)) return undefined;
  if (/^(Nullable\()?Array\(/.test(type) || /^Array\(/.test(type)) return `arrayJoin(arrayMap(x -> toString(x), ${col}))`;
  if (/^Map\(/.test(type)) {
    // Every key and every value, and the values of a row read together: the scrubber judges values split over keys
    // (`a=090`, `b=1234`, `c=5678`) together, and the audit must not miss what a scrubber without that rule would.
    const text = (list: string): string => `arrayMap(x -> toString(x), ${list})`;
    const joined = `if(length(${col}) > 1, [arrayStringConcat(${text(`mapValues(${col})`)}, ' ')], [])`;
    return `arrayJoin(arrayConcat(${text(`mapKeys(${col})`)}, ${text(`mapValues(${col})`)}, ${joined}))`;
  }
  if (/^Nullable\(/.test(type)) return `toString(assumeNotNull(${col}))`;
  return `toString(${col})`;
}
