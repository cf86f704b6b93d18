import { readingsOf } from './decode.js';

/**
 * The audit's own detector, independent of the privacy engine: it imports none of the engine's rules and decides
 * with deliberately simpler, broader ones, so that a value the engine's rules miss (a bug, a blind spot, a rule
 * switched off) is still found here. It errs towards reporting: a finding is for a person to look at.
 */
export type DetectorKind = 'digits' | 'at-sign' | 'ip' | 'token' | 'rare-identifier';

export interface Detection {
  readonly kind: DetectorKind;
  /** How the value was read when the rule fired (`stored`, `percent`, `percent, base64` …). */
  readonly reading: string;
  /** The part that fired, for the masked sample. */
  readonly part: string;
}

export const MIN_DIGITS = 7;

/** Digit groups joined by any characters that are neither letters nor digits: separators are not counted. */
const DIGIT_RUN = /[0-9](?:[^\p{L}\p{N}]*[0-9])*/gu;
/** A calendar date (1990–2099), written with or without separators: the declared shape of dated paths. */
const DATE = /^(19[89][0-9]|20[0-9]{2})[^\p{L}\p{N}]?(0[1-9]|1[0-2])[^\p{L}\p{N}]?(0[1-9]|[12][0-9]|3[01])$/u;

/** Dash-like letters (the long-vowel mark) separate digit groups as dashes do. */
const DASH_LETTERS = /[ー〜～]/gu;

function digitFinding(text: string): string | undefined {
  for (const [run] of text.replace(DASH_LETTERS, '-').matchAll(DIGIT_RUN)) {
    const digits = run.replace(/[^0-9]/g, '');
    if (digits.length >= MIN_DIGITS && !(digits.length === 8 && DATE.test(run))) return run;
  }
  return undefined;
}

const AT_LIKE = /[@＠﹫]|[\p{L}\p{N}][★☆][\p{L}\p{N}]|[([{<]\s*at\s*[)\]}>]|アットマ[ーｰ]ク|あっとま[ーｰ]く|(^|[^a-z])at[ ._-]+[a-z0-9-]+[ ._-]+dot[ ._-]/iu;

function atFinding(text: string): string | undefined {
  return AT_LIKE.exec(text)?.[0];
}

const IPV4_LIKE = /(^|[^0-9])([0-9]{1,3})([^\p{L}\p{N}])([0-9]{1,3})\3([0-9]{1,3})\3([0-9]{1,3})(?![0-9])/gu;
const IPV6_LIKE = /(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}/g;

function ipFinding(text: string): string | undefined {
  for (const m of text.matchAll(IPV4_LIKE)) {
    if ([m[2], m[4], m[5], m[6]].every((o) => Number(o) <= 255)) return m[0].replace(/^[^0-9]/, '');
  }
  for (const [m] of text.matchAll(IPV6_LIKE)) {
    const groups = m.split(':');
    const filled = groups.filter((g) => g !== '').length;
    if (/[0-9]/.test(m) && filled >= 2 && (m.includes('::') || groups.length === 8)) return m;
  }
  return undefined;
}

const JWT_LIKE = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\./;

/** Letters in both cases as random strings mix them: no camel-case word has a third of its letters upper-case. */
function mixedCase(run: string): boolean {
  const upper = (run.match(/[A-Z]/g) ?? []).length;
  const lower = (run.match(/[a-z]/g) ?? []).length;
  return run.length >= 12 && upper >= 4 && lower >= 3 && upper / (upper + lower) >= 0.25;
}

function tokenFinding(text: string): string | undefined {
  const jwt = JWT_LIKE.exec(text);
  if (jwt !== null) return jwt[0];
  for (const [run] of text.matchAll(/[A-Za-z0-9]+/g)) {
    if (run.length >= 24) return run;
    if (run.length >= 16 && /[0-9]/.test(run) && /[A-Za-z]/.test(run)) return run;
    if (mixedCase(run)) return run;
  }
  // A token cut into pieces by URL-safe separators (a UUID, `Kx7Q-pLmN_oPqR`), judged joined: all hex, or mixed
  // case. A slug joined is lower-case words, which neither is.
  for (const [run] of text.matchAll(/[A-Za-z0-9]+(?:[-_.~+=]+[A-Za-z0-9]+)+/g)) {
    const joined = run.replace(/[^A-Za-z0-9]/g, '');
    if (joined.length >= 16 && /^[0-9A-Fa-f]+$/.test(joined) && /[0-9]/.test(joined) && /[A-Fa-f]/.test(joined)) return run;
    if (mixedCase(joined)) return run;
    if (joined.length >= 16 && /[A-Za-z][0-9]+[A-Za-z]/.test(joined) && (joined.match(/[A-Z]/g) ?? []).length >= 2) return run;
  }
  return undefined;
}

/** For a value only one visitor-day ever produced, a lower bar: short mixed runs and five digits. */
function rareFinding(text: string): string | undefined {
  for (const [run] of text.matchAll(/[A-Za-z0-9]{10,}/g)) {
    if ((run.match(/[0-9]/g) ?? []).length >= 2 && (run.match(/[A-Za-z]/g) ?? []).length >= 2) return run;
  }
  for (const [run] of text.matchAll(DIGIT_RUN)) {
    if (run.replace(/[^0-9]/g, '').length >= 5 && !DATE.test(run)) return run;
  }
  return undefined;
}

const RULES: readonly [DetectorKind, (text: string) => string | undefined][] = [
  ['digits', digitFinding], ['at-sign', atFinding], ['ip', ipFinding], ['token', tokenFinding],
];

/**
 * Every rule over every reading of the value; one detection per kind (the first reading that fired). `rare`: the
 * value was seen for one visitor on one day only, in a per-event table.
 */
export function detect(value: string, rare = false): Detection[] {
  const found = new Map<DetectorKind, Detection>();
  const readings = readingsOf(value);
  for (const reading of readings) {
    for (const [kind, rule] of RULES) {
      if (found.has(kind)) continue;
      const part = rule(reading.text);
      if (part !== undefined) found.set(kind, { kind, reading: reading.how, part });
    }
  }
  if (rare && found.size === 0) {
    for (const reading of readings) {
      const part = rareFinding(reading.text);
      if (part !== undefined) return [{ kind: 'rare-identifier', reading: reading.how, part }];
    }
  }
  return [...found.values()];
}

export const DETECTOR_RULES: Readonly<Record<DetectorKind, string>> = {
  digits: `${MIN_DIGITS}+ digits once every separator character is removed (a calendar date excepted)`,
  'at-sign': '@ in any width, (at)/[at], アットマーク, "x at y dot z"',
  ip: 'four numbers up to 255 joined by one repeated separator, or an IPv6 form with :: or eight groups',
  token: 'a JWT; 16+ letters and digits mixing both; 24+ letters or digits; 12+ letters a quarter or more upper-case; and the same, or 16+ hex digits, across URL-safe separators',
  'rare-identifier': 'in a value only one visitor-day produced: 10+ letters-and-digits with 2+ of each, or 5+ digits',
};
