import { createRequire } from 'node:module';
import { Reader, type CountryResponse } from 'maxmind';
import fs from 'node:fs';

const require = createRequire(import.meta.url);

/** An IP → country lookup. The address is used for the lookup and never kept. */
export interface CountryLookup {
  country(ip: string): string;
}

export const NO_GEO: CountryLookup = { country: () => '' };

interface CountryRecord {
  country_code?: string;
}

/**
 * Country only, from ip-location-db's country database, which ships inside an npm package (CC0; built from NRO
 * statistics, CC BY 4.0: attribution in packages/privacy/README.md). Returns '' when the database is not installed.
 */
export function loadCountryLookup(): CountryLookup {
  let file: string;
  try {
    file = require.resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb');
  } catch {
    return NO_GEO;
  }
  const reader = new Reader<CountryResponse & CountryRecord>(fs.readFileSync(file));
  return {
    country(ip: string): string {
      try {
        // Dual-stack sockets report IPv4 clients as ::ffff:a.b.c.d.
        const record = reader.get(ip.startsWith('::ffff:') ? ip.slice(7) : ip);
        const code = record?.country_code ?? record?.country?.iso_code ?? '';
        return /^[A-Z]{2}$/.test(code) ? code : '';
      } catch {
        return '';
      }
    },
  };
}
