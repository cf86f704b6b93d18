import type { Goal } from '@tokumei/config';
import type { StatsDb } from '../query-limits.js';
import { goalCondition } from './match.js';
import { EVENTS_IN_RANGE } from './window.js';

export const FUNNEL_STEPS = { min: 2, max: 8 } as const;
/** A session hash is made with one UTC day's salt, so no session is longer than a day: the whole session is the window. */
const SESSION_WINDOW_S = 86_400;

export interface FunnelStep {
  readonly label: string;
  /** null: fewer than k visitors reached this step in every cell, so the number is withheld. */
  readonly visitors: number | null;
  readonly suppressed: boolean;
  /** Visitors of the previous step who did not reach this one (0 for the first step); null when either is withheld. */
  readonly dropoff: number | null;
  readonly dropoff_percentage: number | null;
  /** Share of the first step's visitors who reached this step, in %. */
  readonly conversion_rate: number | null;
  /** Share of the previous step's visitors who reached this step, in %. */
  readonly conversion_rate_step: number | null;
}

/**
 * Per (day, salt_domain) cell, how many distinct visitors had a session that completed steps 1..i in order:
 * `windowFunnel` over each session's events in time order gives the furthest step reached (a later step before an
 * earlier one does not count); `where` keeps the rows of the selected visits (filters.ts). A step's count in a cell is used only when it is at least k; the sums over cells are
 * then monotone (a cell named for step i+1 is named for step i), and a step no cell names is withheld, not zero.
 */
export function funnelSql(steps: readonly Goal[], params: Record<string, unknown>, where = '1'): string {
  const conditions = steps.map((g, i) => goalCondition(g, i, params, 'f'));
  const perCell = steps.map((_, i) => `uniqExactIf(who, level >= ${i + 1}) AS s${i}`).join(', ');
  const sums = steps.map((_, i) => `toUInt64(sumIf(s${i}, s${i} >= {k:UInt64})) AS v${i}, toUInt64(countIf(s${i} > 0 AND s${i} < {k:UInt64})) AS w${i}`).join(', ');
  return `
    SELECT ${sums}
    FROM (
      SELECT day, salt_domain, ${perCell}
      FROM (
        SELECT toDate(ts) AS day, salt_domain, session, any(visitor) AS who,
               windowFunnel(${SESSION_WINDOW_S})(ts, ${conditions.join(', ')}) AS level
        FROM events
        WHERE ${EVENTS_IN_RANGE} AND session != 0 AND visitor != 0 AND (${where})
        GROUP BY day, salt_domain, session)
      GROUP BY day, salt_domain)`;
}

const percent = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 10_000) / 100);

/** The steps' numbers from the per-step sums; a withheld step withholds every number derived from it. */
export function funnelSteps(steps: readonly Goal[], reached: readonly (number | null)[]): FunnelStep[] {
  const first = reached[0] ?? null;
  return steps.map((g, i) => {
    const visitors = reached[i] ?? null;
    const previous = i === 0 ? visitors : (reached[i - 1] ?? null);
    const known = visitors !== null && previous !== null;
    return {
      label: g.name, visitors, suppressed: visitors === null,
      dropoff: known ? previous - visitors : null,
      dropoff_percentage: known ? percent(previous - visitors, previous) : null,
      conversion_rate: visitors !== null && first !== null ? percent(visitors, first) : null,
      conversion_rate_step: known ? percent(visitors, previous) : null,
    };
  });
}

export interface FunnelAnswer { readonly steps: FunnelStep[]; readonly folded: boolean }

export async function funnel(
  db: StatsDb, site: string, steps: readonly Goal[], window: { from: string; to: string }, k: number,
  where: (params: Record<string, unknown>) => string = () => '1',
): Promise<FunnelAnswer> {
  const params: Record<string, unknown> = { site, ...window, k };
  const [row] = await db.rows<Record<string, string>>(funnelSql(steps, params, where(params)), params);
  let folded = false;
  const reached = steps.map((_, i) => {
    const named = Number(row?.[`v${i}`] ?? 0);
    const withheld = Number(row?.[`w${i}`] ?? 0);
    if (withheld > 0) folded = true;
    // A step with no visitors at all is a true 0; one whose only visitors sat in cells below k is withheld.
    return named === 0 && withheld > 0 ? null : named;
  });
  // Monotone: after a withheld step, every later step is withheld too (its visitors are a subset).
  for (let i = 1; i < reached.length; i += 1) if (reached[i - 1] === null) reached[i] = null;
  return { steps: funnelSteps(steps, reached), folded };
}
