/** ClickHouse TTL expressions, read from a table's CREATE statement, in days (an upper bound for months and years). */
const UNIT_DAYS: Record<string, number> = {
  Second: 1 / 86_400, Minute: 1 / 1440, Hour: 1 / 24, Day: 1, Week: 7, Month: 31, Quarter: 92, Year: 366,
};

export interface TableTtl {
  /** The TTL clause as ClickHouse reports it, or undefined when the table has none. */
  readonly expression: string | undefined;
  /** Longest time a row can live, in days; undefined when no TTL or not understood. */
  readonly maxDays: number | undefined;
  readonly amount?: number;
  readonly unit?: string;
}

/**
 * `TTL ts + toIntervalDay(30)` (how ClickHouse prints it) or `TTL ts + INTERVAL 30 DAY` (how it is written). A table
 * with several TTL rules keeps a row as long as its longest delete rule, so the largest interval counts.
 */
export function parseTtl(createQuery: string): TableTtl {
  const clause = /\bTTL\s+(.+?)(?:\s+SETTINGS\s|$)/s.exec(createQuery)?.[1]?.trim();
  if (clause === undefined) return { expression: undefined, maxDays: undefined };
  let best: { days: number; amount: number; unit: string } | undefined;
  const consider = (amount: number, unit: string) => {
    const days = amount * (UNIT_DAYS[unit] ?? Number.NaN);
    if (!Number.isNaN(days) && (best === undefined || days > best.days)) best = { days, amount, unit };
  };
  for (const m of clause.matchAll(/toInterval(Second|Minute|Hour|Day|Week|Month|Quarter|Year)\((\d+)\)/g)) consider(Number(m[2]), m[1] ?? '');
  for (const m of clause.matchAll(/INTERVAL\s+(\d+)\s+(SECOND|MINUTE|HOUR|DAY|WEEK|MONTH|QUARTER|YEAR)/gi)) {
    const unit = (m[2] ?? '').toLowerCase();
    consider(Number(m[1]), unit.charAt(0).toUpperCase() + unit.slice(1));
  }
  if (best === undefined) return { expression: clause, maxDays: undefined };
  return { expression: clause, maxDays: best.days, amount: best.amount, unit: best.unit };
}
