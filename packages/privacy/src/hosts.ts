import { domainToASCII, domainToUnicode } from 'node:url';
import ipaddr from 'ipaddr.js';
import { matchForm, stripInvisible } from './canonical.js';
import { numbersAcross } from './numbers.js';
import { judgeHostLabels } from './host-labels.js';
import { classify } from './pii-patterns.js';

/**
 * Host names judged label by label: a reverse-DNS name (`198-51-100-7.example.net`, `p1234567-ipngn.ocn.ne.jp`) or
 * a personal subdomain (`jane-r04-at-example-com.example.org`) carries the visitor in its labels.
 */

/** A label that spells an IPv6 address with dashes (`2001-db8--22`), as ISPs' reverse DNS does. */
function dashedIpv6(label: string): boolean {
  return label.includes('-') && /[0-9]/.test(label) && ipaddr.IPv6.isValid(label.replaceAll('-', ':'));
}

// The URL parser already writes every IPv4 form (`0x7f.1`, `2130706433`) as four decimal parts.
const DOTTED_QUAD = /^[0-9]{1,3}(\.[0-9]{1,3}){3}$/;

function isIpLiteral(host: string): boolean {
  return host.startsWith('[') || DOTTED_QUAD.test(host) || (host.includes(':') && ipaddr.IPv6.isValid(host));
}

/** Labels as judged: each one, or its placeholder; a number spread over several labels replaces all of them. */
function judgeLabels(labels: readonly string[]): string[] {
  const judged = judgeHostLabels(labels);
  const out = labels.map((label, i): string => (dashedIpv6(label) ? ':ip' : judged[i] ?? label));
  for (const [i, kind] of numbersAcross(labels.map((label) => matchForm(label)), '.')) out[i] = kind;
  return out;
}

/**
 * Host names repeat (a site's own hosts, search engines, social networks), so clean ones are remembered; a host that
 * carried personal data is not. Cleared when full.
 */
const cleanHosts = new Set<string>();
const CLEAN_HOST_CACHE = 10_000;

/** A host with every data-carrying label replaced by its placeholder; an IP literal is `:ip`. Lower case. */
export function scrubHost(hostname: string): string {
  const host = hostname.toLowerCase();
  if (cleanHosts.has(host)) return host;
  const scrubbed = judgeHost(host);
  if (scrubbed === host) {
    if (cleanHosts.size >= CLEAN_HOST_CACHE) cleanHosts.clear();
    cleanHosts.add(host);
  }
  return scrubbed;
}

function judgeHost(host: string): string {
  if (isIpLiteral(host)) return ':ip';
  const readable = (domainToUnicode(host) || host).toLowerCase();
  // An address spread over labels (`hanako★example.co.jp.example.com`) is judged on the whole name.
  if (classify(readable) === ':email') return ':email';
  const labels = readable.split('.');
  const judged = judgeLabels(labels);
  const ascii = host.split('.');
  return judged.map((label, i) => (label === labels[i] ? (ascii[i] ?? label) : label)).join('.');
}

export type SiteVerdict = { readonly ok: true; readonly site: string } | { readonly ok: false; readonly reason: 'invalid' | 'personal_data' | 'undeclared' };

const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * A site is a host name: letters, digits and hyphens (IDN allowed, stored as the browser's ASCII form), not an IP,
 * no `@`, no control or invisible characters, no label that carries personal data. With TOKUMEI_SITES set, only
 * those names.
 */
export function checkSite(raw: string, declared?: ReadonlySet<string>): SiteVerdict {
  let verdict = validSites.get(raw);
  if (verdict === undefined) {
    verdict = judgeSite(raw);
    // Only clean names are remembered (a name that carried personal data is not kept); bounded, cleared when full.
    if (verdict.ok) {
      if (validSites.size >= SITE_CACHE) validSites.clear();
      validSites.set(raw, verdict);
    }
  }
  if (verdict.ok && declared !== undefined && declared.size > 0 && !declared.has(verdict.site)) return { ok: false, reason: 'undeclared' };
  return verdict;
}

// Every beacon and every record asks (ingest and the worker): a site's verdict is remembered.
const validSites = new Map<string, SiteVerdict>();
const SITE_CACHE = 1000;

function judgeSite(raw: string): SiteVerdict {
  if (raw !== stripInvisible(raw) || /[\s@/:[\]\\%]/.test(raw)) return { ok: false, reason: 'invalid' };
  const ascii = domainToASCII(raw.normalize('NFKC').toLowerCase());
  if (ascii === '' || ascii.length > 253 || isIpLiteral(ascii) || /^[0-9.]+$/.test(ascii)) return { ok: false, reason: 'invalid' };
  if (!ascii.split('.').every((label) => LDH_LABEL.test(label))) return { ok: false, reason: 'invalid' };
  if (scrubHost(ascii) !== ascii) return { ok: false, reason: 'personal_data' };
  return { ok: true, site: ascii };
}

/** TOKUMEI_SITES entries in the form checkSite() returns, so `例え.jp` and `xn--r8jz45g.jp` are one site. */
export function normalizeSites(names: Iterable<string>): ReadonlySet<string> {
  return new Set([...names].map((name) => domainToASCII(name.normalize('NFKC').toLowerCase()) || name));
}

/**
 * The page's host as stored: the site itself, or a subdomain of it whose labels are all clean; anything else (an
 * IP, another domain, a personal subdomain) is stored as the site's name.
 */
export function pageHost(hostname: string, site: string): string {
  const host = hostname.toLowerCase();
  if (host === site) return host;
  if (!host.endsWith(`.${site}`)) return site;
  return scrubHost(host) === host ? host : site;
}

/** The referrer's host, without `www.`, labels judged; empty for the page's own site (internal navigation). */
export function referrerHostOf(hostname: string, pageHostname: string): string {
  const host = hostname.toLowerCase().replace(/^www\./, '');
  if (host === pageHostname.toLowerCase().replace(/^www\./, '')) return '';
  return scrubHost(host).slice(0, 253);
}
