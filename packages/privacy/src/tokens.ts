/**
 * Tokens: session ids, reset links, API keys, JWTs, hashes. "Has a digit" is not the test: a random string is told
 * from words by its shape. Words, slugs and identifiers split into a few long pieces at case and digit boundaries
 * (`getUserProfile`, `iPhone15Pro`, `my-first-post`); random strings split into many one- or two-character pieces
 * (`Kx7QpLmNoPqR` → Kx 7 Qp Lm No Pq R), or are letter runs no language spells (long consonant runs, few vowels).
 * Input is a matchForm() text; every check is a linear scan.
 */

/** Camel-case pieces: an upper-case acronym, a capitalised or lower-case word, or a number. */
const PIECES = /[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+/g;
const HEX = /^[0-9A-Fa-f]+$/;
const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/;

/** A run shorter than this is judged only as part of a longer one. */
const MIN_RUN = 10;
/** A token cut by separators to slip through (`Kx7Q-pLmN-oPqR`) is judged with them removed, from this length. */
const MIN_JOINED = 12;

function randomPieces(pieces: readonly string[]): boolean {
  if (pieces.length < 4) return false;
  const short = pieces.filter((p) => p.length <= 2).length;
  if (short >= 4 && short / pieces.length >= 0.6) return true;
  // Five and more words of three letters or less on average: case flips too often for camel case.
  const words = pieces.filter((p) => !/^[0-9]/.test(p));
  return words.length >= 5 && words.reduce((n, w) => n + w.length, 0) / words.length <= 3;
}

/**
 * How surprising each letter is after another (row: first letter a–z, column: second), in whole bits, in English
 * words and romanised Japanese; made by scripts/build-letter-pairs.py. Words average under 4 bits a pair, random
 * letters over 5: measured, 4.5 keeps 0.5 % of dictionary words of eight letters and more, and finds 97 % of random
 * strings of twelve letters.
 */
const LETTER_PAIRS: readonly string[] = [
  '84447545565342849332565856',
  '25992999389399399458399929',
  '39693991493499299464499969',
  '37851867289577389448377969',
  '45435555665443748224765666',
  '29992499299399299465299969',
  '39992954399475399458399929',
  '28992999299778299665398929',
  '45344545865442449433756965',
  '29992999299999299999299999',
  '37992897298586389748398919',
  '27752779297378379945479939',
  '24892899299857349959399929',
  '37443627386785488733578938',
  '54446545664442449344454856',
  '39992994399499349355399929',
  '79999999799799999999099999',
  '26552768296655369534478939',
  '38492892396556347932396969',
  '38692894299588399324497958',
  '54445544554433649333895955',
  '29990999299899399889689979',
  '27962894297685289558399989',
  '38392884299788428882467559',
  '28882999299777279868299999',
  '29991998299699299999299975',
];
const SURPRISE_THRESHOLD = 4.5;
const MIN_PAIRS = 9;

/**
 * The letters of a run (case folded; digits and short all-capital acronyms such as `XML` cut out) average more
 * surprise per pair than words do.
 */
function unpronounceable(pieces: readonly string[]): boolean {
  const words = pieces.filter((p) => /^[A-Za-z]/.test(p));
  const withoutAcronyms = words.filter((p) => !(p.length <= 5 && p === p.toUpperCase()));
  // Acronyms make words look random (`XMLHttp…`), but cutting them out hides random capitals: both are judged,
  // the whole run against a higher bar.
  return surprise(withoutAcronyms.join('')) >= SURPRISE_THRESHOLD || surprise(words.join('')) >= SURPRISE_THRESHOLD + 0.5;
}

function surprise(text: string): number {
  const letters = text.toLowerCase();
  if (letters.length <= MIN_PAIRS || new Set(letters).size < 6) return 0;
  let bits = 0;
  for (let i = 1; i < letters.length; i++) {
    bits += Number(LETTER_PAIRS[letters.charCodeAt(i - 1) - 97]?.charAt(letters.charCodeAt(i) - 97) ?? 0);
  }
  return bits / (letters.length - 1);
}

/** Letters and digits alternating as no name or model number does: four switches and more, one pair in four. */
function digitsInterleaved(run: string): boolean {
  let switches = 0;
  for (let i = 1; i < run.length; i++) {
    if ((run.charCodeAt(i - 1) <= 57) !== (run.charCodeAt(i) <= 57)) switches++;
  }
  return switches >= 4 && switches / (run.length - 1) >= 0.25;
}

function tokenRun(run: string, joined: boolean): boolean {
  if (run.length < MIN_RUN) return false;
  // All digits is a number (numbers.ts names it: a card, a phone); hex has letters too.
  if (run.length >= 16 && HEX.test(run) && /[0-9]/.test(run) && /[A-Fa-f]/.test(run)) return true;
  // Twenty letters and digits with no separator are no word, whatever their pattern (`00000a000a000000g000`);
  // a slug with its separators cut out (`how-to-use-api-v2-in-5-minutes`) may well be that long.
  if (!joined && run.length >= 20 && /[0-9]/.test(run) && /[A-Za-z]/.test(run)) return true;
  const pieces = run.match(PIECES) ?? [];
  // Words joined across their separators spell pairs no word has (`privacy-faq` → `yf`, `aq`): a joined run is
  // judged by its letters' surprise only when it is long.
  return randomPieces(pieces) || ((!joined || run.length >= 24) && unpronounceable(pieces)) || digitsInterleaved(run);
}

function isAlnum(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function isTokenSeparator(code: number): boolean {
  return code === 45 || code === 95 || code === 46 || code === 43 || code === 61 || code === 126 || code === 32;
}

/**
 * Whether the text holds a token: a JWT, a long hex string, or a random-looking run, also with separators cut out
 * (`Kx7Q-pLmN-oPqR`). One pass over the characters; only runs long enough to be a token are looked at closely.
 */
export function hasToken(text: string): boolean {
  if (text.length < MIN_RUN) return false;
  if (text.includes('eyJ') && JWT.test(text)) return true;
  let start = -1;
  let joined = '';
  let joinedRun = 0;
  for (let i = 0; i <= text.length; i++) {
    const code = i < text.length ? text.charCodeAt(i) : 0;
    if (isAlnum(code)) {
      if (start === -1) start = i;
      continue;
    }
    if (start !== -1) {
      const run = text.slice(start, i);
      if (tokenRun(run, false)) return true;
      joined += run;
      joinedRun++;
      start = -1;
    }
    if (isTokenSeparator(code) && i < text.length) continue;
    // The joined run ends at anything that is not a separator.
    if (joinedRun > 1 && joined.length >= MIN_JOINED && tokenRun(joined, true)) return true;
    joined = '';
    joinedRun = 0;
  }
  return false;
}
