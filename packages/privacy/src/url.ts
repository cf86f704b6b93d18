import { displayForm, matchForm, readings } from './canonical.js';
import { pageHost, referrerHostOf } from './hosts.js';
import { DEFAULT_PATH_ID_KEYS, ROUTE_WORDS, isHandle } from './identity-keys.js';
import { numbersAcross } from './numbers.js';
import { isMarker, markedPersonal } from './markers.js';
import { judgedTogether, type TogetherOptions } from './together.js';
import { classify, classifyReadings } from './pii-patterns.js';

export interface UrlOptions {
  /** Query parameters kept (lower-case names); all others are dropped. */
  readonly queryAllowList: ReadonlySet<string>;
  /** Extra path segments after which the next segment is an identifier (added to DEFAULT_PATH_ID_KEYS). */
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
/** A path segment this long is an identifier or an attack, not a page name. */
const MAX_PLAIN_SEGMENT = 200;
/** What an allow-listed value must be after normalisation to be stored: a campaign word, not free text. */
const CAMPAIGN_WORD = new RegExp(`^[\\p{L}\\p{M}\\p{N} ._-]{1,${MAX_PARAM_VALUE}}$`, 'u');

interface Judged {
  /** What is stored: the decoded text, or a placeholder. */
  readonly out: string;
  /** matchForm of what is stored, for rules that look across segments. */
  readonly form: string;
  /** `out` is a placeholder. */
  readonly hit?: true;
  /** Replaced only as an id (after an identity key, or a handle `@…`): its own match form, still read with its neighbour. */
  readonly seen?: string;
}

/**
 * Page names and campaign words repeat endlessly, so parts found clean are remembered; parts that held personal data
 * are not, so the caches never keep any. Cleared when full: simpler and cheaper than LRU order here.
 */
const CACHE_SIZE = 20_000;
const cleanSegments = new Map<string, Judged>();
const cleanValues = new Map<string, string>();
const keptTogether = new Set<string>();

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= CACHE_SIZE) cache.clear();
  cache.set(key, value);
  return value;
}

function sliceChars(text: string, max: number): string {
  return text.length <= max ? text : Array.from(text).slice(0, max).join('').slice(0, max);
}

/** The marker words of markers.ts in every reading: what event names and props are held to, paths and values are too. */
function markedReadings(all: readonly string[]): string | undefined {
  for (const text of all) {
    const verdict = markedPersonal(matchForm(text));
    if (verdict !== undefined) return verdict;
  }
  return undefined;
}

const hit = (placeholder: string): Judged => ({ out: placeholder, form: placeholder, hit: true });

function judgeSegment(raw: string): Judged {
  const known = cleanSegments.get(raw);
  if (known !== undefined) return known;
  if (raw.length > MAX_PLAIN_SEGMENT) return hit(':token');
  const all = readings(raw);
  const placeholder = classifyReadings(all) ?? markedReadings(all);
  if (placeholder !== undefined) return hit(placeholder);
  const out = sliceChars(displayForm(raw), MAX_SEGMENT);
  return remember(cleanSegments, raw, { out, form: matchForm(out) });
}

/** A number spread over several segments (`/090/1234/5678`) replaces each of them, collapsed into one placeholder. */
function joinNumbers(judged: Judged[]): Judged[] {
  const touched = numbersAcross(judged.map((j) => j.form), '/');
  if (touched.size === 0) return judged;
  const out = judged.map((j, i) => {
    const kind = touched.get(i);
    return kind === undefined ? j : hit(kind);
  });
  return out.filter((j, i) => i === 0 || !(j.hit === true && out[i - 1]?.hit === true && out[i - 1]?.out === j.out));
}

// Keys are compared in match form, so `マイページ` matches however its prolonged-sound mark was written.
const keyForm = (key: string): string => matchForm(key).toLowerCase();
const DEFAULT_KEYS: ReadonlySet<string> = new Set([...DEFAULT_PATH_ID_KEYS].map(keyForm));
const ROUTES: ReadonlySet<string> = new Set([...ROUTE_WORDS].map(keyForm));
const configuredKeys = new WeakMap<ReadonlySet<string>, ReadonlySet<string>>();

function keysOf(extra: ReadonlySet<string>): ReadonlySet<string> {
  let keys = configuredKeys.get(extra);
  if (keys === undefined) {
    keys = new Set([...DEFAULT_KEYS, ...[...extra].map(keyForm)]);
    configuredKeys.set(extra, keys);
  }
  return keys;
}

/** An address split over segments (`/jane@/example.co.jp`, `/jane/@/example.com`): the segments around an `@`. */
function joinEmails(judged: Judged[]): Judged[] {
  if (!judged.some((j) => j.hit !== true && j.form.includes('@'))) return judged;
  const out = [...judged];
  judged.forEach((j, i) => {
    if (j.hit === true || !j.form.includes('@')) return;
    const around = [i - 1, i, i + 1].filter((k) => k >= 0 && k < judged.length && judged[k]?.hit !== true);
    if (classify(around.map((k) => judged[k]?.form ?? '').join('')) === ':email') for (const k of around) out[k] = hit(':email');
  });
  return out;
}

const JOINED_KINDS: ReadonlySet<string> = new Set([':name', ':address', ':email']);

/**
 * A name or an address split over two segments (`/千代田区/1-1-1`, `/山田/様`, `/Yamada/san`): adjacent clean segments
 * are read together, and both replaced when the join marks a person (red team 3, item 5). A segment replaced as the id
 * after an identity key is read with its neighbour too (`/profile/千代田区/1-1-1`).
 */
function joinMarked(judged: Judged[]): Judged[] {
  let out: Judged[] | undefined;
  for (let i = 0; i + 1 < judged.length; i++) {
    const a = judged[i];
    const b = judged[i + 1];
    const left = a?.hit === true ? a.seen : a?.form;
    const right = b?.hit === true ? b.seen : b?.form;
    if (left === undefined || right === undefined || left === '' || right === '' || (a?.hit === true && b?.hit === true)) continue;
    const joined = `${left} ${right}`;
    const pattern = classify(joined);
    const verdict = markedPersonal(joined) ?? (pattern !== undefined && JOINED_KINDS.has(pattern) ? pattern : undefined);
    if (verdict === undefined) continue;
    out ??= [...judged];
    out[i] = hit(verdict);
    out[i + 1] = hit(verdict);
  }
  return out ?? judged;
}

/**
 * Whole paths repeat too (a site's pages, under Zipf): a path whose every part and every rule across parts came out
 * clean is remembered, per set of configured identity keys; a path with any placeholder in it is not (it held
 * personal data, or something taken for it). Only paths up to MAX_PATH characters, bounded, cleared when full.
 */
const PATH_CACHE_SIZE = 10_000;
const cleanPaths = new WeakMap<ReadonlySet<string>, Map<string, string>>();

function scrubPath(pathname: string, extraKeys: ReadonlySet<string>): string {
  let cache = cleanPaths.get(extraKeys);
  if (cache === undefined) {
    cache = new Map();
    cleanPaths.set(extraKeys, cache);
  }
  const known = cache.get(pathname);
  if (known !== undefined) return known;
  const { path, clean } = judgePath(pathname, extraKeys);
  if (clean && pathname.length <= MAX_PATH) {
    if (cache.size >= PATH_CACHE_SIZE) cache.clear();
    cache.set(pathname, path);
  }
  return path;
}

function judgePath(pathname: string, extraKeys: ReadonlySet<string>): { path: string; clean: boolean } {
  const idKeys = keysOf(extraKeys);
  const judged: Judged[] = [];
  let idNext = false;
  for (const raw of pathname.split('/').slice(1)) {
    if (raw === '') {
      judged.push({ out: '', form: '' });
      continue;
    }
    const segment = judgeSegment(raw);
    const key = segment.form.toLowerCase();
    const isKey = idKeys.has(key);
    // A segment already found to be personal data keeps its own placeholder; any other after a key is an id.
    if (idNext && segment.hit !== true && !isKey && !ROUTES.has(key)) judged.push({ ...hit(':id'), seen: segment.form });
    else judged.push(isHandle(segment.form) ? { ...hit(':id'), seen: segment.form } : segment);
    idNext = isKey;
  }
  const parts = joinNumbers(joinMarked(joinEmails(judged)));
  const path = `/${parts.map((j) => j.out).join('/')}`;
  return { path: path.length > MAX_PATH ? `${sliceChars(path, MAX_PATH - 1)}…` : path, clean: parts.every((j) => j.hit !== true) };
}

/**
 * An allow-listed value: decoded every way (`+` as space too), replaced by what it holds, or by `:value` when it is
 * not a plain campaign word of at most 100 characters (free text is where personal data goes).
 */
function judgeValue(raw: string): string {
  const known = cleanValues.get(raw);
  if (known !== undefined) return known;
  if (raw.length > MAX_PLAIN_SEGMENT * 3) return ':value';
  const all = readings(raw, true);
  const placeholder = classifyReadings(all) ?? markedReadings(all);
  if (placeholder !== undefined) return placeholder;
  const value = displayForm(raw, true).trim();
  if (value === '') return '';
  if (!CAMPAIGN_WORD.test(matchForm(value))) return ':value';
  return remember(cleanValues, raw, value);
}

/**
 * What counts when values are read together: every kind but a token (a token split is no longer one, and campaign
 * words joined can look random) and free text.
 */
const TOGETHER: TogetherOptions = { separators: [' '], plusAsSpace: true, counts: (kind) => kind !== ':token' && kind !== ':value' };

const PLAIN_NAME = /^[\x21-\x24\x26-\x2a\x2c-\x7e]*$/;

function allowListed(search: string, allow: ReadonlySet<string>): Map<string, string> {
  const params = new Map<string, string>();
  if (search.length <= 1) return params;
  const raws = new Map<string, string>();
  for (const pair of search.slice(1).split('&')) {
    const eq = pair.indexOf('=');
    const raw = eq === -1 ? pair : pair.slice(0, eq);
    // Printable ASCII without `%` and `+` is its own display and match form: only the others need the canonical form.
    const name = (PLAIN_NAME.test(raw) ? raw : matchForm(displayForm(raw, true))).toLowerCase();
    if (!allow.has(name) || params.has(name)) continue;
    const value = eq === -1 ? '' : pair.slice(eq + 1);
    raws.set(name, value);
    params.set(name, judgeValue(value));
  }
  // Split over several values (`utm_source=090&utm_medium=1234&utm_campaign=5678`, `utm_source=jane.doe&utm_medium=
  // gmail.com`), the data is whole again when they are read together: judged together in every order (together.ts),
  // and the parts of a failed join replaced. Values refused only as free text (`%40gmail.com` → `:value`) and values
  // that are only a marker (`様`) take part with their raw text.
  const names: string[] = [];
  const parts: string[] = [];
  for (const [name, value] of params) {
    const raw = raws.get(name) ?? '';
    if (value === '' || raw === '') continue;
    if (value.startsWith(':') && value !== ':value' && !isMarker(matchForm(displayForm(raw, true)))) continue;
    names.push(name);
    parts.push(raw);
  }
  if (parts.length > 1) {
    // Keyed by the parts in name order; the verdict does not depend on their order, so this is a pure function of it.
    const key = parts.join('\u0000');
    if (!keptTogether.has(key)) {
      const failed = judgedTogether(parts, TOGETHER);
      for (const [i, together] of failed) params.set(names[i] ?? '', together);
      // Values that stay as they are together (a campaign's source, medium and name, every record of it): each is
      // stored anyway, so remembering them joined keeps nothing the rows do not hold.
      if (failed.size === 0) {
        if (keptTogether.size >= CACHE_SIZE) keptTogether.clear();
        keptTogether.add(key);
      }
    }
  }
  return params;
}

/**
 * Host and path of a page URL, with personal data removed: no fragment, no user info, only allow-listed query
 * parameters, and path segments that hold e-mails, numbers, IPs, ids, tokens, addresses or names replaced by
 * placeholders. Every part is judged in every reading (see canonical.ts). `site` decides which hosts are kept.
 */
export function cleanUrl(text: string, options: UrlOptions, site?: string): CleanUrl | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const params = allowListed(url.search, options.queryAllowList);
  // Most pages carry no allow-listed parameter: no array, no sort for them.
  const query = params.size === 0 ? '' : [...params.entries()].sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  const host = url.hostname.toLowerCase();
  return { host: site === undefined ? host : pageHost(host, site), path: scrubPath(url.pathname, options.pathIdKeys), query, params };
}

const PLAIN_AUTHORITY = /^https?:\/\/((?:[a-z0-9-]+\.)*[a-z][a-z0-9-]*)(?:[/?#\\]|$)/;

/**
 * The host of `http(s)://host/…` when the host is lower-case letters, digits, hyphens and dots with a last label that
 * starts with a letter, and nothing else stands before the path: then it is what the URL parser's `hostname` is (no
 * user info, port, IP form, punycode to check, or character to map; the path, query and fragment never make a URL
 * invalid). Anything else (undefined) goes through the parser. Referrers are nearly always of this shape.
 */
function plainHost(text: string): string | undefined {
  const host = PLAIN_AUTHORITY.exec(text)?.[1];
  return host === undefined || host.includes('xn--') ? undefined : host;
}

/**
 * The referrer's host only, without `www.`, each label judged (an IP literal or a label that carries personal data
 * becomes a placeholder). Empty for none, for anything not http(s), and for the site itself (same-site navigation
 * is "direct/internal", not a referral).
 */
export function referrerHost(text: string | undefined, pageHostname: string): string {
  if (text === undefined || text === '') return '';
  const plain = plainHost(text);
  if (plain !== undefined) return referrerHostOf(plain, pageHostname);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return '';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return '';
  return referrerHostOf(url.hostname, pageHostname);
}
