import { describe, expect, it } from 'vitest';
import { TokumeiError } from '@tokumei/errors';
import { parseQuery } from '../src/query/parse.js';
import { filterSql, parseFilters, patterns } from '../src/query/filters.js';

const NOW = Date.parse('2026-03-15T10:30:00Z');
const base = { site_id: 'example.com', metrics: ['visitors'], date_range: '7d' };
const parse = (body: Record<string, unknown>) => parseQuery({ ...base, ...body }, NOW);

/** The refusal's message; every one must be a 400 TKM_INVALID_QUERY. */
function refusal(body: unknown): string {
  try {
    parseQuery(body, NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(TokumeiError);
    expect((error as TokumeiError).code).toBe('TKM_INVALID_QUERY');
    expect((error as TokumeiError).statusCode).toBe(400);
    return (error as TokumeiError).message;
  }
  throw new Error('accepted');
}
const refused = (body: Record<string, unknown>) => refusal({ ...base, ...body });

describe('POST /api/v2/query: parsing', () => {
  it('reads a full query', () => {
    const q = parse({
      metrics: ['visitors', 'pageviews', 'bounce_rate'], dimensions: ['event:page', 'visit:country'],
      filters: [['is', 'visit:browser', ['Firefox']], ['not', ['contains', 'event:page', ['/admin'], { case_sensitive: false }]]],
      order_by: [['pageviews', 'asc']], pagination: { limit: 5, offset: 10 }, include: { total_rows: true },
    });
    expect(q).toMatchObject({ siteId: 'example.com', dimensions: ['event:page', 'visit:country'], limit: 5, offset: 10, totalRows: true, orderBy: [['pageviews', 'asc']] });
    expect(q.filters[1]).toEqual({ op: 'not', filter: { op: 'contains', property: 'event:page', values: ['/admin'], caseSensitive: false } });
  });

  it.each([
    ['day', '2026-03-15', '2026-03-16'],
    ['7d', '2026-03-09', '2026-03-16'],
    ['28d', '2026-02-16', '2026-03-16'],
    ['30d', '2026-02-14', '2026-03-16'],
    ['month', '2026-03-01', '2026-04-01'],
    ['6mo', '2025-10-01', '2026-04-01'],
    ['12mo', '2025-04-01', '2026-04-01'],
    ['year', '2026-01-01', '2027-01-01'],
  ])('date_range %s is %s to %s (UTC, end exclusive)', (shortcut, from, to) => {
    const { range } = parse({ date_range: shortcut });
    expect([range.from.toISOString().slice(0, 10), range.to.toISOString().slice(0, 10)]).toEqual([from, to]);
  });

  it('reads [from, to] as dates (to included) or datetimes, with a space as Plausible writes them', () => {
    expect(parse({ date_range: ['2026-03-01', '2026-03-02'] }).range).toEqual({ from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-03-03T00:00:00Z') });
    expect(parse({ date_range: ['2026-03-01 12:00:00', '2026-03-01T15:00:00Z'] }).range.from).toEqual(new Date('2026-03-01T12:00:00Z'));
    expect(parse({ date_range: 'all' })).toMatchObject({ all: true });
  });

  it.each([
    [{ metrics: undefined }, /^metrics: must be a non-empty list/],
    [{ metrics: [] }, /^metrics: must be a non-empty list/],
    [{ metrics: ['visitors', 'visitors'] }, /^metrics: 'visitors' is listed twice/],
    [{ metrics: ['sessions'] }, /^metrics: unknown metric 'sessions'/],
    [{ metrics: ['conversion_rate'] }, /^metrics: 'conversion_rate' needs the event:goal dimension or a filter on event:goal/],
    [{ metrics: ['group_conversion_rate'] }, /^metrics: 'group_conversion_rate' is not supported yet: ask conversion_rate/],
    [{ metrics: ['total_revenue'] }, /^metrics: 'total_revenue' is not supported yet: revenue is not collected/],
    [{ metrics: ['time_on_page'], dimensions: ['event:name'] }, /^metrics: engagement metric\(s\) time_on_page cannot be queried with the dimension event:name/],
    [{ metrics: ['scroll_depth'], filters: [['is', 'event:name', ['signup']]] }, /^metrics: engagement metric\(s\) scroll_depth cannot be queried with a filter on event:name/],
    [{ site_id: '' }, /^site_id:/],
    [{ site_id: 7 }, /^site_id:/],
    [{ date_range: undefined }, /^date_range: is required/],
    [{ date_range: 'forever' }, /^date_range: 'forever' is not one of/],
    [{ date_range: ['2026-03-01'] }, /^date_range: must be/],
    [{ date_range: ['2026-03-05', '2026-03-01'] }, /^date_range: from must be before to/],
    [{ date_range: ['2026-02-30', '2026-03-01'] }, /^date_range: from must be an ISO date/],
    [{ date_range: ['2020-01-01', '2026-03-01'] }, /^date_range: the range may span at most 800 days/],
    [{ date_range: ['2026-01-01', '2200-01-01'] }, /^date_range: to must lie between/],
    [{ dimensions: ['event:props:1plan'] }, /^dimensions\[0\]: event:props:<key> takes a key that is a plain identifier/],
    [{ dimensions: ['event:props:plan'], metrics: ['visit_duration'] }, /^metrics: session metric\(s\) visit_duration cannot be queried with the event dimension event:props:plan/],
    [{ dimensions: ['event:goal'], metrics: ['visits'] }, /^metrics: session metric\(s\) visits cannot be queried with the event dimension event:goal/],
    [{ dimensions: ['event:goal'], metrics: ['time_on_page'] }, /^metrics: engagement metric\(s\) time_on_page cannot be queried with the dimension event:goal/],
    [{ dimensions: ['visit:city'] }, /^dimensions\[0\]: visit:city is not supported yet/],
    [{ dimensions: ['visit:nope'] }, /^dimensions\[0\]: unknown dimension 'visit:nope'/],
    [{ dimensions: ['time:day', 'time:hour'] }, /^dimensions: at most one time dimension/],
    [{ dimensions: 'event:page' }, /^dimensions: must be a list/],
    [{ filters: {} }, /^filters: must be a list/],
    [{ filters: [['equals', 'event:page', ['/']]] }, /^filters\[0\]: operator 'equals' is unknown/],
    [{ filters: [['has_done', 'event:page', ['/']]] }, /^filters\[0\]: operator 'has_done' is not supported yet/],
    [{ filters: [['is', 'event:page', []]] }, /^filters\[0\]\[2\]: the values are a list of 1 to 100 strings/],
    [{ filters: [['is', 'event:page', [1]]] }, /^filters\[0\]\[2\]:/],
    [{ filters: [['is', 'event:props:a-b', ['pro']]] }, /^filters\[0\]\[1\]: event:props:<key> takes a key/],
    [{ filters: [['is', 'event:goal', 'Signup']] }, /^filters\[0\]\[2\]: the values are a list/],
    [{ filters: [['is', 'time:day', ['2026-01-01']]] }, /^filters\[0\]\[1\]: time dimensions cannot be filtered/],
    [{ filters: [['is', 'event:page', ['/'], { case: true }]] }, /^filters\[0\]\[3\]: the only modifier is case_sensitive/],
    [{ filters: [['and', []]] }, /^filters\[0\]: 'and' takes one non-empty list/],
    [{ filters: [['or', [['is', 'nope', ['x']]]]] }, /^filters\[0\]\[1\]\[0\]\[1\]: unknown dimension 'nope'/],
    [{ filters: [['not', ['not', ['not', ['not', ['not', ['is', 'event:page', ['/']]]]]]]] }, /^filters\[0\]\[1\]\[1\]\[1\]\[1\]\[1\]: filters nest at most 5 deep/],
    [{ filters: [['matches', 'event:page', ['a'.repeat(257)]]] }, /^filters\[0\]\[2\]: a pattern may be at most 256 characters/],
    [{ filters: [['is', 'event:page', ['a'.repeat(1001)]]] }, /^filters\[0\]\[2\]: a value may be at most 1000 characters/],
    [{ filters: Array.from({ length: 51 }, () => ['is', 'event:page', ['/']]) }, /^filters: at most 50 filters/],
    [{ order_by: [['pageviews', 'desc']] }, /^order_by\[0\]: 'pageviews' is not a queried metric or dimension/],
    [{ order_by: [['visitors', 'up']] }, /^order_by\[0\]: must be/],
    [{ order_by: 'visitors' }, /^order_by: must be a list/],
    [{ pagination: { limit: 0 } }, /^pagination.limit: must be an integer from 1 to 1000/],
    [{ pagination: { limit: 1001 } }, /^pagination.limit:/],
    [{ pagination: { offset: -1 } }, /^pagination.offset:/],
    [{ pagination: { page: 2 } }, /^pagination: unknown field 'page'/],
    [{ include: { total_rows: 'yes' } }, /^include.total_rows: must be true or false/],
    [{ include: { time_labels: true } }, /^include.time_labels: is not supported yet/],
    [{ include: { colours: true } }, /^include: unknown field 'colours'/],
    [{ metrics: ['views_per_visit'], dimensions: ['event:page'] }, /^metrics: 'views_per_visit' cannot be queried with dimensions/],
    [{ metrics: ['views_per_visit'], filters: [['is', 'event:page', ['/']]] }, /^metrics: 'views_per_visit' cannot be queried with a filter on event:page/],
    [{ metrics: ['bounce_rate'], dimensions: ['event:name'] }, /^metrics: session metric\(s\) bounce_rate cannot be queried with the event dimension event:name/],
    [{ extra: 1 }, /^unknown field 'extra'/],
  ])('refuses %j naming the field', (body, message) => {
    expect(refused(body)).toMatch(message);
  });

  it('never repeats a value that could be personal data', () => {
    expect(refusal({ ...base, metrics: ['https://example.com/?email=someone@example.com'] })).toBe('metrics: unknown metric (unnamed)');
    expect(refusal([])).toBe('the body must be a JSON object');
    expect(refused({ 'alice@example.com': 1 })).toBe('unknown field (unnamed)');
  });

  it('allows session metrics by page, as Plausible does', () => {
    expect(parse({ metrics: ['visits', 'bounce_rate'], dimensions: ['event:page'] }).metrics).toEqual(['visits', 'bounce_rate']);
  });
});

describe('filters to SQL', () => {
  it('passes every value as a parameter, never as SQL text', () => {
    const params: Record<string, unknown> = {};
    const filters = parseFilters([['or', [['is', 'event:page', ["/'; DROP TABLE events; --"]], ['matches_not', 'visit:country', ['^J'], { case_sensitive: false }]]]]);
    const sql = filterSql(filters, params);
    expect(sql).toBe('(has({f0:Array(String)}, toString(path)) OR (NOT (match(toString(v_country), {f1:String}))))');
    expect(params).toEqual({ f0: ["/'; DROP TABLE events; --"], f1: '(?i)^J' });
    expect(patterns(filters)).toEqual(['(?i)^J']);
  });

  it('lowers both sides for case-insensitive is and contains', () => {
    const params: Record<string, unknown> = {};
    expect(filterSql(parseFilters([['contains', 'event:hostname', ['Blog', 'Shop'], { case_sensitive: false }]]), params))
      .toBe('multiSearchAny(lowerUTF8(toString(host)), {f0:Array(String)})');
    expect(params.f0).toEqual(['blog', 'shop']);
  });
});
