import type { Goal } from '@tokumei/config';

/**
 * A page goal's pattern as an RE2 expression, with Plausible's wildcards: `*` is any run of characters inside one
 * path segment, `**` any run across segments; everything else is literal and the whole path must match.
 */
export function pageRegex(pattern: string): string {
  const literal = pattern.replace(/[\\^$.|?+()[\]{}]/g, '\\$&');
  return `^${literal.replace(/\*\*|\*/g, (star) => (star === '**' ? '.*' : '[^/]*'))}$`;
}

/**
 * SQL that is true for an `events` row completing goal `i`. Patterns and names are query parameters (`gv<i>`), so a
 * goal never becomes SQL text; `prefix` keeps two lists of goals in one query apart.
 */
export function goalCondition(goal: Goal, i: number, params: Record<string, unknown>, prefix = 'g'): string {
  if (goal.kind === 'page') {
    params[`${prefix}v${i}`] = pageRegex(goal.path);
    return `(event = 'pageview' AND match(path, {${prefix}v${i}:String}))`;
  }
  params[`${prefix}v${i}`] = goal.event;
  return `(event = {${prefix}v${i}:String})`;
}

/**
 * The display names of the goals an `events` row completes, as an `Array(String)`: what `ARRAY JOIN` turns into the
 * `event:goal` dimension (a row can complete several goals, as in Plausible).
 */
export function goalsCompletedSql(goals: readonly Goal[], params: Record<string, unknown>, prefix = 'g'): string {
  if (goals.length === 0) return 'CAST([], \'Array(String)\')';
  const items = goals.map((g, i) => {
    params[`${prefix}n${i}`] = g.name;
    return `if(${goalCondition(g, i, params, prefix)}, {${prefix}n${i}:String}, '')`;
  });
  return `arrayFilter(x -> x != '', [${items.join(', ')}])`;
}
