import { Type, type TSchema } from '@sinclair/typebox';
import { GOAL_LIMITS } from '@tokumei/config';
import { PROP_KEY } from '@tokumei/schema';
import { GOAL_METRICS } from './goals/conversions.js';
import { FUNNEL_STEPS } from './goals/funnel.js';
import { FILTER_LIMITS, MATCH_OPERATORS } from './query/filters.js';
import { PAGINATION } from './query/parse.js';
import { EVENT_DIMENSIONS, METRICS, TIME_DIMENSIONS, UNSUPPORTED_METRICS, VISIT_DIMENSIONS } from './query/spec.js';

/**
 * Schemas of the routes whose bodies are read by hand (the v2 query, conversions, funnels, goals): each refusal there
 * names its field the way Plausible's does, which ajv's first error would not. So these schemas document the routes
 * (they are what `/api/openapi.json` shows) and never validate or serialize: a route that uses one also spreads
 * DOCUMENTATION_ONLY into its options. The names come from query/spec.ts, so the document follows the vocabulary.
 */
export const DOCUMENTATION_ONLY = {
  validatorCompiler: () => () => true,
  serializerCompiler: () => (data: unknown) => JSON.stringify(data),
} as const;

/** A plain `enum` (a union of literals would be one `anyOf` branch per name in the document). */
const literals = (names: readonly string[], description: string) => Type.Unsafe<string>({ type: 'string', enum: [...names], description });
/** A pair as a plain array: TypeBox's tuples are draft-07 `items: [...]`, which OpenAPI 3.1 (2020-12) reads differently. */
const pair = (item: TSchema, description: string) => Type.Array(item, { minItems: 2, maxItems: 2, description });

const SiteId = Type.String({ minLength: 1, maxLength: 100, description: 'the site (the beacon domain), e.g. example.com' });
const DateRange = Type.Union([
  literals(['day', '7d', '28d', '30d', '91d', 'month', '6mo', '12mo', 'year', 'all'],
    'Nd: N UTC days ending today; month, 6mo, 12mo, year: UTC calendar periods holding today; all: clamped to what is retained'),
  pair(Type.String({ maxLength: 40 }), '[from, to]: ISO dates (to included) or datetimes'),
]);
const Dimension = Type.Unsafe<string>({
  anyOf: [
    { type: 'string', enum: ['event:goal', ...Object.keys(EVENT_DIMENSIONS), ...Object.keys(VISIT_DIMENSIONS), ...TIME_DIMENSIONS] },
    { type: 'string', pattern: `^event:props:${PROP_KEY.slice(1)}`, description: 'a custom property; the key a plain identifier' },
  ],
  description: 'at most one time dimension; event:goal: one row per completed goal (the site\'s goals); event:props:<key>: "(none)" without it',
});
const Filter = Type.Array(Type.Unknown(), {
  description: `[op, dimension, [values], {"case_sensitive": boolean}?] with op one of ${MATCH_OPERATORS.join(', ')} (matches: RE2); `
    + `or ["and" | "or", [filter, …]], or ["not", filter]. At most ${FILTER_LIMITS.nodes} nodes, ${FILTER_LIMITS.depth} deep, `
    + `${FILTER_LIMITS.values} values of at most ${FILTER_LIMITS.valueLength} characters (patterns ${FILTER_LIMITS.patternLength})`,
});
const Filters = Type.Array(Filter, { description: 'joined by AND' });
const Meta = Type.Object({
  source: Type.Optional(literals(['rollups', 'events'], 'where the answer was read')),
  min_visitors: Type.Optional(Type.Integer({ description: 'k (TOKUMEI_MIN_VISITORS)' })),
  folded: Type.Optional(Type.Boolean({ description: 'some cell was withheld for k-anonymity' })),
  other: Type.Optional(Type.Unknown({ description: 'the withheld rows summed, as {metrics, dimensions: ["(other)", …]}, when that is safe' })),
  total_rows: Type.Optional(Type.Integer()),
  warnings: Type.Optional(Type.Array(Type.String(), { description: 'e.g. the range reaches beyond events retention' })),
}, { additionalProperties: true });
const Echo = Type.Object({}, { additionalProperties: true, description: 'the query as answered (date_range resolved to datetimes)' });
const Row = Type.Object({
  metrics: Type.Array(Type.Union([Type.Number(), Type.Null()]), { description: 'in the order asked; null when the filtered set is below k' }),
  dimensions: Type.Array(Type.String(), { description: 'in the order asked' }),
});

export const QueryRequest = Type.Object({
  site_id: SiteId,
  metrics: Type.Array(literals(METRICS,
    `conversion_rate needs event:goal (dimension or filter); not yet: ${Object.keys(UNSUPPORTED_METRICS).join(', ')} (400 with the reason)`), { minItems: 1 }),
  date_range: DateRange,
  dimensions: Type.Optional(Type.Array(Dimension, { maxItems: 4 })),
  filters: Type.Optional(Filters),
  order_by: Type.Optional(Type.Array(pair(Type.String(), '[metric or dimension, "asc" | "desc"]'), {
    description: 'queried metrics or dimensions; default: the time dimension ascending, else the first metric descending',
  })),
  pagination: Type.Optional(Type.Object({
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: PAGINATION.maxLimit, default: PAGINATION.defaultLimit })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: PAGINATION.maxOffset, default: 0 })),
  }, { additionalProperties: false })),
  include: Type.Optional(Type.Object({
    total_rows: Type.Optional(Type.Boolean()),
    imports: Type.Optional(Type.Boolean({ description: 'accepted, changes nothing' })),
  }, { additionalProperties: false })),
}, { additionalProperties: false, $id: 'QueryRequest' });

export const QueryResponse = Type.Object({ results: Type.Array(Row), meta: Meta, query: Echo }, { $id: 'QueryResponse' });

export const ConversionsRequest = Type.Object({
  site_id: SiteId,
  date_range: DateRange,
  metrics: Type.Array(literals(GOAL_METRICS, 'per goal'), { minItems: 1 }),
  dimensions: Type.Array(literals(['event:goal'], 'the one dimension'), { minItems: 1, maxItems: 1 }),
  filters: Type.Optional(Type.Array(Filter, { maxItems: 20, description: '["is", "event:goal", [goal names]] and visit:* filters only' })),
}, { additionalProperties: false, $id: 'ConversionsRequest' });

export const FunnelRequest = Type.Object({
  site_id: SiteId,
  date_range: DateRange,
  steps: Type.Array(Type.String({ description: 'a goal display name' }), { minItems: FUNNEL_STEPS.min, maxItems: FUNNEL_STEPS.max }),
  filters: Type.Optional(Type.Array(Filter, { maxItems: 20, description: 'visit:* filters only' })),
}, { additionalProperties: false, $id: 'FunnelRequest' });

const Rate = Type.Union([Type.Number(), Type.Null()]);
export const FunnelResponse = Type.Object({
  steps: Type.Array(Type.Object({
    label: Type.String(),
    visitors: Type.Union([Type.Integer(), Type.Null()], { description: 'null when no cell of k visitors reached the step' }),
    suppressed: Type.Boolean(),
    dropoff: Rate, dropoff_percentage: Rate, conversion_rate: Rate, conversion_rate_step: Rate,
  })),
  meta: Meta,
  query: Echo,
}, { $id: 'FunnelResponse' });

const display = Type.Optional(Type.String({ minLength: 1, maxLength: GOAL_LIMITS.nameLength }));
export const Goal = Type.Union([
  Type.Object({
    goal_type: Type.Optional(literals(['page'], 'always in answers')),
    page_path: Type.String({ pattern: '^/', maxLength: GOAL_LIMITS.pathLength, description: '* within a segment, ** across' }),
    display_name: display,
  }, { additionalProperties: false }),
  Type.Object({
    goal_type: Type.Optional(literals(['event'], 'always in answers')),
    event_name: Type.String({ minLength: 1, maxLength: GOAL_LIMITS.eventLength }),
    display_name: display,
  }, { additionalProperties: false }),
], { $id: 'Goal', description: 'display_name defaults to the event name, or "Visit <path>"; unique per site' });
const GoalRef = Type.Ref('Goal');
export const GoalsBody = Type.Object({ goals: Type.Array(GoalRef, { maxItems: GOAL_LIMITS.goals }) }, { additionalProperties: false, $id: 'GoalsBody' });
export const GoalsResponse = Type.Object({
  site: Type.String(),
  source: literals(['config', 'api', 'none'], 'config: the TOKUMEI_GOALS seed; api: stored by a PUT'),
  goals: Type.Array(GoalRef),
}, { $id: 'GoalsResponse' });
export const SiteParams = Type.Object({ site: Type.String({ pattern: '^[A-Za-z0-9.:-]{1,100}$' }) });

export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String({ description: 'a TKM_* code' }), message: Type.String({ description: 'names the field at fault' }) }),
}, { $id: 'Error' });

/** Shared shapes, listed once under components.schemas. */
export const COMPONENTS: readonly TSchema[] = [QueryRequest, QueryResponse, ConversionsRequest, FunnelRequest, FunnelResponse, Goal, GoalsBody, GoalsResponse, ErrorBody];

const ref = (schema: TSchema, description?: string) => Type.Ref(schema, description === undefined ? {} : { description });
const refusals = {
  400: ref(ErrorBody, 'TKM_INVALID_QUERY: the message names the field'),
  401: ref(ErrorBody, 'TKM_UNAUTHORIZED: the bearer token is missing or wrong'),
  503: ref(ErrorBody, 'TKM_QUERY_LIMIT or TKM_STORE_UNAVAILABLE, with Retry-After'),
};
const doc = (tag: string, summary: string, description: string, schema: Record<string, unknown>) => ({
  schema: { tags: [tag], summary, description, ...schema }, ...DOCUMENTATION_ONLY,
});

/** Route options of the hand-validated routes: their documentation, and nothing that changes how they answer. */
export const ROUTE_DOCS = {
  query: doc('stats v2', 'Plausible Stats API v2 query', 'Metrics by dimensions over a date range, filtered; k-anonymous per salt domain. '
    + 'event:goal and conversion_rate answer what POST /api/v2/conversions answers. See docs/stats-api.md.',
  { body: ref(QueryRequest), response: { 200: ref(QueryResponse), ...refusals } }),
  conversions: doc('goals', 'Visitors, completions and conversion rate per goal', 'Read from events within events retention; visit:* filters select whole visits.',
    { body: ref(ConversionsRequest), response: { 200: ref(QueryResponse), ...refusals } }),
  funnel: doc('goals', 'A funnel of 2 to 8 goals in order within a session', 'Each step\'s visitors and drop-off; a step below k is suppressed (null).',
    { body: ref(FunnelRequest), response: { 200: ref(FunnelResponse), ...refusals } }),
  getGoals: doc('goals', 'A site\'s goals and where they come from', 'The TOKUMEI_GOALS seed until a PUT stores a list.',
    { params: SiteParams, response: { 200: ref(GoalsResponse), ...refusals } }),
  putGoals: doc('goals', 'Replace a site\'s goals', 'Stores the whole list (an empty list clears it); replaces the seed for this site.',
    { params: SiteParams, body: ref(GoalsBody), response: { 200: ref(GoalsResponse), ...refusals } }),
};
