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
    if (first.type === ValueErrorType.ObjectAdditionalProperties) return { ok: false, message: unknownKeys(value) };
    return { ok: false, message: `body ${fieldOf(first) || '(body)'}: ${problem(first)}` };
  }
  for (const field of ['site', 'url', 'referrer', 'sid'] as const) {
    const text = value[field];
    if (text !== undefined && LONE_SURROGATE.test(text)) return { ok: false, message: `body ${field}: must be well-formed Unicode` };
  }
  if (!URL.canParse(value.url)) return { ok: false, message: 'body url: must be an absolute http(s) URL' };
  return { ok: true, beacon: value };
}
