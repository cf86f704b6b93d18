/**
 * One canonical form before any decision. A URL part can carry personal data in many spellings: percent-encoded
 * once or several times, with malformed escapes around it, as Shift_JIS or EUC-JP bytes, with `+` for spaces, in
 * full-width or compatibility characters, with any of a dozen dashes and spaces, or split by invisible characters.
 * `readings()` turns a raw part into every plausible text it stands for; the detectors judge each one, and a part
 * is kept only when every reading is clean. Everything here is linear in the input's length.
 */

/** Decoding rounds: `%252540` needs three; more than this is an attack, and every round's result is judged. */
const MAX_ROUNDS = 4;
/** Readings per part: each non-UTF-8 byte run forks into UTF-8, Shift_JIS and EUC-JP; bounded so forks stay cheap. */
const MAX_READINGS = 8;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const shiftJis = new TextDecoder('shift_jis');
const eucJp = new TextDecoder('euc-jp');

const ESCAPES = /(?:%[0-9A-Fa-f]{2})+/g;
const PLAIN_ASCII = /^[\x20-\x24\x26-\x2a\x2c-\x7e]*$/; // printable ASCII without % and +

/**
 * Every valid `%XX` run decoded to its bytes, everything else (malformed escapes included) kept as its UTF-8
 * bytes, so one bad escape no longer stops the decoding of the rest. `+` becomes a space in query values.
 */
function percentBytes(text: string, plusAsSpace: boolean): Buffer {
  const source = plusAsSpace ? text.replaceAll('+', ' ') : text;
  const parts: Buffer[] = [];
  let last = 0;
  for (const match of source.matchAll(ESCAPES)) {
    parts.push(Buffer.from(source.slice(last, match.index), 'utf8'), Buffer.from(match[0].replaceAll('%', ''), 'hex'));
    last = match.index + match[0].length;
  }
  parts.push(Buffer.from(source.slice(last), 'utf8'));
  return Buffer.concat(parts);
}

const hexByte = (b: number): string => `%${b.toString(16).toUpperCase().padStart(2, '0')}`;

/** UTF-8 with every byte that is not part of a valid sequence kept as its `%XX` escape (never guessed at). */
function utf8KeepingInvalid(bytes: Buffer): string {
  let out = '';
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i] ?? 0;
    const length = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length > 0 && i + length <= bytes.length) {
      try {
        out += utf8.decode(bytes.subarray(i, i + length));
        i += length;
        continue;
      } catch {
        // not a valid sequence: escape its first byte and go on with the next
      }
    }
    out += hexByte(b);
    i += 1;
  }
  return out;
}

/**
 * The texts a byte string can stand for: itself as UTF-8, or, when it is not valid UTF-8, its valid parts with the
 * other bytes kept escaped, and its Shift_JIS and EUC-JP readings (`%8ER%93c` is 山田 in EUC-JP).
 */
function textsOf(bytes: Buffer): string[] {
  try {
    return [utf8.decode(bytes)];
  } catch {
    return [utf8KeepingInvalid(bytes), shiftJis.decode(bytes), eucJp.decode(bytes)];
  }
}

function needsDecoding(text: string, plusAsSpace: boolean): boolean {
  return (plusAsSpace && text.includes('+')) || /%[0-9A-Fa-f]{2}/.test(text);
}

/**
 * Every reading of a raw URL part, the fully decoded ones first. The part itself is one reading too, so nothing
 * that is visible undecoded can hide behind a decoding that garbles it.
 */
export function readings(raw: string, plusAsSpace = false): string[] {
  if (PLAIN_ASCII.test(raw)) return [raw];
  const seen = new Set<string>([raw]);
  let current = [raw];
  for (let round = 0; round < MAX_ROUNDS && current.length > 0; round++) {
    const next: string[] = [];
    for (const text of current) {
      if (!needsDecoding(text, plusAsSpace)) continue;
      for (const decoded of textsOf(percentBytes(text, plusAsSpace))) {
        if (seen.has(decoded) || seen.size >= MAX_READINGS) continue;
        seen.add(decoded);
        next.push(decoded);
      }
    }
    current = next;
  }
  const all = [...seen].reverse();
  // A `%` that is no escape is noise an attacker adds (`198.51%.100.7`): judged with it removed too.
  const stray = all[0]?.replaceAll('%', '');
  if (stray !== undefined && stray !== all[0]) all.push(stray);
  return all;
}

/**
 * The text to store for a part: decoded as UTF-8 until stable, bytes that are not UTF-8 kept as `%XX` (a Shift_JIS
 * or EUC-JP page name stays escaped: which of the two it is cannot be known), without control or invisible
 * characters, NFC. Only called for parts whose every reading was judged clean.
 */
export function displayForm(raw: string, plusAsSpace = false): string {
  let text = raw;
  for (let round = 0; round < MAX_ROUNDS && needsDecoding(text, plusAsSpace); round++) {
    const decoded = utf8KeepingInvalid(percentBytes(text, plusAsSpace));
    if (decoded === text) break;
    text = decoded;
  }
  return stripInvisible(text).normalize('NFC');
}

// Control characters (C0, C1) and format characters (zero-width space and joiners, soft hyphen, bidi controls,
// BOM): invisible, so an attacker can split `jane@exa\u200Bmple.com` with them; and never part of a page's name.
const INVISIBLE = /[\p{Cc}\p{Cf}]/gu;
// For matching only: also every other default-ignorable character (Hangul fillers, variation selectors, the
// combining grapheme joiner, Khmer inherent vowels) and combining marks (keycaps 0⃣, dots 1̇), which an attacker
// puts between digits. NFKC has already composed the marks that belong to letters (が, é).
const IGNORABLE = /[\p{Default_Ignorable_Code_Point}\p{M}]/gu;

export function stripInvisible(text: string): string {
  return text.replace(INVISIBLE, '');
}

// Every dash, hyphen, minus and prolonged-sound mark (which NFKC leaves alone) is one '-', every space one ' ',
// every full stop one '.'.
const DASHES = /[\p{Pd}\u2212\u02D7\u2043\u207B\u208B\u30FC\uFF70\uFE63\uFF0D\u2796]/gu;
const SPACES = /[\p{Zs}\t\n\v\f\r\u2028\u2029]/gu;
const STOPS = /[\u3002\uFF61\uFF0E\u2024\uFE52]/g;
const KANJI_DIGITS: Readonly<Record<string, string>> = {
  '〇': '0', '零': '0', '一': '1', '二': '2', '三': '3', '四': '4', '五': '5', '六': '6', '七': '7', '八': '8', '九': '9',
  // Daiji, the numerals of contracts and banknotes.
  '壱': '1', '弐': '2', '参': '3', '肆': '4', '伍': '5', '陸': '6', '漆': '7', '捌': '8', '玖': '9',
};
const KANJI_DIGIT = /[〇零一二三四五六七八九壱弐参肆伍陸漆捌玖]/g;

/**
 * Kanji numerals as digits, one character for one, so 〇九〇 is judged as 090 by the number rules (and only there:
 * 一郎 and 健一 are names, not numbers).
 */
export function kanjiDigits(text: string): string {
  return text.replace(KANJI_DIGIT, (c) => KANJI_DIGITS[c] ?? c);
}
const OTHER_DIGIT = /(?![0-9])\p{Nd}/gu;

/** A decimal digit of any script as an ASCII digit: Unicode keeps each script's digits 0–9 in consecutive code points. */
function asciiDigit(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  let value = 0;
  while (value < 9 && /\p{Nd}/u.test(String.fromCodePoint(code - value - 1))) value++;
  return String(value);
}

const FOLDED_ASCII = /^[\x21-\x7e ]*$/;

/**
 * The form detectors match on: invisible characters removed, NFKC (full-width letters, digits, `＠`, `．`, `：`,
 * circled digits), then one class for dashes, spaces and full stops, and ASCII digits for every script's digits.
 */
export function matchForm(text: string): string {
  if (FOLDED_ASCII.test(text)) return text;
  let out = stripInvisible(text).normalize('NFKC').replace(IGNORABLE, '').replace(DASHES, '-').replace(SPACES, ' ')
    .replace(STOPS, '.');
  if (/[^\p{ASCII}]/u.test(out)) out = out.replace(OTHER_DIGIT, asciiDigit);
  return out;
}
