import { TokumeiError } from '@tokumei/errors';
import {
  PROPS_KEY_RULE, UNSUPPORTED_DIMENSIONS, isEventDimension, isGoalDimension, isPropsDimension, isVisitDimension, nameOf, propKey, propSql,
  visitColumn, EVENT_DIMENSIONS, type Property,
} from './spec.js';

export const MATCH_OPERATORS = ['is', 'is_not', 'contains', 'contains_not', 'matches', 'matches_not'] as const;
export type MatchOperator = (typeof MATCH_OPERATORS)[number];

export interface MatchFilter { readonly op: MatchOperator; readonly property: Property; readonly values: readonly string[]; readonly caseSensitive: boolean }
export type Filter = MatchFilter | { readonly op: 'and' | 'or'; readonly filters: readonly Filter[] } | { readonly op: 'not'; readonly filter: Filter };

/** Bounds on what one filter tree may ask of ClickHouse. RE2 (ClickHouse's match()) runs in linear time; these keep the input itself small. */
export const FILTER_LIMITS = { nodes: 50, depth: 5, values: 100, valueLength: 1000, patternLength: 256 } as const;

const invalid = (message: string) => new TokumeiError('TKM_INVALID_QUERY', message);

interface Budget { nodes: number }

function parseNode(raw: unknown, at: string, depth: number, budget: Budget): Filter {
  if (!Array.isArray(raw) || typeof raw[0] !== 'string') throw invalid(`${at}: a filter is an array [operator, dimension, [values]] or [and|or, [filters]] or [not, filter]`);
  budget.nodes += 1;
  if (budget.nodes > FILTER_LIMITS.nodes) throw invalid(`filters: at most ${FILTER_LIMITS.nodes} filters in all`);
  if (depth > FILTER_LIMITS.depth) throw invalid(`${at}: filters nest at most ${FILTER_LIMITS.depth} deep`);
  const op = raw[0];
  if (op === 'and' || op === 'or') {
    const list: unknown = raw[1];
    if (!Array.isArray(list) || list.length === 0 || raw.length !== 2) throw invalid(`${at}: '${op}' takes one non-empty list of filters`);
    return { op, filters: list.map((f, i) => parseNode(f, `${at}[1][${i}]`, depth + 1, budget)) };
  }
  if (op === 'not') {
    if (raw.length !== 2) throw invalid(`${at}: 'not' takes one filter`);
    return { op, filter: parseNode(raw[1], `${at}[1]`, depth + 1, budget) };
  }
  if (!(MATCH_OPERATORS as readonly string[]).includes(op)) {
    const known = op === 'has_done' || op === 'has_not_done' || op.startsWith('matches_wildcard');
    throw invalid(`${at}: operator ${nameOf(op)} ${known ? 'is not supported yet' : 'is unknown'}; use is, is_not, contains, contains_not, matches, matches_not, and, or, not`);
  }
  const matchOp = op as MatchOperator;
  const property = parseProperty(raw[1], `${at}[1]`);
  const values: unknown = raw[2];
  if (!Array.isArray(values) || values.length === 0 || values.length > FILTER_LIMITS.values || !values.every((v) => typeof v === 'string')) {
    throw invalid(`${at}[2]: the values are a list of 1 to ${FILTER_LIMITS.values} strings`);
  }
  const strings = values;
  const longest = matchOp.startsWith('matches') ? FILTER_LIMITS.patternLength : FILTER_LIMITS.valueLength;
  if (strings.some((v) => v.length > longest)) {
    throw invalid(`${at}[2]: ${matchOp.startsWith('matches') ? 'a pattern' : 'a value'} may be at most ${longest} characters`);
  }
  if (raw.length > 4) throw invalid(`${at}: too many elements`);
  let caseSensitive = true;
  if (raw.length === 4) {
    const modifiers: unknown = raw[3];
    if (typeof modifiers !== 'object' || modifiers === null || Array.isArray(modifiers)) throw invalid(`${at}[3]: modifiers are an object`);
    for (const [key, value] of Object.entries(modifiers)) {
      if (key !== 'case_sensitive' || typeof value !== 'boolean') throw invalid(`${at}[3]: the only modifier is case_sensitive (boolean), not ${nameOf(key)}`);
      caseSensitive = value;
    }
  }
  return { op: matchOp, property, values: strings, caseSensitive };
}

function parseProperty(raw: unknown, at: string): Property {
  if (typeof raw !== 'string') throw invalid(`${at}: the dimension is a string`);
  if (isEventDimension(raw) || isVisitDimension(raw) || isPropsDimension(raw) || isGoalDimension(raw)) return raw;
  if (raw.startsWith('event:props:')) throw invalid(`${at}: ${PROPS_KEY_RULE}`);
  const why = UNSUPPORTED_DIMENSIONS[raw];
  if (why !== undefined) throw invalid(`${at}: ${raw} is not supported yet: ${why}`);
  if (raw.startsWith('time')) throw invalid(`${at}: time dimensions cannot be filtered; use date_range`);
  throw invalid(`${at}: unknown dimension ${nameOf(raw)}`);
}

/** `filters` of a query: a list joined by AND, as in Plausible. */
export function parseFilters(raw: unknown): Filter[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw invalid('filters: must be a list of filters');
  const budget = { nodes: 0 };
  return raw.map((f, i) => parseNode(f, `filters[${i}]`, 1, budget));
}

/** Every `matches` pattern in the tree, to be compiled by ClickHouse's RE2 before the query runs. */
export function patterns(filters: readonly Filter[]): string[] {
  const out: string[] = [];
  const walk = (f: Filter): void => {
    if ('filters' in f) f.filters.forEach(walk);
    else if ('filter' in f) walk(f.filter);
    else if (f.op === 'matches' || f.op === 'matches_not') out.push(...f.values.map((v) => (f.caseSensitive ? v : `(?i)${v}`)));
  };
  filters.forEach(walk);
  return [...new Set(out)];
}

/** Properties the tree tests (to know which visit columns the rows need). */
export function properties(filters: readonly Filter[]): Set<Property> {
  const out = new Set<Property>();
  const walk = (f: Filter): void => {
    if ('filters' in f) f.filters.forEach(walk);
    else if ('filter' in f) walk(f.filter);
    else out.add(f.property);
  };
  filters.forEach(walk);
  return out;
}

type Param = (value: unknown, type: string) => string;

/**
 * The column a property is read from in the joined rows; a custom property's key goes through `param`. `goal` is the
 * joined goal name when event:goal is a dimension (sql.ts); as a filter only, a row's goals are the `goals` array.
 */
export function column(property: Exclude<Property, 'event:goal'>, param: Param): string {
  if (isPropsDimension(property)) return propSql(param(propKey(property), 'String'));
  return isEventDimension(property) ? EVENT_DIMENSIONS[property] : visitColumn(property);
}

const POSITIVE = { is: 'is', is_not: 'is', contains: 'contains', contains_not: 'contains', matches: 'matches', matches_not: 'matches' } as const;

export interface FilterSqlOptions {
  /** Parameter names are `<prefix>N`, so two trees in one query keep apart. */
  readonly prefix?: string;
  /** event:goal is a dimension: each row is one completed goal, in the column `goal`. */
  readonly goalJoined?: boolean;
}

/**
 * SQL for a filter tree. Every value is a query parameter (`{fN:String}`), so input never becomes SQL text; names
 * come from the fixed maps in spec.ts. `params` receives the values. A filter on event:goal without the goal
 * dimension tests the row's completed goals: `is` = completes one of them, `is_not` = completes none of them.
 */
export function filterSql(filters: readonly Filter[], params: Record<string, unknown>, options: FilterSqlOptions = {}): string {
  let n = 0;
  const prefix = options.prefix ?? 'f';
  const param: Param = (value, type) => {
    const name = `${prefix}${n++}`;
    params[name] = value;
    return `{${name}:${type}}`;
  };
  const match = (f: MatchFilter, col: string): string => {
    const lower = (s: string) => (f.caseSensitive ? s : `lowerUTF8(${s})`);
    const values = f.caseSensitive ? f.values : f.values.map((v) => v.toLowerCase());
    switch (f.op) {
      case 'is': return `has(${param(values, 'Array(String)')}, ${lower(col)})`;
      case 'is_not': return `(NOT has(${param(values, 'Array(String)')}, ${lower(col)}))`;
      case 'contains': return `multiSearchAny(${lower(col)}, ${param(values, 'Array(String)')})`;
      case 'contains_not': return `(NOT multiSearchAny(${lower(col)}, ${param(values, 'Array(String)')}))`;
      case 'matches':
      case 'matches_not': {
        const any = `(${patternsOf(f).map((p) => `match(${col}, ${param(p, 'String')})`).join(' OR ')})`;
        return f.op === 'matches' ? any : `(NOT ${any})`;
      }
    }
  };
  const node = (f: Filter): string => {
    if ('filters' in f) return `(${f.filters.map(node).join(f.op === 'and' ? ' AND ' : ' OR ')})`;
    if ('filter' in f) return `(NOT ${node(f.filter)})`;
    if (f.property !== 'event:goal') return match(f, `toString(${column(f.property, param)})`);
    if (options.goalJoined === true) return match(f, 'goal');
    const op = POSITIVE[f.op];
    const any = `arrayExists(g -> ${match({ ...f, op }, 'g')}, goals)`;
    return op === f.op ? any : `(NOT ${any})`;
  };
  return filters.length === 0 ? '1' : filters.map(node).join(' AND ');
}

const patternsOf = (f: { values: readonly string[]; caseSensitive: boolean }) => f.values.map((v) => (f.caseSensitive ? v : `(?i)${v}`));
