import { TokumeiError } from '@tokumei/errors';
import { AUTO_EVENTS } from '@tokumei/privacy';
import { ENGAGEMENT_EVENT, MAX_ENGAGED_MS } from '@tokumei/schema';
import { EVENT_NAME_RULE, PROPS_VALUE_RULE, eventName, foreignProps, isObject, unknownKeys, type Mapped } from './foreign.js';

/**
 * Plausible's Events API (`POST /api/event`) as its published tracker sends it, mapped onto Tokumei beacons.
 *
 * `{n, u, d, r, p, i, sd, e, v, h, $}`, each short name also accepted long (`name`, `url`, `domain`, `referrer`,
 * `props`, `interactive`, `hashMode`, `revenue`), never both. Checked as strictly as `/collect`: an unknown field is a
 * 400 naming it, a value of the wrong JSON type is refused, not converted. What Tokumei has no place for is accepted
 * and not stored: `i` (Tokumei's bounce rule counts page views and engaged time only, so every custom event is
 * already non-interactive), `v` (the tracker's version), `h` (hash routing: a fragment is never stored) and `$`
 * (revenue).
 */

/** Short name → long alias, as Plausible's server reads them. */
const ALIASES = { n: 'name', u: 'url', d: 'domain', r: 'referrer', p: 'props', i: 'interactive', h: 'hashMode', $: 'revenue' } as const;
type Short = keyof typeof ALIASES;
const KNOWN: ReadonlySet<string> = new Set([...Object.keys(ALIASES), ...Object.values(ALIASES), 'sd', 'e', 'v']);

/**
 * `d` may list several sites ("a.example,b.example"): Plausible records the event for each, and so does Tokumei,
 * one beacon per site, all refused if one is. Bounded, so one request cannot fan out without limit.
 */
export const MAX_DOMAINS = 10;

const fail = (message: string): Mapped => ({ ok: false, error: new TokumeiError('TKM_INVALID_BEACON', message) });

export function mapPlausible(body: unknown): Mapped {
  if (!isObject(body)) return fail('body: must be a JSON object');
  const unknown = unknownKeys('body', body, KNOWN);
  if (unknown !== undefined) return fail(unknown);
  // Which spelling the sender used, so messages name it.
  const spelled: Partial<Record<Short, string>> = {};
  for (const short of Object.keys(ALIASES) as Short[]) {
    const long = ALIASES[short];
    if (short in body && long in body) return fail(`body: give one of "${short}" and "${long}", not both`);
    if (long in body) spelled[short] = long;
    else if (short in body) spelled[short] = short;
  }
  const get = (short: Short): unknown => body[spelled[short] ?? short];
  const name = (short: Short): string => spelled[short] ?? short;

  const rawName = get('n');
  if (rawName === undefined) return fail(`body ${name('n')}: is required`);
  if (typeof rawName !== 'string') return fail(`body ${name('n')}: must be a string`);
  const event = eventName(rawName);
  if (event === undefined) return fail(`body ${name('n')}: ${EVENT_NAME_RULE}`);

  const url = get('u');
  if (url === undefined) return fail(`body ${name('u')}: is required`);
  if (typeof url !== 'string') return fail(`body ${name('u')}: must be a string`);

  const referrer = get('r');
  if (referrer !== undefined && referrer !== null && typeof referrer !== 'string') return fail(`body ${name('r')}: must be a string or null`);

  let props: Record<string, string> | undefined;
  const rawProps = parseProps(get('p'));
  if (rawProps === 'invalid') return fail(`body ${name('p')}: must be an object, or a JSON string of one`);
  if (rawProps !== undefined) {
    const converted = foreignProps(rawProps);
    if (!converted.ok) return fail(`body ${name('p')}: ${PROPS_VALUE_RULE}`);
    props = autoEventProps(event, converted.props);
  }

  const interactive = get('i');
  if (interactive !== undefined && typeof interactive !== 'boolean') return fail(`body ${name('i')}: must be a boolean`);
  const version = body.v;
  if (version !== undefined && !Number.isSafeInteger(version)) return fail('body v: must be an integer');
  const hash = get('h');
  if (hash !== undefined && hash !== 0 && hash !== 1) return fail(`body ${name('h')}: must be 0 or 1`);
  const revenue = get('$');
  if (revenue !== undefined && !isObject(revenue)) return fail(`body ${name('$')}: must be an object`);

  const engagement = engagementFields(event, body.e, body.sd);
  if (typeof engagement === 'string') return fail(engagement);

  const domains = sites(get('d'), url);
  if (typeof domains === 'string') return fail(`body ${name('d')}: ${domains}`);

  const beacon = {
    url,
    ...(typeof referrer === 'string' && referrer !== '' ? { referrer } : {}),
    ...(event === 'pageview' ? {} : { event }),
    ...(props === undefined ? {} : { props }),
    ...engagement,
  };
  return {
    ok: true,
    beacons: domains.map((site) => ({ site, ...beacon })),
    fields: { site: name('d'), url: name('u'), referrer: name('r'), event: name('n'), props: name('p'), em: 'e', sd: 'sd' },
    dropped: [],
  };
}

/**
 * Plausible's own automatic events carry the whole link in `url`; Tokumei's tracker sends the same events (same
 * names, spaces as `_`) with only the target's host or the file's extension, and those are what the privacy engine
 * keeps for them. So the link is reduced here, as Tokumei's tracker reduces it, and its path and query (where
 * addresses and ids are) go no further than ingest.
 */
function autoEventProps(event: string, props: Record<string, string> | undefined): Record<string, string> | undefined {
  if (props?.url === undefined || (event !== AUTO_EVENTS.outbound && event !== AUTO_EVENTS.download)) return props;
  const { url, ...rest } = props;
  const link = URL.canParse(url) ? new URL(url) : undefined;
  const web = link !== undefined && (link.protocol === 'https:' || link.protocol === 'http:');
  if (web && event === AUTO_EVENTS.outbound) rest.host = link.hostname;
  const ext = web && event === AUTO_EVENTS.download ? /\.([\da-z]{1,8})$/.exec(link.pathname.toLowerCase())?.[1] : undefined;
  if (ext !== undefined) rest.ext = ext;
  return Object.keys(rest).length === 0 ? undefined : rest;
}

/** `p` is an object, or (Plausible accepts it so) a string holding a JSON object. */
function parseProps(raw: unknown): Record<string, unknown> | undefined | 'invalid' {
  if (raw === undefined) return undefined;
  if (isObject(raw)) return raw;
  if (typeof raw !== 'string') return 'invalid';
  try {
    const parsed: unknown = JSON.parse(raw);
    return isObject(parsed) ? parsed : 'invalid';
  } catch {
    return 'invalid';
  }
}

/**
 * Engagement: `e` (engaged ms) is Tokumei's `em`, `sd` (scroll %) its `sd`. As Plausible's server does, a scroll
 * depth over 100 (a page that shrank while read) counts as 100; engaged time is capped at Tokumei's 30 minutes a
 * beacon (Plausible's tracker sends one per page view, so a longer stay would otherwise be refused whole).
 */
function engagementFields(event: string, e: unknown, sd: unknown): { em?: number; sd?: number } | string {
  if (event !== ENGAGEMENT_EVENT) {
    if (e !== undefined) return 'body e: only an engagement event carries it';
    if (sd !== undefined) return 'body sd: only an engagement event carries it';
    return {};
  }
  if (e === undefined) return 'body e: is required for an engagement event';
  if (!Number.isSafeInteger(e) || (e as number) < 0) return 'body e: must be a non-negative integer (ms)';
  if (sd !== undefined && (!Number.isSafeInteger(sd) || (sd as number) < 0)) return 'body sd: must be a non-negative integer (%)';
  return { em: Math.min(e as number, MAX_ENGAGED_MS), ...(sd === undefined ? {} : { sd: Math.min(sd as number, 100) }) };
}

/** The sites of `d`: comma-separated, trimmed, each once; without `d`, the URL's host (as Plausible does). */
function sites(raw: unknown, url: string): string[] | string {
  if (raw === undefined) {
    const host = URL.canParse(url) ? new URL(url).hostname : '';
    return host === '' ? 'is required when the URL has no host' : [host];
  }
  if (typeof raw !== 'string') return 'must be a string';
  const parts = raw.split(',').map((part) => part.trim());
  if (parts.some((part) => part === '')) return 'must be one site, or several separated by commas, none empty';
  const unique = [...new Set(parts)];
  if (unique.length > MAX_DOMAINS) return `must list at most ${String(MAX_DOMAINS)} sites`;
  return unique;
}
