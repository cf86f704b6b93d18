import type { Goal } from '@tokumei/config';
import { TokumeiError } from '@tokumei/errors';
import type { Filter } from './filters.js';
import { nameOf } from './spec.js';

/**
 * An `is` / `is_not` filter on event:goal names goals: a name the site does not have is a 400 naming its place in the
 * request (`filters[0][2][1]`, the paths parseFilters reports), as POST /api/v2/conversions always answered, rather
 * than an empty answer that looks like no conversions.
 */
export function checkGoalNames(filters: readonly Filter[], goals: readonly Goal[]): void {
  const known = new Set(goals.map((g) => g.name));
  const walk = (f: Filter, at: string): void => {
    if ('filters' in f) f.filters.forEach((child, i) => walk(child, `${at}[1][${i}]`));
    else if ('filter' in f) walk(f.filter, `${at}[1]`);
    else if (f.property === 'event:goal' && (f.op === 'is' || f.op === 'is_not')) {
      f.values.forEach((name, i) => {
        const found = f.caseSensitive ? known.has(name) : [...known].some((g) => g.toLowerCase() === name.toLowerCase());
        if (!found) throw new TokumeiError('TKM_INVALID_QUERY', `${at}[2][${i}]: ${nameOf(name)} is not a goal of the site (GET /api/sites/:site/goals lists them)`);
      });
    }
  };
  filters.forEach((f, i) => walk(f, `filters[${i}]`));
}
