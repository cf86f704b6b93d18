import { kanjiDigits } from './canonical.js';

/**
 * Japanese addresses and names, found by structure rather than by a list of names (none could be complete):
 * a prefecture followed by a municipality, block numbers (`1丁目2番3号`, `2番地`), a municipality followed by
 * `1-2-3`, romanised `Chiyoda-ku` with a block number; and a name by its honorific (`山田様`, `田中さん`) or
 * Western title (`Mr. Smith`). Input is a matchForm() text (kanji numerals are already digits).
 */

const PREFECTURES = [
  '北海道', '青森', '岩手', '宮城', '秋田', '山形', '福島', '茨城', '栃木', '群馬', '埼玉', '千葉', '東京', '神奈川',
  '新潟', '富山', '石川', '福井', '山梨', '長野', '岐阜', '静岡', '愛知', '三重', '滋賀', '京都', '大阪', '兵庫',
  '奈良', '和歌山', '鳥取', '島根', '岡山', '広島', '山口', '徳島', '香川', '愛媛', '高知', '福岡', '佐賀', '長崎',
  '熊本', '大分', '宮崎', '鹿児島', '沖縄',
];

const JAPANESE = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}ー々';
// A prefecture and a municipality with a number after them; without a number it is an area page, not an address.
const PREFECTURE_AND_CITY = new RegExp(`(${PREFECTURES.join('|')})(都|道|府|県)?[${JAPANESE}]{1,12}?(市|区|町|村|郡).{0,16}[0-9]`, 'u');
const BLOCK = /[0-9]+ ?(丁目|番地|番町)|[0-9]+ ?番 ?[0-9]+ ?号?|[0-9]+ ?号室/u;
// A place name directly followed by a block number: 丸の内1-2-3, 神南1+2+3, 千代田1の2の3.
const PLACE_AND_BLOCK = new RegExp(`[${JAPANESE}][0-9]{1,4}[-の+ ][0-9]{1,4}([-の+ ][0-9]{1,4})?`, 'u');
const CITY_AND_NUMBER = new RegExp(`[${JAPANESE}](市|区|町|村|郡)[${JAPANESE}]{0,12}[0-9]{1,4}`, 'u');
const ROMANISED = /[a-z]+[-+ _](ku|shi|gun|cho|machi|mura)\b/i;
const ROMANISED_BLOCK = /\b[0-9]{1,4}[-+ ][0-9]{1,4}([-+ ][0-9]{1,4})?\b/;

/** A Japanese postal address, or part of one that narrows it to a building. Kanji numerals count as digits. */
export function hasAddress(form: string, ascii: boolean): boolean {
  if (!ascii) {
    const text = kanjiDigits(form);
    if (/[0-9]/.test(text) && (BLOCK.test(text) || PLACE_AND_BLOCK.test(text) || CITY_AND_NUMBER.test(text) || PREFECTURE_AND_CITY.test(text))) return true;
  }
  return ROMANISED.test(form) && ROMANISED_BLOCK.test(form);
}

// A word followed by an honorific is somebody's name: 山田様, 田中さん, 佐藤殿, やまだ君, 鈴木ちゃん, 高橋氏.
// The honorific may be followed by a particle or a word of address (山田様へ, 田中さんの, 鈴木様専用), not by more
// of a word (様式, 様子, さんぽ).
const HONORIFIC = new RegExp(`([${JAPANESE}\\p{L}]{1,12}) ?(様|さま|サマ|さん|サン|殿|どの|君|くん|ちゃん|氏|先生)(?=$|[^${JAPANESE}]|[へのにがはともよ専宛用])`, 'gu');
// Words that end like a name but are not one: specification, likewise, pattern, diverse, everyone, customer, god …
const NOT_NAMES = /(仕様|同様|模様|多様|異様|皆様|客様|神様|王様|奥様|有様|仏様|皆さん|みなさん|各位殿|の先生)$/u;
// A name given as one: 氏名=…, お名前…, sei=山田.
const LABELLED = /(氏名|お名前|名前|フリガナ|ふりがな|(^|[^a-z])(sei|mei|name|fullname|full_name)=)[:=：]?[ ]?\p{L}{2,}/iu;
const TITLE = /(^|[^A-Za-z])(([Mm][Rr][Ss]?|[Mm][Ss]|[Mm]iss|[Mm][Xx]|[Dd][Rr])\.[ _-]?\p{L}{2,}|(Mr|Mrs|Ms|Miss|Mx|Dr)[ _-]\p{Lu}\p{Ll}+)/u;

/** A person's name marked as one by an honorific or a title. */
export function hasName(text: string, ascii: boolean): boolean {
  if (!ascii) for (const match of text.matchAll(HONORIFIC)) if (!NOT_NAMES.test(`${match[1] ?? ''}${match[2] ?? ''}`)) return true;
  return TITLE.test(text) || LABELLED.test(text);
}
