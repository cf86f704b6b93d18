import type { VisitPushdown } from '../../packages/api/src/query/visit-pushdown.js';

/**
 * The events plan's SQL (sql.ts `eventsSql`) with visit-pushdown.ts's fragments put where sql.ts `rows()` will take
 * them once wired: the bench and the equivalence test compare both plans before that wiring exists. Text surgery on
 * known markers, each checked, so a change to rows() fails loudly here instead of measuring something else.
 */
const RANGE_WHERE = "WHERE site = {site:String} AND ts >= {from:DateTime('UTC')} AND ts < {to:DateTime('UTC')}";
const VISITS_END = /\s+GROUP BY day, salt_domain, session\s+HAVING s_views > 0\)/;
const USING = 'USING (day, salt_domain, session)';

function replaceOnce(sql: string, marker: string | RegExp, by: (found: string) => string): string {
  const re = typeof marker === 'string' ? new RegExp(marker.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g') : new RegExp(marker.source, 'g');
  const found = sql.match(re) ?? [];
  if (found.length !== 1) throw new Error(`pushdown-sql: expected one ${String(marker)} in the events plan, found ${found.length}`);
  return sql.replace(re, by);
}

export function withPushdown(sql: string, push: VisitPushdown): string {
  // The event rows subquery is the range WHERE not followed by the visit subquery's `AND session != 0`.
  const escaped = RANGE_WHERE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let out = replaceOnce(sql, new RegExp(`${escaped}(?! AND session != 0)`), (m) => `${m} AND ${push.events}`);
  if (!out.includes(USING)) return out; // no visit subquery: only the event rows' part applies
  out = replaceOnce(out, VISITS_END, () => ` AND ${push.visits}\n      GROUP BY day, salt_domain, session\n      HAVING s_views > 0 AND ${push.having})`);
  return replaceOnce(out, USING, (m) => `${m} WHERE ${push.joined}`);
}
