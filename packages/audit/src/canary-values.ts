import { createHmac, randomBytes } from 'node:crypto';

/**
 * Canary values: unique identifiers the audit sends through the pipeline as if a visitor had, then searches for
 * everywhere. Every value that can reach a stored column is drawn from a shape the privacy engine is specified to
 * replace (README "Replaced"), never from an open-ended random shape: a random base64url token split by `-`/`_`
 * into short words read as a slug to the old engine (1.65 % of draws, measured over 200,000), which is what made
 * `tokumei audit --canary` fail now and then on a clean pipeline. So a canary hit always means a real leak.
 */
export interface CanaryValues {
  /** Names this run's page views and must be kept: eight letters of kana syllables, shorter than any token run. */
  readonly runId: string;
  readonly ip: string;
  readonly userAgent: string;
  readonly sid: string;
  readonly email: string;
  /** Path segments the engine must replace: a UUID (:id), a JWT and 40 hex digits (:token), a phone number. */
  readonly uuid: string;
  readonly jwt: string;
  readonly hexToken: string;
  readonly phone: string;
}

/** Each stored-column canary with the engine rule it relies on, named in the report. */
export const CANARY_SHAPES: readonly { key: keyof CanaryValues; label: string; rule: string; placeholder: string }[] = [
  { key: 'email', label: 'e-mail address', rule: 'e-mail (local@domain.tld)', placeholder: ':email' },
  { key: 'uuid', label: 'UUID', rule: 'UUID (8-4-4-4-12 hex)', placeholder: ':id' },
  { key: 'jwt', label: 'JWT', rule: 'JWT (eyJ….….…)', placeholder: ':token' },
  { key: 'hexToken', label: '40-hex token', rule: 'hex token (16+ hex digits mixing letters and digits)', placeholder: ':token' },
  { key: 'phone', label: 'phone number', rule: 'phone number (7+ digits; Japanese mobile 090-xxxx-xxxx)', placeholder: ':phone' },
];

/** Sites that cannot be real (RFC 2606 `.invalid`), so canary page views never mix with a real site's numbers. */
export const CANARY_SITES = ['tokumei-canary.invalid', 'tokumei-canary-2.invalid'] as const;
export const CANARY_PATH_PREFIX = '/tokumei-canary/';

const SYLLABLES = ['ka', 'ki', 'ku', 'ke', 'ko', 'sa', 'su', 'se', 'so', 'ta', 'te', 'to', 'na', 'ni', 'nu', 'ne', 'no',
  'ha', 'hi', 'ho', 'ma', 'mi', 'mu', 'me', 'mo', 'ya', 'yu', 'yo', 'ra', 'ri', 'ru', 're', 'ro', 'wa', 'ga', 'go', 'da', 'de', 'bu', 'be'];

/** Bytes from a seed (HMAC counter stream) for reproducible runs, or from the system's random source. */
function byteSource(seed: string | undefined): (n: number) => Buffer {
  if (seed === undefined) return (n) => randomBytes(n);
  let counter = 0;
  return (n) => {
    const out: Buffer[] = [];
    for (let have = 0; have < n; have += 32) out.push(createHmac('sha256', seed).update(String(counter++)).digest());
    return Buffer.concat(out).subarray(0, n);
  };
}

function b64url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

/** New canary values; with a seed the same seed gives the same values (the CI runs many seeds). */
export function newCanaryValues(seed?: string): CanaryValues {
  const bytes = byteSource(seed);
  // An address from the IPv6 documentation prefix (RFC 3849) with random groups: unique, and nobody's address.
  const groups = bytes(12).toString('hex').match(/.{4}/g) ?? [];
  const runId = [...bytes(4)].map((b) => SYLLABLES[b % SYLLABLES.length] ?? 'ka').join('');
  // 40 hex digits (an API key or SHA-1) with a letter and a digit, as the hex rule asks: two positions set outright.
  // 32 would read as a UUID without dashes, which is caught too but under another rule.
  const hex = bytes(20).toString('hex');
  const hexToken = `a7${hex.slice(2)}`;
  const uuidHex = bytes(16).toString('hex');
  const uuid = `${uuidHex.slice(0, 8)}-${uuidHex.slice(8, 12)}-4${uuidHex.slice(13, 16)}-a${uuidHex.slice(17, 20)}-${uuidHex.slice(20, 32)}`;
  const jwt = `eyJhbGciOiJIUzI1NiJ9.${b64url(Buffer.from(JSON.stringify({ sub: bytes(6).toString('hex') })))}.${b64url(bytes(24))}`;
  const digits = [...bytes(8)].map((b) => String(b % 10)).join('');
  return {
    runId,
    ip: `2001:db8:${groups.join(':')}`,
    userAgent: `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 TokumeiCanary/${bytes(8).toString('hex')}`,
    sid: `canary-sid-${bytes(12).toString('hex')}`,
    email: `canary.${bytes(5).toString('hex')}@example.com`,
    uuid,
    jwt,
    hexToken,
    phone: `090-${digits.slice(0, 4)}-${digits.slice(4, 8)}`,
  };
}

/** What is searched for: each canary value with a label for the report (the labels, never the values, are shown). */
export function needles(values: CanaryValues): { label: string; value: string }[] {
  return [
    { label: 'IP address', value: values.ip },
    { label: 'user agent', value: values.userAgent.slice(values.userAgent.lastIndexOf(' ') + 1) },
    { label: 'session id (sid)', value: values.sid },
    ...CANARY_SHAPES.map((s) => ({ label: `${s.label} [${s.rule}]`, value: values[s.key] })),
    { label: 'e-mail address (percent-encoded)', value: encodeURIComponent(values.email) },
    { label: 'phone number (digits only)', value: values.phone.replace(/-/g, '') },
  ];
}

/** The page URL: every shaped value in the path, the e-mail also in the query and an allow-listed campaign value. */
function canaryUrl(site: string, values: CanaryValues, leaf: string): string {
  const query = `email=${encodeURIComponent(values.email)}&utm_source=tokumei-audit&utm_content=${encodeURIComponent(values.email)}`;
  return `https://${site}${CANARY_PATH_PREFIX}${values.runId}/${leaf}/${values.uuid}/${values.jwt}/${values.hexToken}/${values.phone}?${query}`;
}

/** The beacons: one carrying every canary value, one more on a second site from the same browser. */
export function canaryBeacons(values: CanaryValues): Record<string, unknown>[] {
  const [site, other] = CANARY_SITES;
  return [
    {
      site,
      url: `${canaryUrl(site, values, 'reset')}#${values.sid}`,
      referrer: `https://referrer.example.org/inbox/${values.jwt}?to=${encodeURIComponent(values.email)}`,
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
 * agent, the shaped path segments, an e-mail in the query string and in the referrer. Its page is under the run's
 * prefix too.
 */
export function canaryLogLine(values: CanaryValues, now: number): string {
  const d = new Date(now);
  const two = (n: number) => String(n).padStart(2, '0');
  const time = `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()] ?? 'Jan'}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
  const target = canaryUrl(CANARY_SITES[0], values, 'log').replace(`https://${CANARY_SITES[0]}`, '');
  return `${values.ip} - - [${time}] "GET ${target} HTTP/1.1" 200 512 `
    + `"https://referrer.example.org/inbox/${values.jwt}?to=${encodeURIComponent(values.email)}" "${values.userAgent}"`;
}
