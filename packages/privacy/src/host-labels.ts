import { matchForm } from './canonical.js';
import { classify } from './pii-patterns.js';
import {
  ADDRESS_WORDS, AT_SIGN_WORDS, HONORIFIC_WORDS, JAPANESE_ADDRESS, JAPANESE_NAME, NAME_LABEL_WORDS, NUMERAL, PROVIDER_WORDS, SCRIPTS,
} from './props-label.js';
import { markedPersonal } from './markers.js';
import { hasToken } from './tokens.js';

/**
 * The label rule of host names: the one judge behind the page host, the referrer host, the site and the outbound
 * link's host (hosts.ts calls it for every label of every host). A red team put honorifics (`yamada-san.example.com`),
 * addresses (`roppongi-6-10-1.`, 千代田区 in punycode), kanji names (山田太郎 in punycode), e-mail local parts in front
 * of a mailbox provider (`jane.doe.docomo.ne.jp`, `janedoe.gmail.com`), numbers cut by words (`4758tel4620tel7935`)
 * and random words past a per-label pattern check; each is a class refused here as a whole. Input labels are in
 * their Unicode form (punycode decoded by the caller).
 */

/** Second-level labels under a two-letter country code that are a public suffix (`co.jp`, `ne.jp`, `com.au`). */
const SECOND_LEVEL = new Set(['co', 'ne', 'or', 'ac', 'go', 'ed', 'gr', 'lg', 'ad', 'com', 'net', 'org', 'gov', 'edu', 'mil', 'gob',
  'nic', 'ltd', 'plc', 'sch', 'nhs', 'info', 'biz', 'int', 'nom', 'web']);

/** How many labels at the end are the public suffix: `jp` is one, `co.jp` two. */
export function suffixLength(labels: readonly string[]): number {
  const tld = labels[labels.length - 1] ?? '';
  const second = labels[labels.length - 2] ?? '';
  return labels.length >= 3 && /^[a-z]{2}$/.test(tld) && SECOND_LEVEL.has(second) ? 2 : 1;
}

/**
 * Domains whose only business is mailboxes: a label in front of one is a local part (`janedoe.gmail.com`), unless it
 * is one of the providers' own service names. Portals that also host mail (`yahoo.co.jp`, `outlook.com`) are not
 * here: their subdomains are services (`news.yahoo.co.jp`); the label rule judges those.
 */
const MAILBOX_DOMAINS = new Set(['gmail.com', 'googlemail.com', 'docomo.ne.jp', 'ezweb.ne.jp', 'softbank.ne.jp', 'i.softbank.jp',
  'au.com', 'icloud.com', 'me.com', 'mac.com', 'hotmail.com', 'hotmail.co.jp', 'ymail.com', 'protonmail.com', 'proton.me',
  'pm.me', 'gmx.net', 'gmx.de', 'gmx.com', 'yandex.ru', 'mail.ru', 'qq.com', 'email.ne.jp', 'willcom.com', 'pdx.ne.jp',
  'disney.ne.jp', 'emobile.ne.jp', 'uqmobile.jp', 'ybb.ne.jp', 'excite.co.jp', 'outlook.com', 'outlook.jp', 'live.jp', 'yahoo.ne.jp',
  'ymobile.ne.jp']);
const MAILBOX_SERVICE_LABELS = new Set(['www', 'm', 'mail', 'webmail', 'smt', 'service', 'id', 'login', 'accounts', 'account',
  'support', 'help', 'imap', 'smtp', 'pop', 'mx', 'web', 'api', 'static', 'cdn']);

/** Address words that are ordinary alone (`gun`, `ken`, `ward`) but an address next to a place (`minato-ku`). */
const PLACE_UNITS = new Set([...ADDRESS_WORDS, 'shi', 'cho', 'machi', 'mura']);
const ALWAYS_ADDRESS = new Set(['chome', 'choume', 'cyoume', 'banchi', 'bangi', 'goushitsu', 'prefecture']);
const CJK = /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]/u;
/** A municipality by its shape: kanji or kana before 市 区 町 村 郡 (千代田区, 横浜市). */
const MUNICIPALITY = /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}ー々]{1,8}[市区町村郡]/u;

/** Digits a host may hold below its public suffix, in one label and over all (`s3`, `web2`, `365`, `123rf`). */
const MAX_LABEL_NUMERALS = 3;
const MAX_HOST_NUMERALS = 6;

/** Digits spelled as words (`zero-nine-zero-one`), English and romaji. */
const NUMBER_WORDS = new Set(['zero', 'oh', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'rei', 'maru',
  'ichi', 'ni', 'yon', 'go', 'roku', 'nana', 'shichi', 'hachi', 'kyu', 'kyuu']);
/** Numerals, and digits spelled as words, in a label or several. */
const numerals = (text: string): number => (text.match(NUMERAL)?.length ?? 0)
  + text.toLowerCase().split(/[^\p{L}]+/u).filter((word) => NUMBER_WORDS.has(word)).length;

/** One label's verdict: a placeholder, or undefined for a clean label. `sub`: below the registrable domain. */
function labelVerdict(label: string, sub: boolean): string | undefined {
  const form = matchForm(label).toLowerCase();
  const pattern = classify(form);
  // A registrable name is a brand (`duckduckgo`): letter-pair surprise alone does not make it a token.
  if (pattern !== undefined && (pattern !== ':token' || sub || /[0-9]/.test(form) || form.length >= 16)) return pattern;
  const digits = numerals(form);
  if (digits > MAX_LABEL_NUMERALS) return digits >= 7 ? ':phone' : ':value';
  // Three groups of digits next to a word: a block number (`1-1-1-chiyoda`, `roppongi-6-10-1`).
  if ((form.match(/[0-9]+/g)?.length ?? 0) >= 3 && /\p{L}{3}/u.test(form)) return ':address';
  // Marker words (markers.ts), shared with paths, values, event names and props: glued honorifics, dashed e-mail …
  const marked = markedPersonal(form, true);
  if (marked !== undefined) return marked;
  const glued = form.replace(/[^\p{L}\p{N}]+/gu, '');
  if (JAPANESE_NAME.test(glued)) return ':name';
  if (JAPANESE_ADDRESS.test(glued) || MUNICIPALITY.test(glued)) return ':address';
  // Below the registrable domain, Japanese script is somebody's name or place far more often than a service's
  // (IDN subdomains are next to unused): 山田太郎.example.com, やまだ.example.com.
  if (sub && CJK.test(form)) return ':value';
  const words = form.split(/[^\p{L}\p{N}]+/u).filter((w) => w !== '');
  for (const word of words) if (SCRIPTS.filter((script) => script.test(word)).length > 1) return ':value';
  const many = words.length > 1;
  for (const word of words) {
    if (many && (AT_SIGN_WORDS.has(word) || PROVIDER_WORDS.has(word))) return ':email';
    if (many && HONORIFIC_WORDS.has(word) && honorificPlace(word, words)) return ':name';
    if (NAME_LABEL_WORDS.has(word)) return ':name';
    if (ALWAYS_ADDRESS.has(word) || (many && PLACE_UNITS.has(word))) return ':address';
  }
  // Spelled out a letter or two at a time (`t-a-r-o-y-a-m-a-d-a`).
  if (words.filter((w) => w.length <= 2).length >= 4) return ':value';
  // Random letters with their separators cut out (`ogktp-isumz-vmocx`); one word alone is judged by the pattern
  // rules only (a registrable name is a brand: `duckduckgo`).
  const letters = words.join('');
  if (words.length > 1 && /^[a-z0-9]+$/.test(letters) && hasToken(letters)) return ':token';
  return undefined;
}

/** Titles come before a name (`mr-tanaka`), Japanese honorifics after it (`yamada-san`): `san-diego` is a place. */
const TITLES = new Set(['mr', 'mrs', 'ms', 'miss', 'dr', 'prof', 'sir', 'madam', 'mister']);
function honorificPlace(word: string, words: readonly string[]): boolean {
  return TITLES.has(word) ? words.indexOf(word) < words.length - 1 : words.lastIndexOf(word) > 0;
}

/**
 * The labels of a host (Unicode form, lower case) as judged: each clean label as it is, each other one its
 * placeholder. The public suffix is not judged. Rules that look across labels: a mailbox provider's domain with
 * labels in front, an honorific or address unit that is a label of its own (`yamada.san.example.com`), letters
 * spelled one label at a time (`ta.ro.ya.ma.da.example`), and more digits over all labels than a host name has.
 */
export function judgeHostLabels(labels: readonly string[]): string[] {
  const out = [...labels];
  const suffix = suffixLength(labels);
  const registrable = labels.length - suffix - 1;
  for (let i = 0; i <= registrable; i++) out[i] = labelVerdict(labels[i] ?? '', i < registrable) ?? out[i] ?? '';
  // A provider's name where the top-level domain goes (`jane.doe.gmail`): a mailbox, not a host.
  if (labels.length > 1 && PROVIDER_WORDS.has(labels[labels.length - 1] ?? '')) return labels.map(() => ':email');
  for (const domain of MAILBOX_DOMAINS) {
    const parts = domain.split('.').length;
    // Anywhere in the name, not only at its end: `jane.doe.gmail.com.example.org` names the mailbox too.
    for (let at = 1; at + parts <= labels.length; at++) {
      if (labels.slice(at, at + parts).join('.') !== domain) continue;
      for (let i = 0; i < at; i++) if (!MAILBOX_SERVICE_LABELS.has(labels[i] ?? '')) out[i] = ':email';
    }
  }
  for (let i = 0; i <= registrable; i++) {
    const label = labels[i] ?? '';
    const word = label.toLowerCase();
    // An honorific, title, at sign or place unit as a label of its own marks its neighbours (`mr.tanaka`).
    const kind = HONORIFIC_WORDS.has(word) ? ':name' : AT_SIGN_WORDS.has(word) ? ':email' : PLACE_UNITS.has(word) && i > 0 ? ':address' : undefined;
    const near = [i - 1, i + 1].filter((k) => k >= 0 && k < registrable);
    if (kind === undefined || near.length === 0) continue;
    for (const k of [i, ...near]) out[k] = kind;
  }
  // A label that spells an address (`yamada-atmark-docomo`) has the local part's first half in front (`taro.`).
  for (let i = registrable - 1; i >= 0; i--) if (out[i + 1] === ':email' && out[i] === labels[i] && !MAILBOX_SERVICE_LABELS.has(labels[i] ?? '')) out[i] = ':email';
  // Three short labels in a row spell something out rather than name services.
  for (let i = 0; i + 2 < registrable; i++) {
    if ([0, 1, 2].every((k) => (labels[i + k] ?? '').length <= 2)) for (const k of [0, 1, 2]) out[i + k] = ':value';
  }
  // Digits left in clean labels, over all of them (`090.1234x.5678y.example.com`).
  const clean = labels.map((label, i) => (i <= registrable && out[i] === label ? numerals(matchForm(label)) : 0));
  if (clean.reduce((sum, n) => sum + n, 0) > MAX_HOST_NUMERALS) clean.forEach((n, i) => {
    if (n > 0) out[i] = ':phone';
  });
  return out;
}
