import { kanjiDigits } from './canonical.js';

/**
 * Numbers that identify a person: phone numbers (every Japanese national form, `+81`, brackets, any grouping),
 * postal codes, My Number, payment cards, passport numbers and long account or order numbers. They are found as
 * digit runs: digit groups joined by up to three separator characters (any character but a letter), so a number
 * split over path segments or by unusual separators is still one run. Input is a matchForm() text; linear scan.
 */

export type NumberKind = ':phone' | ':postal' | ':card' | ':id';

/** Digits a run needs before it can identify anyone: the shortest Japanese subscriber number with area code is 9, a
 * local number without one 6–8, a postal code 7. Seven and more is what the engine removes. */
export const MIN_DIGITS = 7;
const MAX_SEPARATORS = 3;

/**
 * Anything but a letter, a digit or `%` separates digit groups: the dashes and spaces of every script, `/ _ .`,
 * brackets, and the `?` an encoder writes for a dash it cannot encode. A price (`1,000,000`) reads as a number too.
 */
function isSeparator(char: string): boolean {
  const code = char.charCodeAt(0);
  if (code < 128) return !((code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 37);
  // の and と are how a number is read aloud (090の1234の5678).
  return SPOKEN_SEPARATORS.has(char) || !/[\p{L}\p{M}\p{N}]/u.test(char);
}
const SPOKEN_SEPARATORS = new Set(['の', 'ノ', 'と']);

export interface DigitRun {
  /** Index of the run's first digit, and one past its last, in the text. */
  readonly start: number;
  readonly end: number;
  readonly groups: readonly string[];
  /** The character before the run (`〒`, `+`), '' at the start. */
  readonly before: string;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Every run of digit groups in the text (a matchForm), kanji numerals read as digits, in order. */
export function digitRuns(form: string): DigitRun[] {
  const text = kanjiDigits(form);
  const runs: DigitRun[] = [];
  let i = 0;
  while (i < text.length) {
    if (!isDigit(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    const groups: string[] = [];
    let end = i;
    for (;;) {
      let j = i;
      while (j < text.length && isDigit(text.charCodeAt(j))) j++;
      groups.push(text.slice(i, j));
      end = j;
      let k = j;
      while (k < text.length && k - j < MAX_SEPARATORS && isSeparator(text.charAt(k))) k++;
      if (k > j && k < text.length && isDigit(text.charCodeAt(k))) {
        i = k;
        continue;
      }
      i = j;
      break;
    }
    runs.push({ start, end, groups, before: start > 0 ? text.charAt(start - 1) : '' });
  }
  return runs;
}

const isYear = (g: string): boolean => g.length === 4 && (g.startsWith('19') || g.startsWith('20'));
const isMonth = (g: string): boolean => g.length <= 2 && Number(g) >= 1 && Number(g) <= 12;
const isDay = (g: string): boolean => g.length <= 2 && Number(g) >= 1 && Number(g) <= 31;

/** Y-M-D, D-M-Y or M-D-Y with a four-digit year, as three groups. */
function isDate(a: string, b: string, c: string): boolean {
  return (isYear(a) && isMonth(b) && isDay(c)) || (isYear(c) && ((isDay(a) && isMonth(b)) || (isMonth(a) && isDay(b))));
}

function isCompactDate(g: string): boolean {
  return g.length === 8 && isYear(g.slice(0, 4)) && isMonth(g.slice(4, 6)) && isDay(g.slice(6, 8));
}

/**
 * Digits of the run that are not part of a date: `2026-11-25`, `20261125`, `25/11/2026`, and years or year-months
 * when the run is nothing but dates and years (`2020-2024`). A year inside a phone number (`03-2012-3456`) still
 * counts, so a date rule can no longer swallow a phone number, and `0267-12-0018` is no date (no year).
 */
export function undatedDigits(groups: readonly string[]): number {
  let other = 0;
  let years = 0;
  for (let i = 0; i < groups.length;) {
    const [a, b, c] = [groups[i] ?? '', groups[i + 1], groups[i + 2]];
    if (b !== undefined && c !== undefined && isDate(a, b, c)) i += 3;
    else if (isCompactDate(a)) i += 1;
    else if (b !== undefined && isYear(a) && b.length === 2 && isMonth(b)) i += 2;
    else if (isYear(a)) {
      years += 4;
      i += 1;
    } else {
      other += a.length;
      i += 1;
    }
  }
  return other === 0 ? 0 : other + years;
}

export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const MY_NUMBER_WEIGHTS = [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

/** My Number (個人番号): 12 digits, the last a check digit over the first 11 (weights 6,5,4,3,2,7,6,5,4,3,2). */
export function isMyNumber(digits: string): boolean {
  if (!/^[0-9]{12}$/.test(digits)) return false;
  const sum = MY_NUMBER_WEIGHTS.reduce((acc, w, i) => acc + w * (digits.charCodeAt(i) - 48), 0);
  const remainder = sum % 11;
  const check = remainder <= 1 ? 0 : 11 - remainder;
  return check === digits.charCodeAt(11) - 48;
}

/** What a digit run identifies, or undefined when it is short or only dates. */
export function numberKind(run: DigitRun): NumberKind | undefined {
  const digits = run.groups.join('');
  if (digits.length < MIN_DIGITS || undatedDigits(run.groups) < MIN_DIGITS) return undefined;
  if (digits.length >= 13 && digits.length <= 19 && luhn(digits)) return ':card';
  if (isMyNumber(digits)) return ':id';
  const postalShape = run.groups.length === 2 && run.groups[0]?.length === 3 && run.groups[1]?.length === 4;
  if (run.before === '〒' || (postalShape && run.before !== '+')) return ':postal';
  return digits.length <= 15 ? ':phone' : ':id';
}

/** The first identifying number in a matchForm() text. */
export function findNumber(text: string): NumberKind | undefined {
  for (const run of digitRuns(text)) {
    const kind = numberKind(run);
    if (kind !== undefined) return kind;
  }
  return undefined;
}

/**
 * Numbers spread over several parts (`/090/1234/5678`, `090.1234.5678.example.net`): the parts a number touches,
 * each with the number's kind, when the parts are read joined by `separator`.
 */
export function numbersAcross(forms: readonly string[], separator: string): Map<number, NumberKind> {
  const touched = new Map<number, NumberKind>();
  const joined = forms.join(separator);
  let digits = 0;
  for (let i = 0; i < joined.length && digits < MIN_DIGITS; i++) if (isDigit(joined.charCodeAt(i))) digits++;
  if (digits < MIN_DIGITS && !/[〇零一二三四五六七八九壱弐参肆伍陸漆捌玖]/.test(joined)) return touched;
  const starts: number[] = [];
  forms.reduce((at, form) => (starts.push(at), at + form.length + separator.length), 0);
  for (const run of digitRuns(joined)) {
    const kind = numberKind(run);
    if (kind === undefined) continue;
    starts.forEach((start, i) => {
      if (start < run.end && start + (forms[i]?.length ?? 0) > run.start) touched.set(i, kind);
    });
  }
  return touched;
}
