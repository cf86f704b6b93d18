import { domainToASCII } from 'node:url';

/**
 * TOKUMEI_UMAMI_WEBSITES: which Tokumei site an Umami website id (`payload.website` of `POST /api/send`) files its
 * events under. Umami identifies a site by a UUID its server issued; Tokumei by host name, so a site that switches
 * its Umami script to Tokumei keeps its id and declares the mapping once. Read and checked once by loadConfig.
 */
export class UmamiWebsitesError extends Error {}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The form sites are stored in (TOKUMEI_SITES, TOKUMEI_GOALS): lower-cased ASCII host names, punycode for IDN. */
const SITE = /^[a-z0-9.:-]{1,100}$/;

export const UMAMI_WEBSITES_LIMIT = 1000;

/** `{"<uuid>": "<site>", …}`: ids are compared lower-cased, sites normalised as sites are stored. */
export function parseUmamiWebsites(raw: unknown): ReadonlyMap<string, string> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UmamiWebsitesError('must be a JSON object {"<website id>": "<site>"}');
  const entries = Object.entries(raw);
  if (entries.length > UMAMI_WEBSITES_LIMIT) throw new UmamiWebsitesError(`at most ${UMAMI_WEBSITES_LIMIT} websites`);
  const out = new Map<string, string>();
  for (const [id, site] of entries) {
    const key = id.toLowerCase();
    if (!UUID.test(key)) throw new UmamiWebsitesError('a key must be an Umami website id (a UUID such as 7f3c1d2e-0a4b-4c5d-8e9f-0123456789ab)');
    if (out.has(key)) throw new UmamiWebsitesError(`website ${key} is listed twice`);
    if (typeof site !== 'string') throw new UmamiWebsitesError(`website ${key}: the site must be a string`);
    const name = (domainToASCII(site.normalize('NFKC')) || site).toLowerCase();
    if (!SITE.test(name)) throw new UmamiWebsitesError(`website ${key}: the site must be a host name of at most 100 characters`);
    out.set(key, name);
  }
  return out;
}
