import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';

/**
 * Characters no beacon string may hold: C0 controls (NUL included), DEL and C1 controls. They have no business in a
 * URL, a site name or a session id, and NUL in particular breaks tools downstream of ClickHouse.
 */
const CONTROLS = '\\u0000-\\u001f\\u007f-\\u009f';
const NO_CONTROLS = `^[^${CONTROLS}]*$`;

/**
 * Custom properties: at most 30, each key a plain identifier (an ASCII letter, then letters, digits or `_`, ≤ 40),
 * each value a string of at most 200 UTF-16 code units without control characters. A key is sender data too; the
 * identifier rule leaves no room for an address or a name in it. Which keys are stored is the site's allow-list.
 */
export const PROP_KEY = '^[A-Za-z][A-Za-z0-9_]{0,39}$';
export const MAX_PROPS = 30;
export const MAX_PROP_VALUE = 200;
/** Engagement: time the page was visible, capped at 30 minutes a beacon (a longer stay sends several). */
export const MAX_ENGAGED_MS = 30 * 60 * 1000;
/** The event name of an engagement beacon: it carries `em` and `sd` and is never a page view. */
export const ENGAGEMENT_EVENT = 'engagement';
/**
 * A single-page visit with at least this much engaged time is not a bounce. Plausible leaves engagement out of the
 * bounce rule (only a second page view or an interactive event counts); the 10 s is GA4's "engaged session".
 */
export const ENGAGED_VISIT_MS = 10_000;

const PropsSchema = Type.Record(
  Type.String({ pattern: PROP_KEY }),
  Type.String({ maxLength: MAX_PROP_VALUE, pattern: NO_CONTROLS }),
  { maxProperties: MAX_PROPS, additionalProperties: false },
);

/**
 * What a website sends to `POST /collect`. Limits keep one beacon small enough to never dominate a batch, and each is
 * at most the raw record's limit for the same field (raw-record.ts), so the worker never refuses what ingest
 * accepted. Lengths are UTF-16 code units (`String.length`), counted by the same TypeBox checks as the worker's.
 */
export const BeaconSchema = Type.Object(
  {
    site: Type.String({ minLength: 1, maxLength: 100, pattern: `^[^\\s${CONTROLS}]+$` }),
    url: Type.String({ minLength: 1, maxLength: 2048, pattern: `^https?://[^${CONTROLS}]*$` }),
    referrer: Type.Optional(Type.String({ maxLength: 2048, pattern: NO_CONTROLS })),
    sid: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: NO_CONTROLS })),
    event: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' })),
    w: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
    lang: Type.Optional(Type.String({ maxLength: 35, pattern: '^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$' })),
    props: Type.Optional(PropsSchema),
    /** Engaged (visible) time in ms: engagement beacons only. */
    em: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_ENGAGED_MS })),
    /** Maximum scroll depth in %: engagement beacons only. */
    sd: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  },
  { additionalProperties: false },
);

export type Beacon = Static<typeof BeaconSchema>;

export const DEFAULT_EVENT = 'pageview';

export type BeaconCheck = { ok: true; beacon: Beacon } | { ok: false; message: string };

const check = TypeCompiler.Compile(BeaconSchema);

/** What a pattern means, said to the sender instead of the regular expression. */
const PATTERN_RULES: Record<string, string> = {
  site: 'must not contain spaces or control characters',
  url: 'must start with http:// or https:// and contain no control characters',
  referrer: 'must not contain control characters',
  sid: 'must not contain control characters',
  event: 'must be letters, digits or _ . : -',
  lang: 'must be a language tag such as en-GB',
};

/** Unknown keys are named only when they look like a field name: a key is sender data too, and could be anything. */
const NAMEABLE_KEY = /^[A-Za-z0-9_.-]{1,32}$/;
const MAX_NAMED_KEYS = 5;

/** A lone surrogate passes JSON.parse (`"\ud800"`) but is no text: refused rather than stored as garbage. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function fieldOf(error: ValueError): string {
  return error.path.split('/')[1] ?? '';
}

function problem(error: ValueError): string {
  const schema = error.schema as { minLength?: number; maxLength?: number; minimum?: number; maximum?: number };
  if (fieldOf(error) === 'props') return propsProblem(error, schema.maxLength);
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty: return 'is required';
    case ValueErrorType.String: return 'must be a string';
    case ValueErrorType.Integer: return 'must be an integer';
    case ValueErrorType.StringMinLength: return schema.minLength === 1 ? 'must not be empty' : `must be at least ${String(schema.minLength)} characters`;
    case ValueErrorType.StringMaxLength: return `must be at most ${String(schema.maxLength)} characters (UTF-16 code units)`;
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.IntegerMaximum: return `must be between ${String(schema.minimum)} and ${String(schema.maximum)}`;
    case ValueErrorType.StringPattern: return PATTERN_RULES[fieldOf(error)] ?? 'has an invalid format';
    default: return 'is invalid';
  }
}

/** A props error names the rule, never the key or value (either could be personal data). */
function propsProblem(error: ValueError, maxLength: number | undefined): string {
  if (error.type === ValueErrorType.ObjectAdditionalProperties) return 'keys must be identifiers: a letter, then letters, digits or _, at most 40';
  if (error.path === '/props') {
    if (error.type === ValueErrorType.ObjectMaxProperties) return `must have at most ${String(MAX_PROPS)} keys`;
    return 'must be an object of string values';
  }
  if (error.type === ValueErrorType.String) return 'values must be strings';
  if (error.type === ValueErrorType.StringMaxLength) return `values must be at most ${String(maxLength)} characters (UTF-16 code units)`;
  if (error.type === ValueErrorType.StringPattern) return 'values must not contain control characters';
  return 'has an invalid value';
}

function unknownKeys(value: object): string {
  const known = new Set(Object.keys(BeaconSchema.properties));
  const extra = Object.keys(value).filter((key) => !known.has(key));
  const named = extra.filter((key) => NAMEABLE_KEY.test(key)).slice(0, MAX_NAMED_KEYS);
  const others = extra.length - named.length;
  const list = [...named.map((key) => JSON.stringify(key)), ...(others > 0 ? [`${String(others)} other${others > 1 ? 's' : ''}`] : [])];
  return `body: unknown field${extra.length > 1 ? 's' : ''} ${list.join(', ')}`;
}

/**
 * Checks a parsed beacon exactly: no coercion, no stripping of unknown keys, no unwrapping of arrays. The message
 * names the field and the rule, never the value (which could be a URL with personal data). Also parses the URL the
 * way the worker will, so a beacon whose URL the worker could not read is refused here, not dropped there.
 */
export function checkBeacon(value: unknown): BeaconCheck {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, message: 'body: must be a JSON object' };
  if (!check.Check(value)) {
    const first = check.Errors(value).First();
    if (first === undefined) return { ok: false, message: 'body: is invalid' };
    if (first.type === ValueErrorType.ObjectAdditionalProperties && fieldOf(first) !== 'props') return { ok: false, message: unknownKeys(value) };
    return { ok: false, message: `body ${fieldOf(first) || '(body)'}: ${problem(first)}` };
  }
  for (const field of ['site', 'url', 'referrer', 'sid'] as const) {
    const text = value[field];
    if (text !== undefined && LONE_SURROGATE.test(text)) return { ok: false, message: `body ${field}: must be well-formed Unicode` };
  }
  if (value.props !== undefined && Object.values(value.props).some((text) => LONE_SURROGATE.test(text))) {
    return { ok: false, message: 'body props: values must be well-formed Unicode' };
  }
  const engagement = (value.event ?? DEFAULT_EVENT) === ENGAGEMENT_EVENT;
  if (engagement && value.em === undefined) return { ok: false, message: 'body em: is required for an engagement event' };
  for (const field of ['em', 'sd'] as const) {
    if (!engagement && value[field] !== undefined) return { ok: false, message: `body ${field}: only an engagement event carries it` };
  }
  if (!URL.canParse(value.url)) return { ok: false, message: 'body url: must be an absolute http(s) URL' };
  return { ok: true, beacon: value };
}
