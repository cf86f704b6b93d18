import type { TokumeiError } from '@tokumei/errors';
import type { Counter, Registry } from 'prom-client';
import { Counter as PromCounter } from 'prom-client';

/**
 * What the foreign trackers' formats (Plausible's Events API, Umami's /api/send) share on their way to a beacon.
 * A mapper never builds a raw record: it returns beacons, which then take the one path of `/collect`
 * (beacon-path.ts), so validation, consent, the bus's back-pressure and the privacy engine are the same.
 */
export type Mapped =
  | {
    readonly ok: true;
    /** Beacon-shaped objects, not yet checked: checkBeacon judges them as it judges /collect's. */
    readonly beacons: readonly Record<string, unknown>[];
    /** Beacon field → the sender's field, so checkBeacon's messages name what the sender sent (`url` → `u`). */
    readonly fields: Readonly<Record<string, string>>;
    /** Identifiers the sender sent and Tokumei dropped unread (counted, never stored). */
    readonly dropped: readonly string[];
  }
  | { readonly ok: false; readonly error: TokumeiError };

/** `body url: …` from checkBeacon becomes `body u: …` when the sender called it `u`. */
export function renamer(fields: Readonly<Record<string, string>>): (message: string) => string {
  return (message) => message.replace(/^body (\w+):/, (whole, field: string) => (fields[field] === undefined ? whole : `body ${fields[field]}:`));
}

export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Unknown keys are named only when they look like a field name (a key is sender data too), as checkBeacon does. */
const NAMEABLE_KEY = /^[A-Za-z0-9_.$-]{1,32}$/;

export function unknownKeys(at: string, value: Record<string, unknown>, known: ReadonlySet<string>): string | undefined {
  const extra = Object.keys(value).filter((key) => !known.has(key));
  if (extra.length === 0) return undefined;
  const named = extra.filter((key) => NAMEABLE_KEY.test(key)).slice(0, 5);
  const others = extra.length - named.length;
  const list = [...named.map((key) => JSON.stringify(key)), ...(others > 0 ? [`${String(others)} other${others > 1 ? 's' : ''}`] : [])];
  return `${at}: unknown field${extra.length > 1 ? 's' : ''} ${list.join(', ')}`;
}

/**
 * Plausible and Umami allow any text as an event name ("Outbound Link: Click", "Form: Submission"); Tokumei's
 * names are letters, digits and `_ . : -` (a name is stored and shown, and a sentence is where personal data hides).
 * Spaces become `_`, so those names pass; anything else outside the alphabet is refused, never silently changed.
 */
export const EVENT_NAME_RULE = 'must be letters, digits, spaces or _ . : - (a space is stored as _), at most 64 characters';

export function eventName(raw: string): string | undefined {
  const name = raw.trim().replace(/ +/g, '_');
  return /^[A-Za-z0-9_.:-]{1,64}$/.test(name) ? name : undefined;
}

/**
 * Custom properties of both formats: their documented scalars (strings, numbers, booleans) become strings, as both
 * servers store them; `null`, objects and arrays are refused (a value, key or count checkBeacon refuses is refused
 * there, with its rule). Undefined: no props.
 */
export function foreignProps(raw: Record<string, unknown>): { ok: true; props: Record<string, string> | undefined } | { ok: false } {
  const props: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === 'string') props[key] = value;
    else if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') props[key] = String(value);
    else return { ok: false };
  }
  return { ok: true, props: Object.keys(props).length === 0 ? undefined : props };
}

export const PROPS_VALUE_RULE = 'values must be strings, numbers or booleans';

/** Identifiers a foreign client sent that were dropped unread, by tracker and field: proof they arrive, not what. */
export function droppedCounter(registry: Registry): Counter<'tracker' | 'field'> {
  return new PromCounter({
    name: 'tokumei_ingest_foreign_identifiers_dropped_total',
    help: 'Identifiers sent by foreign trackers (Umami identify calls, distinct ids, cache tokens) dropped unread',
    labelNames: ['tracker', 'field'],
    registers: [registry],
  });
}
