import type { Goal } from '@tokumei/config';
import type { StatsDb } from '../query-limits.js';
import { goalCondition } from './match.js';
import { EVENTS_IN_RANGE } from './window.js';

/** Metrics a goal row answers: converted visitors, completions, and the share of the set's visitors who converted. */
export const GOAL_METRICS = ['visitors', 'events', 'conversion_rate'] as const;
export type GoalMetric = (typeof GOAL_METRICS)[number];

export interface GoalRow {
  readonly goal: string;
  /** Visitors who completed the goal, summed over the cells (UTC day × salt domain) where they were at least k. */
  readonly visitors: number;
  readonly events: number;
  /** Visitors of the set in those same cells: the denominator of conversion_rate. */
  readonly total: number;
}

export interface ConversionsAnswer {
  readonly rows: readonly GoalRow[];
  /** Some goal's cell had 1 to k-1 converted visitors and was left out. */
  readonly folded: boolean;
}

/**
 * Conversions per goal, k-anonymous per cell as every breakdown is: a goal is counted in a (day, salt_domain) cell
 * only when at least k distinct visitors completed it there (visitor hashes of two cells never match, so this is
 * the only place k can be judged). conversion_rate's denominator is the set's visitors in the same cells, so the
 * rate of a goal withheld on some days is not diluted by them. Goals without a single such cell are not listed.
 *
 * One pass over the rows: each goal is a pair of conditional aggregates per cell (at most 100 goals, so at most 200
 * columns), which measured faster than ARRAY JOIN of goalsCompletedSql against a second scan for the totals.
 * `where` narrows the set (the v2 model's filters, as SQL over `events` columns); '1' is every row of the site.
 */
export function conversionsSql(goals: readonly Goal[], params: Record<string, unknown>, where = '1'): string {
  const perCell = goals.map((g, i) => {
    const done = goalCondition(g, i, params);
    return `uniqExactIf(visitor, visitor != 0 AND ${done}) AS v${i}, countIf(${done}) AS e${i}`;
  });
  const named = (i: number) => `v${i} >= {k:UInt64}`;
  const sums = goals.map((_, i) => `toUInt64(sumIf(v${i}, ${named(i)})) AS visitors_${i}, toUInt64(sumIf(e${i}, ${named(i)})) AS events_${i},
           toUInt64(sumIf(total, ${named(i)})) AS total_${i}, toUInt64(countIf(v${i} > 0 AND NOT ${named(i)})) AS withheld_${i}`);
  return `
    SELECT ${sums.join(',\n           ')}
    FROM (
      SELECT toDate(ts) AS day, salt_domain, uniqExactIf(visitor, visitor != 0) AS total, ${perCell.join(', ')}
      FROM events
      WHERE ${EVENTS_IN_RANGE} AND (${where})
      GROUP BY day, salt_domain)`;
}

/** Runs conversionsSql for `goals` over [from, to) (ClickHouse DateTime text) with threshold k; rows by visitors, then goal order. */
export async function conversions(
  db: StatsDb, site: string, goals: readonly Goal[], window: { from: string; to: string }, k: number,
  where: (params: Record<string, unknown>) => string = () => '1',
): Promise<ConversionsAnswer> {
  if (goals.length === 0) return { rows: [], folded: false };
  const params: Record<string, unknown> = { site, ...window, k };
  const [raw] = await db.rows<Record<string, string>>(conversionsSql(goals, params, where(params)), params);
  const n = (key: string) => Number(raw?.[key] ?? 0);
  const rows = goals
    .map((g, i) => ({ goal: g.name, visitors: n(`visitors_${i}`), events: n(`events_${i}`), total: n(`total_${i}`), order: i }))
    .filter((r) => r.visitors > 0)
    .sort((a, b) => b.visitors - a.visitors || a.order - b.order)
    .map(({ order: _order, ...row }) => row);
  return { rows, folded: goals.some((_, i) => n(`withheld_${i}`) > 0) };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Plausible's conversion_rate: a percentage with two decimals. */
export function goalMetric(m: GoalMetric, row: GoalRow): number {
  switch (m) {
    case 'visitors': return row.visitors;
    case 'events': return row.events;
    case 'conversion_rate': return row.total === 0 ? 0 : round2((row.visitors / row.total) * 100);
  }
}
