import { displayForm, matchForm, readings } from './canonical.js';
import { classifyReadings } from './pii-patterns.js';
import { isMarker, markedPersonal } from './markers.js';
import { judgedTogether, type TogetherOptions } from './together.js';
import { labelVerdict } from './props-label.js';
import { reservedProp } from './reserved-props.js';

/**
 * Custom properties. A property is the easiest place for a site to put personal data (`email: jane@example.com`),
 * so nothing is stored unless the site allow-listed the key (TOKUMEI_PROPS_ALLOWLIST), and every kept value is
 * judged by the same engine as URL parts, in every reading (percent-decoded, Shift_JIS/EUC-JP, `+` as space, NFKC).
 */

/** Longest value stored: the beacon's limit (a longer one can only come from another producer). */
const MAX_VALUE = 200;
/** What a kept value must be in match form: words, numbers and a few separators; anything else is free text. */
const PROP_WORD = new RegExp(`^[\\p{L}\\p{M}\\p{N} ._:/+#-]{1,${MAX_VALUE}}$`, 'u');

export interface ScrubbedProps {
  /** What is stored: allow-listed keys, values clean or replaced by a placeholder. */
  readonly props: Record<string, string>;
  /** Keys dropped because the site did not allow-list them. */
  readonly dropped: number;
  /** Values replaced by a placeholder. */
  readonly replaced: number;
}

const NONE: ScrubbedProps = { props: {}, dropped: 0, replaced: 0 };

/** The keys a site may store: its own list and the `*` list. */
export function allowedKeys(allow: ReadonlyMap<string, ReadonlySet<string>>, site: string): ReadonlySet<string> | undefined {
  const own = allow.get(site);
  const all = allow.get('*');
  if (own === undefined || all === undefined) return own ?? all;
  return new Set([...own, ...all]);
}

/** One value: a placeholder when any reading holds personal data, or when it is not a short label (props-label.ts). */
export function judgePropValue(raw: string): string {
  if (raw.length > MAX_VALUE) return ':value';
  const placeholder = classifyReadings(readings(raw, true));
  if (placeholder !== undefined) return placeholder;
  const value = displayForm(raw).trim();
  if (value === '') return '';
  const form = matchForm(value);
  if (!PROP_WORD.test(form)) return ':value';
  return markedPersonal(form) ?? labelVerdict(form) ?? value;
}

/** Props count every kind read together (a token cut in two is still the token), joined with a space and with nothing. */
const TOGETHER: TogetherOptions = { separators: [' ', ''], plusAsSpace: true, counts: () => true };

const isPlaceholder = (value: string): boolean => value.startsWith(':') && /^:[a-z]+$/.test(value);

/**
 * The props of one record as stored. Data split over several keys (`a=090`, `b=1234`, `c=5678`, or `a=jane`, `b=@`,
 * `c=example.com`) is whole again when the values are read together: the raw values of the kept keys are judged
 * joined, in key order, with a space and with nothing between them, and on a hit every kept value becomes that
 * placeholder. Unlike URL parameters every kind counts (a token cut in two is still the token read together), and
 * a joined text too long to judge (over 512 characters) is a hit as well: padding must not buy a pass.
 *
 * The tracker's automatic events have one reserved key each (reserved-props.ts: `host` of an outbound click, `ext`
 * of a download), kept without the allow-list but only in its shape; it takes part in the joined reading too.
 */
export function scrubProps(
  props: Readonly<Record<string, string>> | undefined,
  site: string,
  allow: ReadonlyMap<string, ReadonlySet<string>>,
  event?: string,
): ScrubbedProps {
  if (props === undefined) return NONE;
  const entries = Object.entries(props);
  if (entries.length === 0) return NONE;
  const keys = allowedKeys(allow, site);
  const reserved = reservedProp(event);
  const kept = new Map<string, string>();
  // Values judged clean, or refused only as free text (`@` alone is no address): what a split could hide in.
  const open = new Map<string, string>();
  let replaced = 0;
  for (const [key, raw] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const own = reserved?.key === key;
    if (!own && keys?.has(key) !== true) continue;
    const value = own ? reserved.judge(raw) : judgePropValue(raw);
    // A reserved value is kept exactly or not at all: any change (`:phone.example.net` too) is a replacement.
    const clean = own ? value === raw : !isPlaceholder(value);
    if (!clean && !isPlaceholder(raw)) replaced += 1;
    kept.set(key, value);
    // A value that is only a marker (`sama`, `様`, `@gmail.com`) is refused alone and read with the others too.
    if (raw !== '' && !isPlaceholder(raw) && (value === ':value' || clean || isMarker(matchForm(displayForm(raw, true))))) open.set(key, raw);
  }
  if (open.size > 1) {
    const keys = [...open.keys()];
    for (const [i, together] of judgedTogether([...open.values()], TOGETHER)) {
      const key = keys[i] ?? '';
      const before = kept.get(key);
      if (before !== ':value' && (before === undefined || !isPlaceholder(before))) replaced += 1;
      kept.set(key, together);
    }
  }
  return { props: Object.fromEntries(kept), dropped: entries.length - kept.size, replaced };
}
