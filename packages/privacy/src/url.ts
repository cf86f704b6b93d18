import { classify } from './pii-patterns.js';

export interface UrlOptions {
  /** Query parameters kept (lower-case names); all others are dropped. */
  readonly queryAllowList: ReadonlySet<string>;
  /** Path segments after which the next segment is an identifier, e.g. `user` in `/user/jane` → `/user/:id`. */
  readonly pathIdKeys: ReadonlySet<string>;
}

export interface CleanUrl {
  readonly host: string;
  readonly path: string;
  /** Allow-listed parameters, sorted, `&`-joined, values scrubbed. */
  readonly query: string;
  readonly params: ReadonlyMap<string, string>;
}

const MAX_PATH = 512;
const MAX_SEGMENT = 120;
const MAX_PARAM_VALUE = 100;

/** Percent-decodes until stable (at most three rounds), so double-encoded `%2540` is seen as `@` too. */
function decode(text: string): string {
  let current = text;
  for (let round = 0; round < 3 && current.includes('%'); round++) {
    try {
      current = decodeURIComponent(current);
    } catch {
      // Malformed percent-encoding: keep what decoded so far; classification still sees it.
      break;
    }
  }
  return current;
}

/** A path segment this long is an identifier or an attack, not a page name. */
const MAX_PLAIN_SEGMENT = 200;

/**
 * Page names repeat endlessly (`blog`, `products`), so segments found clean are remembered; segments that held
 * personal data are not, so the cache never keeps any. Cleared when full: simpler and cheaper than LRU order here.
 */
const cleanSegments = new Map<string, string>();
const CLEAN_SEGMENT_CACHE = 20_000;

function scrubSegment(raw: string): string {
  const known = cleanSegments.get(raw);
  if (known !== undefined) return known;
  if (raw.length > MAX_PLAIN_SEGMENT) return ':token';
  const segment = decode(raw).normalize('NFC');
  const placeholder = classify(segment) ?? (segment === raw ? undefined : classify(raw));
  if (placeholder !== undefined) return placeholder;
  const clean = segment.slice(0, MAX_SEGMENT);
  if (cleanSegments.size >= CLEAN_SEGMENT_CACHE) cleanSegments.clear();
  cleanSegments.set(raw, clean);
  return clean;
}

/**
 * Host and path of a page URL, with personal data removed: no fragment, no user info, only allow-listed query
 * parameters, and path segments that look like e-mails, phone numbers, IPs, UUIDs or tokens replaced by
 * placeholders. Matching runs on the percent-decoded text, so `jane%40example.com` is caught too.
 */
export function cleanUrl(text: string, options: UrlOptions): CleanUrl | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;

  const out: string[] = [];
  let idNext = false;
  for (const raw of url.pathname.split('/').slice(1)) {
    if (raw === '') {
      out.push('');
      continue;
    }
    const segment = idNext ? ':id' : scrubSegment(raw);
    idNext = options.pathIdKeys.has(segment.toLowerCase());
    out.push(segment);
  }
  let path = `/${out.join('/')}`;
  if (path.length > MAX_PATH) path = `${path.slice(0, MAX_PATH - 1)}…`;

  const params = new Map<string, string>();
  for (const [name, value] of url.searchParams) {
    const key = name.toLowerCase();
    if (!options.queryAllowList.has(key) || params.has(key)) continue;
    const clean = value.normalize('NFC');
    params.set(key, classify(clean) ?? clean.slice(0, MAX_PARAM_VALUE));
  }
  const query = [...params.entries()].sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  return { host: url.hostname.toLowerCase(), path, query, params };
}

/**
 * The referrer's host only, without `www.`. Empty for none, for anything not http(s), and for the site itself
 * (same-site navigation is "direct/internal", not a referral).
 */
export function referrerHost(text: string | undefined, pageHost: string): string {
  if (text === undefined || text === '') return '';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return '';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return '';
  const host = url.hostname.toLowerCase().replace(/^www\./, '');
  if (host === pageHost.replace(/^www\./, '')) return '';
  return classify(host) === undefined ? host.slice(0, 253) : '';
}
