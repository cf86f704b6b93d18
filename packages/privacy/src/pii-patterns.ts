/**
 * What personal data in a URL, referrer or any stored string looks like. One list serves two readers: the worker
 * replaces matching path segments before storage, and the audit searches every stored string column for the same
 * shapes inside ClickHouse. So every pattern is written in the common subset of JavaScript and RE2 (ClickHouse's
 * `match`): no lookbehind, no backreferences.
 */
export interface PiiPattern {
  readonly name: 'email' | 'ipv4' | 'ipv6' | 'uuid' | 'phone' | 'hex_token' | 'token';
  /** What the worker puts in place of a matching path segment. */
  readonly placeholder: string;
  readonly source: string;
}

export const PII_PATTERNS: readonly PiiPattern[] = [
  { name: 'email', placeholder: ':email', source: '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}' },
  { name: 'ipv4', placeholder: ':ip', source: '(^|[^0-9.])(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}($|[^0-9.])' },
  { name: 'ipv6', placeholder: ':ip', source: '(^|[^0-9A-Fa-f:])([0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}($|[^0-9A-Fa-f:])' },
  { name: 'uuid', placeholder: ':id', source: '(^|[^0-9A-Fa-f])[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}($|[^0-9A-Fa-f])' },
  // Seven or more digits, optionally grouped by spaces, dots, dashes or parentheses, optionally with a leading +.
  { name: 'phone', placeholder: ':phone', source: '(^|[^0-9])\\+?[0-9][0-9 ().-]{5,}[0-9]($|[^0-9])' },
  { name: 'hex_token', placeholder: ':token', source: '(^|[^0-9A-Fa-f])[0-9A-Fa-f]{16,}($|[^0-9A-Fa-f])' },
  // Long runs of base64/base64url characters: session tokens, reset links, JWT parts. A candidate only: classify()
  // confirms it mixes letters and digits and is not a slug.
  { name: 'token', placeholder: ':token', source: '[A-Za-z0-9_+/=-]{20,}' },
];

/** Inputs longer than this are judged on their first characters: nothing legitimate in a URL part is that long. */
export const MAX_CLASSIFY_LENGTH = 512;
const TOKEN_RUN = /[A-Za-z0-9_+/=-]{20,}/g; // the token pattern's source, scanned linearly below

/**
 * The regexes find candidates; these checks remove the common false positives that RE2 cannot express: a phone
 * number has 7 to 15 digits and is not a date, an IPv6 address has `::` or eight groups.
 */
const CONFIRM: Partial<Record<PiiPattern['name'], (match: string) => boolean>> = {
  ipv6: (match) => {
    const text = match.replace(/^[^0-9A-Fa-f:]|[^0-9A-Fa-f:]$/g, '');
    return (text.includes('::') && /[0-9A-Fa-f]/.test(text)) || text.split(':').length === 8;
  },
  phone: (match) => {
    const digits = match.replace(/[^0-9]/g, '').length;
    return digits >= 7 && digits <= 15 && !/[0-9]{4}[-./][0-9]{2}[-./][0-9]{2}/.test(match);
  },
};

// The token pattern backtracks badly in JavaScript's engine (RE2, in ClickHouse, does not), so here a token is
// found with a linear scan: a long run of token characters that mixes letters and digits and is not a slug.
const compiled = PII_PATTERNS.filter((p) => p.name !== 'token').map((p) => ({ ...p, regex: new RegExp(p.source, 'g') }));

function hasToken(text: string): boolean {
  for (const [run] of text.matchAll(TOKEN_RUN)) {
    if (/[0-9]/.test(run) && /[A-Za-z]/.test(run) && !isSlug(run)) return true;
  }
  return false;
}

/** The placeholder for a text that looks like personal data, or undefined when it does not. */
export function classify(input: string): string | undefined {
  const text = input.length > MAX_CLASSIFY_LENGTH ? input.slice(0, MAX_CLASSIFY_LENGTH) : input;
  for (const pattern of compiled) {
    const confirm = CONFIRM[pattern.name];
    for (const match of text.matchAll(pattern.regex)) {
      if (confirm === undefined || confirm(match[0])) return pattern.placeholder;
    }
  }
  return hasToken(text) ? ':token' : undefined;
}

/** `my-first-blog-post-2024` is a slug, not a token: words separated by dashes or underscores. */
function isSlug(run: string): boolean {
  const words = run.split(/[-_]/);
  return words.length >= 3 && words.every((w) => w.length <= 12) && words.filter((w) => /[0-9]/.test(w)).length <= 1;
}
