import { describe, expect, it } from 'vitest';
import { parseGoals } from '@tokumei/config';
import { parseQuery } from '../src/query/parse.js';
import { eventsSql, type ResolvedDimension } from '../src/query/sql.js';

// The new v2 names (event:goal, event:props:<key>, the engagement metrics) reach SQL only as fixed expressions, with
// every value from the request or the goal list as a query parameter.

const NOW = Date.parse('2026-03-15T10:30:00Z');
const goals = parseGoals([{ page_path: "/a'b/**", display_name: "Quote's" }, { event_name: "sign'up" }]);

function sql(body: Record<string, unknown>): { text: string; params: Record<string, unknown> } {
  const q = parseQuery({ site_id: 'example.com', date_range: '7d', ...body }, NOW);
  const params: Record<string, unknown> = {};
  const text = eventsSql({
    metrics: q.metrics, dimensions: q.dimensions as ResolvedDimension[], filters: q.filters, orderBy: [], limit: q.limit, offset: q.offset, goals,
  }, params);
  return { text, params };
}

describe('v2 SQL for goals, properties and engagement', () => {
  it('passes goal names, patterns, filter values and property keys as parameters only', () => {
    const { text, params } = sql({
      metrics: ['visitors', 'conversion_rate'], dimensions: ['event:goal', 'event:props:plan'],
      filters: [['is', 'event:goal', ["Quote's"]], ['contains', 'event:props:note', ["x' OR 1=1 --"]]],
    });
    for (const value of ["Quote's", "sign'up", "x' OR 1=1 --", "a'b"]) expect(text).not.toContain(value);
    expect(text).not.toMatch(/'plan'|'note'/);
    expect(Object.values(params)).toEqual(expect.arrayContaining(["Quote's", "sign'up", 'plan', 'note', ["x' OR 1=1 --"]]));
    expect(text).toContain('ARRAY JOIN');
    // The conversion rate's denominator drops the goal and property filters (Plausible's rule): its own prefix, no goal test.
    const totals = text.slice(text.indexOf("!= 'engagement') AS total\n"), text.indexOf('AS t USING'));
    expect(totals).toContain('GROUP BY day, salt_domain');
    expect(totals).not.toMatch(/\{f\d|arrayExists|ARRAY JOIN/);
  });

  it('tests the completed goals of each row when event:goal is only a filter', () => {
    const { text } = sql({ metrics: ['visitors'], filters: [['is_not', 'event:goal', ["Quote's"]]] });
    expect(text).toContain('NOT arrayExists(g ->');
    expect(text).not.toContain('ARRAY JOIN');
  });

  it('reads engagement beacons only for the engagement metrics', () => {
    const dropped = "ts < {to:DateTime('UTC')} AND event != 'engagement'";
    expect(sql({ metrics: ['visitors'], dimensions: ['event:page'] }).text).toContain(dropped);
    const engaged = sql({ metrics: ['time_on_page', 'scroll_depth'], dimensions: ['event:page'] }).text;
    expect(engaged).toContain('maxMapIf');
    expect(engaged).not.toContain(dropped);
  });
});
