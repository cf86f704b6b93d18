import { randomBytes, randomInt } from 'node:crypto';

/**
 * Canary values: unique random identifiers the audit sends through the pipeline as if a visitor had, then searches
 * for everywhere. Each is new per run, so a hit can only come from this run and cannot be a coincidence.
 */
export interface CanaryValues {
  /** Letters only, so the worker keeps it in the path (it names this run's page views, and is not a secret). */
  readonly runId: string;
  readonly ip: string;
  readonly userAgent: string;
  readonly sid: string;
  readonly email: string;
  readonly pathToken: string;
}

/** Sites that cannot be real (RFC 2606 `.invalid`), so canary page views never mix with a real site's numbers. */
export const CANARY_SITES = ['tokumei-canary.invalid', 'tokumei-canary-2.invalid'] as const;
export const CANARY_PATH_PREFIX = '/tokumei-canary/';

function letters(n: number): string {
  return Array.from({ length: n }, () => String.fromCharCode(97 + randomInt(26))).join('');
}

/** A base64url token that mixes letters and digits, the shape of a password-reset or session token. */
function token(): string {
  for (;;) {
    const t = randomBytes(18).toString('base64url');
    if (/[0-9]/.test(t) && /[A-Za-z]/.test(t)) return t;
  }
}

export function newCanaryValues(): CanaryValues {
  // An address from the IPv6 documentation prefix (RFC 3849) with random groups: unique, and nobody's address.
  const groups = Array.from({ length: 6 }, () => randomInt(0x1000, 0x10000).toString(16));
  const hex = randomBytes(8).toString('hex');
  return {
    runId: letters(12),
    ip: `2001:db8:${groups.join(':')}`,
    userAgent: `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 TokumeiCanary/${hex}`,
    sid: `canary-sid-${randomBytes(12).toString('hex')}`,
    email: `canary.${randomBytes(5).toString('hex')}@example.com`,
    pathToken: token(),
  };
}

/** What is searched for: each canary value with a label for the report (the labels, never the values, are shown). */
export function needles(values: CanaryValues): { label: string; value: string }[] {
  return [
    { label: 'IP address', value: values.ip },
    { label: 'user agent', value: values.userAgent.slice(values.userAgent.lastIndexOf(' ') + 1) },
    { label: 'session id (sid)', value: values.sid },
    { label: 'e-mail address from the query string', value: values.email },
    { label: 'e-mail address (percent-encoded)', value: encodeURIComponent(values.email) },
    { label: 'token from the path', value: values.pathToken },
  ];
}

/** The beacons: one carrying every canary value, one more on a second site from the same browser. */
export function canaryBeacons(values: CanaryValues): Record<string, unknown>[] {
  const [site, other] = CANARY_SITES;
  const query = `email=${encodeURIComponent(values.email)}&utm_source=tokumei-audit`;
  return [
    {
      site,
      url: `https://${site}${CANARY_PATH_PREFIX}${values.runId}/reset/${values.pathToken}?${query}#${values.sid}`,
      referrer: `https://referrer.example.org/inbox/${values.pathToken}?to=${encodeURIComponent(values.email)}`,
      sid: values.sid,
      lang: 'en',
      w: 1280,
    },
    { site: other, url: `https://${other}${CANARY_PATH_PREFIX}${values.runId}/`, sid: values.sid, lang: 'en', w: 1280 },
  ];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * An access-log line (combined format) carrying the same canary values, for the importer's path: the address, the
 * agent, a path token, an e-mail in the query string and in the referrer. Its page is under the run's prefix too.
 */
export function canaryLogLine(values: CanaryValues, now: number): string {
  const d = new Date(now);
  const two = (n: number) => String(n).padStart(2, '0');
  const time = `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()] ?? 'Jan'}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
  const email = encodeURIComponent(values.email);
  return `${values.ip} - - [${time}] "GET ${CANARY_PATH_PREFIX}${values.runId}/log/${values.pathToken}?email=${email} HTTP/1.1" 200 512 `
    + `"https://referrer.example.org/inbox/${values.pathToken}?to=${email}" "${values.userAgent}"`;
}
