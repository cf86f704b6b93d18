import { classify, type Placeholder } from './pii-patterns.js';

/**
 * Words that mark their neighbours as a person's: the one rule behind URL path segments, allow-listed query values,
 * event names, property values and host labels (red team 3 found each field held to a different list). The input is
 * a matchForm() text; separators of every field (`/ - _ . + ; : ・ |` and spaces) are read as word separators, and
 * case or digit boundaries (`MrTakahashi`, `Roppongi6-10-1`) split words too. Only words that MARK something count
 * (at words, a provider's domain after a local part, honorifics after a name, titles before one, name labels with a
 * name after them, block numbers next to a place): bare names are a documented residual, and ordinary paths
 * (`/blog/at-the-beach`, `/products/samsung-galaxy`) have no marker.
 */

/** Domains whose only business is mailboxes (hosts also use it: host-labels.ts). */
export const MAILBOX_DOMAINS: ReadonlySet<string> = new Set(['gmail.com', 'googlemail.com', 'docomo.ne.jp', 'ezweb.ne.jp',
  'softbank.ne.jp', 'i.softbank.jp', 'au.com', 'icloud.com', 'me.com', 'mac.com', 'hotmail.com', 'hotmail.co.jp', 'ymail.com',
  'protonmail.com', 'proton.me', 'pm.me', 'gmx.net', 'gmx.de', 'gmx.com', 'yandex.ru', 'mail.ru', 'qq.com', 'email.ne.jp',
  'willcom.com', 'pdx.ne.jp', 'disney.ne.jp', 'emobile.ne.jp', 'uqmobile.jp', 'ybb.ne.jp', 'excite.co.jp', 'outlook.com',
  'outlook.jp', 'live.jp', 'yahoo.ne.jp', 'ymobile.ne.jp', 'nifty.com', 'biglobe.ne.jp', 'ocn.ne.jp', 'so-net.ne.jp', 'yahoo.co.jp',
  'aol.com', 'live.com', 'msn.com', 'tutanota.com', 'zoho.com', 'dion.ne.jp', 'plala.or.jp', 'infoseek.jp', 'jcom.home.ne.jp']);
/** Provider names that are a mailbox in a dotted text (`jane.doe.docomo`); not `au`, `me`, `yahoo` (ordinary words too). */
const PROVIDER_NAMES = new Set(['gmail', 'googlemail', 'docomo', 'ezweb', 'softbank', 'nifty', 'biglobe', 'hotmail', 'icloud',
  'protonmail', 'ymail', 'ybb', 'so-net', 'ocn']);
/** Labels in front of a mailbox domain that are its own services (`www.nifty.com`), not a local part. */
export const SERVICE_LABELS: ReadonlySet<string> = new Set(['www', 'm', 'mail', 'webmail', 'smt', 'service', 'id', 'login',
  'accounts', 'account', 'support', 'help', 'imap', 'smtp', 'pop', 'mx', 'web', 'api', 'static', 'cdn', 'news', 'search']);
/** A word after `at` that makes it an address: a provider, or a domain's end. */
const PROVIDER_WORDS = new Set([...PROVIDER_NAMES, 'yahoo', 'outlook', 'aol', 'au', 'icloud', 'mac', 'gmx', 'qq', 'willcom', 'pdx']);
const TLD_WORDS = new Set(['com', 'net', 'org', 'jp', 'info', 'biz', 'io', 'de', 'uk', 'fr', 'ru', 'cn', 'kr']);
/** `at` spelled so that only an address uses it; `at`, `atto`, `a` (ⓐ after NFKC) only with a domain after them. */
const STRONG_AT = new Set(['atmark', 'attomark', 'atomark', 'atmk', 'attomaaku', 'atomaaku', 'atmaak', 'mailto']);
const WEAK_AT = new Set(['at', 'atto', 'a']);

/** Honorifics no English word is: after any word (`Yamada-sama`, `tanaka_hakase`), glued too (`Tanakasama`). */
const STRONG_HONORIFICS = ['sama', 'samma', 'sensei', 'sensee', 'senpai', 'sempai', 'dono', 'hakase', 'kyouju', 'kyoju',
  'shachou', 'shacho', 'buchou', 'bucho', 'kachou', 'kacho', 'saan', 'chama'];
/** Honorifics that are English words or word ends too (`light-tan`, `artisan`): only after a romanised or capitalised name. */
const WEAK_HONORIFICS = ['san', 'kun', 'chan', 'shi', 'han', 'ke', 'tan', 'sn'];
const STRONG_SET = new Set(STRONG_HONORIFICS);
const WEAK_SET = new Set(WEAK_HONORIFICS);
/** Glued on: the strong ones, and `san`, `kun`, `chan` after a romanised name (`yamadasan`, not `partisan`). */
const GLUED_STRONG = new RegExp(`^(\\p{L}{3,})(?:${STRONG_HONORIFICS.join('|')})$`, 'u');
const GLUED_WEAK = /^([a-z]{4,})(?:san|kun|chan)$/;
/** Titles before a name; the lower-case ones that are also ordinary words (`ms-office`, `dr-martens`) only capitalised. */
const TITLES = new Set(['mr', 'mrs', 'mx', 'mister', 'prof', 'madam', 'ms', 'dr', 'miss', 'sir', 'mme', 'mlle']);
const LOWER_TITLES = new Set(['mr', 'mrs', 'mx', 'mister', 'prof']);
/** Name labels: a name follows (`name: Taro Yamada`, `onamae_yamada`, `full_name_Taro_Yamada`). */
const STRONG_LABELS = new Set(['onamae', 'namae', 'shimei', 'fullname', 'firstname', 'lastname', 'surname', 'myname', 'seimei',
  'furigana', 'familyname', 'givenname']);

/** A romanised Japanese word: syllables of Hepburn or Kunrei (`yamada`, `takahashi`, `hattori`), not `light`, `arti`. */
const ROMAJI = /^(?:(?:[kstpc](?=[kstpc]))?(?:(?:ky|gy|sh|ch|ts|ny|hy|by|py|my|ry|j|[kgsztdnhbpmrwyf])?[aeiou]|n(?![aeiouy])))+$/;
const romaji = (word: string): boolean => word.length >= 3 && ROMAJI.test(word.toLowerCase());
const capitalised = (word: string): boolean => /^\p{Lu}/u.test(word);
const JP = '\\p{sc=Han}\\p{sc=Hiragana}\\p{sc=Katakana}ー々';
const jpWord = (word: string): boolean => new RegExp(`^[${JP}]+$`, 'u').test(word);

/** A kanji title after a surname (`山田社長`), not a role (`副社長`, `営業部長`) nor a page (`社長挨拶`). */
const KANJI_TITLE = /(?:^|[^\p{sc=Han}])(\p{sc=Han}{1,3})(?:社長|部長|課長|係長|会長|店長|教授|博士|専務|常務|院長|理事長|署長|議員|御中)(?![\p{sc=Han}])/u;
const NOT_SURNAMES = /^(副|代表|取締役|営業|開発|技術|総務|人事|経理|事業|本|各|新|前|元|総|名誉|次|支|学|准|客員|名|院|室|局|市|区|町|村|県|校|社|組|会|理事|部|課)$/u;
/** A Japanese name with a romaji honorific glued or separated (`山田sama`, `山田 san`). */
const JP_AND_ROMAJI = new RegExp(`[${JP}]{1,8} ?(?:${[...STRONG_HONORIFICS, 'san', 'kun', 'chan'].join('|')})(?![a-z])`, 'iu');

/** Block numbers (`6-10-1`, `6_10_1`) next to a place word (`Roppongi6-10-1`, `6-10-1 Roppongi`): a romanised address. */
const ROMAN_BLOCK = /(?:^|[^0-9])[0-9]{1,2}[-_ +][0-9]{1,4}[-_ +][0-9]{1,3}(?![0-9])/;
const PLACE_BLOCK = /\p{L}{4,}[-_ +]?[0-9]{1,2}[-_ +][0-9]{1,4}[-_ +][0-9]{1,3}(?![0-9])|(?:^|[^0-9])[0-9]{1,2}[-_ +][0-9]{1,4}[-_ +][0-9]{1,3}[-_ +]?\p{L}{4,}/u;
/** A Japanese place, a separator, then a block number (`千代田区 1-1-1`, `六本木_6-10-1`). */
const JP_PLACE_BLOCK = new RegExp(`[${JP}][ _+-]?[0-9]{1,4}[-の+ _][0-9]{1,4}[-の+ _][0-9]{1,4}|[${JP}](?:市|区|町|村|郡)[ _+-]?[0-9]{1,4}[-の+ _][0-9]{1,4}`, 'u');

const WORD_SEPARATORS = /[\s/\-_.+;:・|,()[\]{}<>【】「」『』〈〉《》'"!?*=~]+/gu;

function words(form: string): string[] {
  const spaced = form.replace(/(\p{Ll})(?=\p{Lu})|(\p{Lu})(?=\p{Lu}\p{Ll})|(\p{L})(?=\p{N})|(\p{N})(?=\p{L})/gu, '$1$2$3$4 ');
  return spaced.split(WORD_SEPARATORS).filter((w) => w !== '');
}

/** A provider's domain with a local part dotted in front (`taro.yamada.nifty.com`, `jane.doe.gmail`). */
export function dottedMailbox(lower: string): boolean {
  if (!lower.includes('.')) return false;
  const parts = lower.split(/[^\p{L}\p{N}.-]+/u);
  // A dotted local part, then the provider's domain as a part of its own (`jane.doe gmail.com`, joined values).
  const local = parts.findIndex((part) => /\p{L}\.\p{L}/u.test(part));
  if (local !== -1 && parts.slice(local + 1).some((part) => MAILBOX_DOMAINS.has(part) || PROVIDER_NAMES.has(part.split('.')[0] ?? ''))) return true;
  for (const part of parts) {
    const dots = part.split('.');
    for (let i = 1; i < dots.length; i++) {
      const before = dots[i - 1] ?? '';
      if (!/\p{L}/u.test(before) || SERVICE_LABELS.has(before)) continue;
      const rest = dots.slice(i).join('.');
      if (PROVIDER_NAMES.has(dots[i] ?? '') && (i === dots.length - 1 || TLD_WORDS.has(dots[i + 1] ?? '') || /^(ne|co|or)$/.test(dots[i + 1] ?? ''))) return true;
      for (const domain of MAILBOX_DOMAINS) if (rest === domain || rest.startsWith(`${domain}.`)) return true;
    }
  }
  return false;
}

/** An `at` word between a local part and a domain (`jane.doe at gmail`, `jane.doe【at】ezweb.ne.jp`, `taro atmark docomo`). */
function spelledAt(list: readonly string[]): boolean {
  for (let i = 0; i < list.length; i++) {
    const word = list[i] ?? '';
    if (word === 'mailto' && i + 1 < list.length) return true;
    if (i === 0 || i + 1 >= list.length) continue;
    if (STRONG_AT.has(word)) return true;
    if (!WEAK_AT.has(word)) continue;
    const after = list.slice(i + 1, i + 4);
    if (after.some((w) => PROVIDER_WORDS.has(w))) return true;
    if (after.some((w, k) => k > 0 && TLD_WORDS.has(w))) return true;
  }
  return false;
}

function honorific(original: readonly string[], host: boolean): boolean {
  for (let i = 0; i < original.length; i++) {
    const word = original[i] ?? '';
    const lower = word.toLowerCase();
    const before = original[i - 1];
    if (before !== undefined && /\p{L}/u.test(before)) {
      if (STRONG_SET.has(lower)) return true;
      if (WEAK_SET.has(lower) && (romaji(before) || jpWord(before) || (!host && i === original.length - 1 && capitalised(before) && before.length >= 3))) return true;
    }
    const next = original[i + 1];
    if (next !== undefined && /^\p{L}{2,}$/u.test(next) && TITLES.has(lower)) {
      if (word !== lower || (LOWER_TITLES.has(lower) && romaji(next))) return true;
    }
    if (STRONG_LABELS.has(lower) && next !== undefined && /^\p{L}{2,}$/u.test(next)) return true;
    // `name` is an ordinary word (`edit_name`, `name-your-price`): only with a capitalised name or two romaji words after.
    if ((lower === 'name' || lower === 'names') && next !== undefined) {
      const rest = original.slice(i + 1, i + 3);
      if (capitalised(next) && /^\p{L}{2,}$/u.test(next) && !host) return true;
      if (rest.length === 2 && rest.every(romaji)) return true;
      if (lower === 'name' && original[i - 1]?.toLowerCase() === 'full') return true;
    }
    const glued = GLUED_STRONG.exec(lower);
    if (glued !== null && (romaji(glued[1] ?? '') || capitalised(word) || host)) return true;
    const weak = GLUED_WEAK.exec(lower);
    if (weak !== null && romaji(weak[1] ?? '')) return true;
  }
  return false;
}

function kanjiTitle(form: string): boolean {
  const match = KANJI_TITLE.exec(form);
  return match !== null && !NOT_SURNAMES.test(match[1] ?? '');
}

/**
 * The placeholder a marker word earns its text, or undefined. `host`: a host label (lower case only, so a name is
 * told by being romanised, and e-mail spelled with dashes `jane-doe-example-com` counts).
 */
export function markedPersonal(form: string, host = false): Placeholder | undefined {
  const lower = form.toLowerCase();
  const list = words(form);
  const lowerList = list.map((w) => w.toLowerCase());
  if (spelledAt(lowerList) || dottedMailbox(lower)) return ':email';
  if (host && dashedAddress(lowerList)) return ':email';
  if (/[0-9]/.test(form) && (JP_PLACE_BLOCK.test(form) || (ROMAN_BLOCK.test(form) && PLACE_BLOCK.test(form)))) return ':address';
  if (honorific(list, host)) return ':name';
  if (!/^[\p{ASCII}]*$/u.test(form)) {
    if (kanjiTitle(form) || JP_AND_ROMAJI.test(form)) return ':name';
    // Separators between a name and its honorific (`山田-様`, `Yamada・さん`) are spaces to the pattern rules.
    const spaced = form.replace(WORD_SEPARATORS, ' ');
    if (spaced !== form) {
      const verdict = classify(spaced);
      if (verdict === ':name' || verdict === ':address' || verdict === ':email') return verdict;
    }
  }
  return undefined;
}

/** An address spelled with dashes in one label: `jane-doe-example-com`, `taro-yamada-me-com`, `taro-yamada-so-net-ne-jp`. */
function dashedAddress(list: readonly string[]): boolean {
  if (list.length < 3) return false;
  for (const domain of MAILBOX_DOMAINS) {
    const parts = domain.split(/[.-]/);
    if (list.length > parts.length && list.slice(-parts.length).join('.') === parts.join('.')) return true;
  }
  const last = list[list.length - 1] ?? '';
  return TLD_WORDS.has(last) && list.length >= 4;
}

/** Words that only mark a neighbour: a value of nothing else (`sama`, `様`, `@gmail.com`) is judged with the others. */
const MARKER_WORDS = new Set([...STRONG_HONORIFICS, ...WEAK_HONORIFICS, ...TITLES, ...STRONG_LABELS, 'name', ...STRONG_AT, ...WEAK_AT,
  ...PROVIDER_WORDS, ...TLD_WORDS, 'co', 'ne', 'or', 'ku', 'chome', 'choume', 'banchi', 'shi', 'cho', 'machi', 'mura', 'gun', 'ken']);
const JAPANESE_MARKER = /^(?:様|さま|サマ|さん|サン|殿|どの|君|くん|ちゃん|氏|先生|御中|宛|社長|部長|課長|丁目|番地|号|区|市|町|村|都|道|府|県)+$/u;

export function isMarker(form: string): boolean {
  const list = words(form.toLowerCase());
  return list.length > 0 && list.every((w) => MARKER_WORDS.has(w) || JAPANESE_MARKER.test(w));
}
