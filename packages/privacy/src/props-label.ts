import { hasToken } from './tokens.js';

/**
 * What a kept property value must be: a short label (`pro`, `dark mode`, `variant-b`, `有料プラン`, `2.4.1`). A property
 * is categorical by nature, so the rule is structural instead of a search for each kind of personal data: anything
 * longer, with more numerals, more words, or the words that mark a name, an address or a spelled e-mail, is
 * replaced. A red team got romanised addresses (`Roppongi 6-10-1`), spelled e-mails (`jane.doe atmark gmail.com`),
 * romaji honorifics (`Yamada-san`), name labels (`name: Taro Yamada`), numbers with wide or unusual separators
 * (`090ㅡ1234ㅡ5678`, `❾⓿`, `090号1234`) and random words (`ogktp-isumz-vmocx`) past the pattern rules alone; each is a
 * class this rule refuses as a whole. What it cannot see is a bare name (`Taro Yamada`): a site that needs
 * certainty lists no free-text keys.
 */

/** Code points, after NFKC: a label is short. */
const MAX_CHARS = 40;
/** A label has few words; a sentence is where names and addresses go. */
const MAX_WORDS = 3;
/**
 * Numerals of every kind (any script's digits, circled and dingbat digits, Hangzhou and kanji numerals): a version
 * has three, every phone, postal code, card, id or IP address has more, also when cut into pieces by anything.
 */
const MAX_NUMERALS = 3;
export const NUMERAL = /[\p{N}〇零一二三四五六七八九十百千万億壱弐参肆伍陸漆捌玖拾]/gu;
/** A run of Japanese or Chinese characters longer than a label's (random kana or kanji is an identifier too). */
const LONG_CJK = /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}ー]{12,}/u;
/** Letters of more than one of these scripts in one word: a homoglyph (`Chiyoda-кu`, a Cyrillic `е` in a UUID). */
export const SCRIPTS = [/\p{sc=Latin}/u, /\p{sc=Cyrillic}/u, /\p{sc=Greek}/u, /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]/u];
/**
 * A full stop between letters: a host name (`example.co.jp`) or an e-mail's local part (`jane.doe`), also with the
 * at sign glued in (`jane.doeａｔexample.com`). Labels do not have them; versions (`2.4.1`) are digits.
 */
const DOTTED = /\p{L}\.\p{L}/u;

/** `jane.doe atmark gmail.com`, `jane.doe at docomo`: the at sign spelled as a word. */
export const AT_SIGN_WORDS: ReadonlySet<string> = new Set(['at', 'atmark', 'atto', 'attomark', 'atomark', 'atmk', 'attomaaku', 'atomaaku']);
/** Mail providers named next to a local part (`janedoe gmail`), the carriers' too (`docomo`, `ezweb`). */
export const PROVIDER_WORDS: ReadonlySet<string> = new Set(['gmail', 'googlemail', 'yahoo', 'ymail', 'hotmail', 'outlook', 'icloud',
  'docomo', 'ezweb', 'softbank', 'au', 'nifty', 'biglobe', 'ocn', 'protonmail', 'aol']);
const AT_WORDS = new Set([...AT_SIGN_WORDS, ...PROVIDER_WORDS]);
/** Romaji honorifics and titles: a person's name is next to them. */
export const HONORIFIC_WORDS: ReadonlySet<string> = new Set([
  'san', 'sama', 'kun', 'chan', 'sensei', 'sensee', 'dono', 'senpai', 'sempai', 'shi', 'tan', 'sn',
  'mr', 'mrs', 'ms', 'miss', 'dr', 'prof', 'sir', 'madam', 'mister',
]);
/** Name labels that say the next word is a name; `name` alone is also an ordinary word of event names and hosts. */
export const NAME_LABEL_WORDS: ReadonlySet<string> = new Set(['namae', 'shimei', 'fullname', 'firstname', 'lastname', 'surname', 'myname']);
/** Words that mark a person: romaji honorifics, titles, name labels. */
const NAME_WORDS = new Set([...HONORIFIC_WORDS, ...NAME_LABEL_WORDS, 'name', 'names']);
/** Words of a romanised Japanese address (`Chiyoda-ku`, `6-chome`, `Minato ward`). */
export const ADDRESS_WORDS: ReadonlySet<string> = new Set(['chome', 'choume', 'cyoume', 'banchi', 'bangi', 'ku', 'ward', 'gun', 'ken', 'prefecture', 'goushitsu']);
/** The same as characters: honorifics, name and contact labels, address units, in any place of the value. */
export const JAPANESE_NAME = new RegExp([
  '[様樣檨羕殿宛君氏故]', 'さま', 'さん', 'くん', 'ちゃん', 'たん', 'っち', 'サマ', 'サン', 'クン', 'チャン', 'ちゃま',
  '先生', 'せんせい', 'あて', '御中', '名前', 'なまえ', '氏名', '担当', '主人', '電話', 'でんわ', '携帯', 'メール', '連絡先',
].join('|'), 'u');
export const JAPANESE_ADDRESS = /住所|丁目|番地|番町|号室|号棟|ハイツ|マンション|アパート|コーポ|レジデンス|[荘階棟]|[0-9]+f$|[都道府県].*[市区町村郡]|[市区町村郡].*[0-9〇一二三四五六七八九十]/iu;

/**
 * How long a label may be. A property value (the default) is short and has no full stop between letters; an event
 * name (event-name.ts) may be longer, is namespaced with dots (`video.play`), may say `name` (`edit_name`) and a
 * provider (`Login with Yahoo`): its spelled addresses are judged there.
 */
export interface LabelLimits {
  readonly maxChars: number;
  readonly maxWords: number;
  readonly dotted: boolean;
}
const VALUE_LIMITS: LabelLimits = { maxChars: MAX_CHARS, maxWords: MAX_WORDS, dotted: true };
const NAME_WORDS_OF_NAMES = new Set([...HONORIFIC_WORDS, ...NAME_LABEL_WORDS]);
/** `at` alone is an English word of event names (`Click at footer`); event-name.ts judges it by what follows. */
const SPELLED_AT = new Set([...AT_SIGN_WORDS].filter((w) => w !== 'at'));

/**
 * The placeholder for a value that is no label, or undefined for a label. `form` is the value's match form (NFKC,
 * invisible characters removed, dashes and spaces folded); the caller has already run the pattern rules.
 */
export function labelVerdict(form: string, limits: LabelLimits = VALUE_LIMITS): string | undefined {
  if ([...form].length > limits.maxChars) return ':value';
  if ((form.match(NUMERAL)?.length ?? 0) > MAX_NUMERALS) return ':value';
  // Spaces and separators between the characters (`さ ま`) hide nothing.
  const glued = form.replace(/[^\p{L}\p{N}]+/gu, '');
  if (JAPANESE_NAME.test(glued)) return ':name';
  if (JAPANESE_ADDRESS.test(glued)) return ':address';
  if (LONG_CJK.test(form) || (limits.dotted && DOTTED.test(form))) return ':value';
  const words = form.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w !== '');
  if (words.length > limits.maxWords) return ':value';
  const atWords = limits.dotted ? AT_WORDS : SPELLED_AT;
  const nameWords = limits.dotted ? NAME_WORDS : NAME_WORDS_OF_NAMES;
  for (const word of words) {
    if (atWords.has(word) && (limits.dotted || words.length > 1)) return ':email';
    if (nameWords.has(word)) return ':name';
    if (ADDRESS_WORDS.has(word)) return ':address';
    if (SCRIPTS.filter((script) => script.test(word)).length > 1) return ':value';
  }
  // Random letters with their separators cut out (`ogktp-isumz-vmocx` → one run): judged as one run of letters.
  const letters = words.join('');
  if (/^[a-z0-9]+$/.test(letters) && hasToken(letters)) return ':token';
  return undefined;
}
