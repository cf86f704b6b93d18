import { matchForm } from './canonical.js';
import { hasAddress, hasName } from './japanese.js';
import { digitRuns, numberKind } from './numbers.js';
import { hasToken } from './tokens.js';

/**
 * What personal data in a URL part or any stored string looks like. `classify()` is the decision (the worker
 * replaces what it names before storage). `PII_PATTERNS` are broad RE2 candidates for the audit, which searches
 * stored columns inside ClickHouse with them and confirms each candidate with `classify()`; every source is in the
 * common subset of JavaScript and RE2 (no lookaround, no backreferences, no \p classes).
 */
export type Placeholder = ':email' | ':ip' | ':id' | ':phone' | ':postal' | ':card' | ':token' | ':address' | ':name';

export interface PiiPattern {
  readonly name: 'email' | 'ip' | 'uuid' | 'number' | 'token' | 'address' | 'name';
  readonly placeholder: Placeholder;
  readonly source: string;
}

const DIGIT = '[0-9０-９〇一二三四五六七八九]';
export const PII_PATTERNS: readonly PiiPattern[] = [
  { name: 'email', placeholder: ':email', source: '@|＠|﹫|★|☆|[(\\[{<] ?[Aa][Tt] ?[)\\]}>]|(^|[^A-Za-z])[Aa][Tt][-_. ]' },
  { name: 'ip', placeholder: ':ip', source: '[0-9]{1,3}[._-][0-9]{1,3}[._-][0-9]{1,3}[._-][0-9]{1,3}|[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:' },
  { name: 'uuid', placeholder: ':id', source: '[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}' },
  { name: 'number', placeholder: ':phone', source: `(${DIGIT}[^0-9０-９A-Za-z]{0,3}){6}${DIGIT}` },
  { name: 'token', placeholder: ':token', source: '[A-Za-z0-9]{10,}|eyJ' },
  { name: 'address', placeholder: ':address', source: '丁目|番地|号室|[0-9０-９]番|[都道府県].{1,12}[市区町村郡]|-(ku|shi|gun|cho|machi|mura)' },
  { name: 'name', placeholder: ':name', source: '様|さま|さん|殿|君|くん|ちゃん|氏|(^|[^A-Za-z])([Mm]rs?|[Mm]s|[Mm]iss|[Dd]r)\\.?[ _-]' },
];

/** Inputs longer than this are not judged part by part: nothing legitimate in one URL part is that long. */
export const MAX_CLASSIFY_LENGTH = 512;

const TLDS = new Set([
  'com', 'net', 'org', 'edu', 'gov', 'int', 'info', 'biz', 'jp', 'co', 'ne', 'ac', 'go', 'or', 'ad', 'ed', 'gr', 'lg',
  'io', 'me', 'us', 'uk', 'de', 'fr', 'it', 'es', 'nl', 'ca', 'au', 'cn', 'kr', 'tw', 'hk', 'sg', 'in', 'ru', 'br',
  'mx', 'ch', 'se', 'no', 'dk', 'fi', 'pl', 'be', 'nz', 'example', 'test', 'invalid', 'mail', 'email', 'gmail', 'yahoo',
]);

// `(at)`, `[at]`, `<at>`, `アットマーク`, `&#64;` and the ★ ☆ ◎ ● ▲ ＊ Japanese sites write for `@` to fool address
// harvesters; `(dot)`, `[dot]`, ` dot `, `-dot-`, `ドット`, `・` for dots.
const AT_FORMS = /\s?[([{<]\s?at\s?[)\]}>]\s?|アットマ[ー-]ク|あっとま[ー-]く|アット|あっと|&#0*64;|&#x0*40;|&commat;|[★☆◎●▲*#]/giu;
const DOT_FORMS = /\s?[([{<]\s?dot\s?[)\]}>]\s?|[-_ ]dot[-_ ]|ドット|[・,]/giu;
const AT_HINT = /[([{<★☆◎●▲*#&アあ]/u;
const LOCAL_CHAR = /[\p{L}\p{N}._%+-]/u;
const DOMAIN = /^[\p{L}\p{N}-]+(\.[\p{L}\p{N}-]+)*\.(\p{L}{2,}|xn--[a-z0-9-]+)/iu;
const DOMAIN_WORD = /^[\p{L}][\p{L}\p{N}-]+/u;
/** Punctuation an attacker puts next to the `@` (`jane(@)example.com`, `jane @ example.com`, `jane@.example.com`). */
const AT_NOISE = /[^\p{L}\p{N}@]/u;
const RETINA_ASSET = /^[1-4]x\./;

function hasEmail(text: string): boolean {
  let t = text;
  if (AT_HINT.test(t)) t = t.replace(AT_FORMS, '@');
  if (!t.includes('@')) return spelledEmail(t);
  t = t.replace(DOT_FORMS, '.');
  for (let at = t.indexOf('@'); at !== -1; at = t.indexOf('@', at + 1)) {
    let before = at - 1;
    while (before >= 0 && at - before <= 3 && (AT_NOISE.test(t.charAt(before)) || t.charAt(before) === '@')) before--;
    if (before < 0 || !LOCAL_CHAR.test(t.charAt(before))) continue;
    let after = at + 1;
    while (after < t.length && after - at <= 3 && (AT_NOISE.test(t.charAt(after)) || t.charAt(after) === '@')) after++;
    const domain = t.slice(after, after + 256).replace(/\.{2,}/g, '.');
    if (RETINA_ASSET.test(domain)) continue;
    // A domain with a top-level label, or a bare word: `taro@localhost`, `taro.yamada@example` name a mailbox too.
    if (DOMAIN.test(domain) || (DOMAIN_WORD.test(domain) && at - before <= 1 && after - at <= 1)) return true;
  }
  return false;
}

/** `jane-r04-at-example-com`: the address written out with `at` and the dots as separators. */
function spelledEmail(text: string): boolean {
  if (!/(^|[^a-z])at([^a-z]|$)/i.test(text)) return false;
  const words = text.toLowerCase().split(/[-_. /]+/);
  const at = words.findIndex((w) => w === 'at' || w === 'atmark');
  if (at < 1) return false;
  return words.slice(at + 2).some((w) => TLDS.has(w));
}

const IPV4 = /(^|[^0-9])([0-9]{1,3})([._-])([0-9]{1,3})\3([0-9]{1,3})\3([0-9]{1,3})(?![0-9])/g;
const IPV6 = /(^|[^0-9A-Fa-f:])([0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}($|[^0-9A-Fa-f:])/g;
const UUID = /(^|[^0-9A-Fa-f])[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}($|[^0-9A-Fa-f])/;

const HEX_IPV4 = /(^|[^0-9A-Za-z])0x[0-9A-Fa-f]{8}($|[^0-9A-Za-z])/;

function hasIp(text: string): boolean {
  for (const m of text.matchAll(IPV4)) {
    if ([m[2], m[4], m[5], m[6]].every((octet) => Number(octet) <= 255)) return true;
  }
  if (text.includes('0x') && HEX_IPV4.test(text)) return true;
  if (!text.includes(':')) return false;
  for (const [match] of text.matchAll(IPV6)) {
    const address = match.replace(/^[^0-9A-Fa-f:]|[^0-9A-Fa-f:]$/g, '');
    const groups = address.split(':');
    // `::`, eight groups, or four and more with digits: an interface id (`1c2d:3e4f:5a6b:7c8d`), a MAC address.
    if (address.includes('::') && /[0-9A-Fa-f]/.test(address)) return true;
    if (groups.length === 8 || (groups.length >= 4 && groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g)) && groups.filter((g) => /[0-9]/.test(g)).length >= 2)) return true;
  }
  return false;
}

function numberIn(text: string): Placeholder | undefined {
  for (const run of digitRuns(text)) {
    const kind = numberKind(run);
    if (kind !== undefined) return kind;
  }
  return undefined;
}

const ASCII = /^\p{ASCII}*$/u;
/** A Japanese number plate (品川300あ1234): its owner is on record. */
const PLATE = /\p{Script=Han}{1,4} ?[0-9]{2,3} ?\p{Script=Hiragana} ?[0-9]{1,2}-?[0-9]{2}/u;

/** The placeholder for a text that holds personal data, or undefined when it does not look like it holds any. */
export function classify(input: string): Placeholder | undefined {
  if (input.length > MAX_CLASSIFY_LENGTH) return ':token';
  const form = matchForm(input);
  // Written out one character at a time (`k e n j i @ …`): judged with the spaces taken out as well.
  return judge(form) ?? (SPACED_OUT.test(form) ? judge(form.replaceAll(' ', '')) : undefined);
}

const SPACED_OUT = /(\S ){6,}\S/u;

function judge(text: string): Placeholder | undefined {
  if (hasEmail(text)) return ':email';
  if (hasIp(text)) return ':ip';
  if (UUID.test(text)) return ':id';
  if (hasToken(text)) return ':token';
  const number = numberIn(text);
  if (number !== undefined) return number;
  const ascii = ASCII.test(text);
  if (hasAddress(text, ascii)) return ':address';
  if (hasName(text, ascii)) return ':name';
  if (!ascii && PLATE.test(text)) return ':id';
  return undefined;
}

/** The verdict over every reading of a part: the first placeholder any reading earns. */
export function classifyReadings(texts: readonly string[]): Placeholder | undefined {
  for (const text of texts) {
    const placeholder = classify(text);
    if (placeholder !== undefined) return placeholder;
  }
  return undefined;
}
