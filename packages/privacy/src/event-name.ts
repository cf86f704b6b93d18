import { matchForm, readings } from './canonical.js';
import { markedPersonal } from './markers.js';
import { classify, classifyReadings } from './pii-patterns.js';
import { AT_SIGN_WORDS, PROVIDER_WORDS, labelVerdict } from './props-label.js';

/**
 * A custom event name as stored. A name is a label a site chose (`Signup`, `add_to_cart`, `Outbound_Link:_Click`),
 * so it is held at least as strictly as a property value: the pattern rules in every reading, then the short-label
 * rule of props-label.ts with `_ - . :` read as word separators (Plausible's names arrive with spaces as `_`). A red
 * team got honorifics (`Yamada-san`), romanised addresses (`Chiyoda-ku_1-1-1`), random words (`ogktp-isumz-vmocx`),
 * spelled e-mails (`jane.doe:at:example.com`, `jane.doe.gmail.com`) and numbers cut by words or wide separators
 * (`090_then_1234_then_5678`, `4758tel4620tel7935`) past the pattern rules alone. A name that fails becomes its
 * kind's placeholder (`:name`, `:phone`, `:email`, `:value` …): the event is still counted, under that name.
 */

/** Events have longer names than property values: `Clicked Get Started Button Hero`, 64 characters at most. */
const LIMITS = { maxChars: 64, maxWords: 6, dotted: false } as const;
/** Separators of event names, read as spaces: `Form:_Submission`, `checkout-step-2`, `video.play`. */
const SEPARATORS = /[_\-.:/|]+/gu;
/** A year in a name (`black_friday_2026`) is four numerals that say nothing of a person. */
const YEAR = /(?:^|[^0-9])(?:19|20)[0-9]{2}(?![0-9])/u;
const NUMERAL = /\p{N}/gu;
/** Top-level and mail words that end a spelled address (`jane.doe:at:example.com`). */
const DOMAIN_END = new Set(['com', 'net', 'org', 'jp', 'co', 'ne', 'or', 'io', 'me', 'info', 'biz', 'us', 'uk', 'de', 'example', 'mail']);

/** The e-mail shapes an event name can take once `@` and `.` are gone: `at` words and dotted provider domains. */
function spelledAddress(raw: string, words: readonly string[]): boolean {
  for (let i = 1; i < words.length; i++) {
    const word = words[i] ?? '';
    if (AT_SIGN_WORDS.has(word) && word !== 'at') return true;
    // `at` between a local part and a domain: a provider or a top-level word after it (`Click at footer` is no address).
    if (word === 'at' && words.slice(i + 1, i + 4).some((w) => PROVIDER_WORDS.has(w) || DOMAIN_END.has(w))) return true;
  }
  // A provider's name as a dotted domain with a local part in front (`jane.doe.gmail.com`, `taro.docomo.ne.jp`).
  const lower = raw.toLowerCase();
  for (const provider of PROVIDER_WORDS) {
    const at = lower.indexOf(`.${provider}`);
    if (at > 0 && /\p{L}/u.test(lower.charAt(at - 1)) && !/\p{L}/u.test(lower.charAt(at + provider.length + 1))) return true;
  }
  return false;
}

/** A host-like run with a local part in front (`jane.doeatexample.com`) or the at sign glued in (`yamadaatmarkdocomo`). */
const DOTTED_HOST = /\p{L}[\p{L}\p{N}]*\.[\p{L}\p{N}]+\.(?:com|net|org|jp|co|ne|or|io|me|info|biz|example)(?![\p{L}\p{N}])/iu;
const GLUED_AT = /atmark|attomark|atomark|attomaaku/iu;
/** A honorific glued to a name (`Tanakasama`, `Yamadasensei`); `san` and `kun` end English words too (`artisan`). */
const GLUED_HONORIFIC = /\p{L}{3,}(?:sama|sensei|dono)$/iu;

const DOTTED_PAIR = /\p{L}\.\p{L}/u;
const DOMAIN_TAIL = /\p{L}\.(?:com|net|org|jp|io|me|info|biz|example)$/iu;
/** A dotted local part next to a domain or a provider, with another separator between (`jane.doe:example.com`, `gmail:jane.doe`). */
function dottedLocalPart(form: string): boolean {
  const parts = form.toLowerCase().split(/[^\p{L}\p{N}.]+/u).filter((part) => part !== '');
  if (parts.length < 2 || !parts.some((part) => DOTTED_PAIR.test(part))) return false;
  return parts.some((part) => DOMAIN_TAIL.test(part)) ? parts.filter((part) => DOTTED_PAIR.test(part)).length >= 2
    : parts.some((part) => PROVIDER_WORDS.has(part));
}

function nameVerdict(text: string): string | undefined {
  const form = matchForm(text);
  // Words glued to numbers or by case (`Chiyoda-ku1-1-1`, `MrTakahashi`, `Minato-kuTokyo`) are words too.
  const spaced = form.replace(SEPARATORS, ' ').replace(/(\p{Ll})(?=\p{Lu})|(\p{L})(?=\p{N})|(\p{N})(?=\p{L})/gu, '$1$2$3 ').trim();
  if (GLUED_AT.test(form) || DOTTED_HOST.test(form) || dottedLocalPart(form)) return ':email';
  const marked = markedPersonal(form);
  if (marked !== undefined) return marked;
  if (spaced.split(' ').some((word) => GLUED_HONORIFIC.test(word))) return ':name';
  const pattern = classify(spaced);
  if (pattern !== undefined) return pattern;
  const digits = form.match(NUMERAL)?.length ?? 0;
  // Digits cut apart by words (`4758tel4620tel7935`, `090_then_1234`) are judged by their count alone.
  if (digits > 4 || (digits === 4 && !YEAR.test(form))) return digits >= 7 ? ':phone' : ':value';
  const words = spaced.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w !== '');
  if (spelledAddress(form, words)) return ':email';
  // The year is allowed above; the label rule's numeral limit would count it again.
  const label = digits === 4 ? spaced.replace(NUMERAL, '') : spaced;
  const verdict = labelVerdict(label, LIMITS);
  // Acronyms (`Download_PDF`, `CTA_Click`) spell letter pairs no word has: a token only if it is one without them.
  if (verdict !== ':token') return verdict;
  const without = label.replace(ACRONYM, ' ');
  // Only next to a real word: a name of capitals only (`OGKTP-ISUMZ-VMOCX`) is judged as it is.
  return without !== label && /\p{Ll}{3}/u.test(without) ? labelVerdict(without, LIMITS) : verdict;
}

const ACRONYM = /(?<![\p{L}\p{N}])\p{Lu}{2,4}(?![\p{L}\p{N}])/gu;

/**
 * Sites send a handful of names (`pageview` on nearly every record), so names found clean are remembered; a name
 * that held personal data is not, so the cache holds none. Bounded, cleared when full (as url.ts's caches).
 */
const cleanNames = new Set<string>();
const CLEAN_NAME_CACHE = 5000;

/** A custom event name: unchanged when clean in every reading, else the placeholder of what it holds. */
export function scrubEvent(name: string): string {
  if (cleanNames.has(name)) return name;
  const scrubbed = judgeName(name);
  if (scrubbed === name) {
    if (cleanNames.size >= CLEAN_NAME_CACHE) cleanNames.clear();
    cleanNames.add(name);
  }
  return scrubbed;
}

function judgeName(name: string): string {
  const all = readings(name);
  const pattern = classifyReadings(all);
  if (pattern !== undefined) return pattern;
  for (const text of all) {
    const verdict = nameVerdict(text);
    if (verdict !== undefined) return verdict;
  }
  return name;
}
