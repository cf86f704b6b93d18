import { createRequire } from 'node:module';
import fs from 'node:fs';
import ipaddr from 'ipaddr.js';
import { Reader, type CountryResponse } from 'maxmind';

const require = createRequire(import.meta.url);

/** An IP → country lookup. The address is used for the lookup and never kept. */
export interface CountryLookup {
  country(ip: string): string;
}

export const NO_GEO: CountryLookup = { country: () => '' };

// IANA IPv4 special-purpose registry (and multicast/reserved), as [network, prefix length]: checked without a
// parser because every IPv4 page view asks.
const SPECIAL_V4: readonly (readonly [number, number])[] = ([
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const).map(([net, bits]) => [net.split('.').reduce((acc, o) => acc * 256 + Number(o), 0), bits] as const);
const IPV4 = /^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$/;
/** SPECIAL_V4 as [network / 2^(32 − bits), 2^(32 − bits)]: the same comparison, without a closure per address. */
const SPECIAL_V4_SCALED: readonly (readonly [number, number])[] = SPECIAL_V4.map(([base, bits]) => [Math.floor(base / 2 ** (32 - bits)), 2 ** (32 - bits)] as const);

/**
 * Whether an address is in no country: IANA's special-purpose ranges (private, carrier-grade NAT, loopback,
 * link-local, documentation, unique-local, benchmarking, multicast, reserved, 6to4/Teredo/NAT64 …), which the
 * registry-derived database still files under a country. An IPv4-mapped IPv6 address is judged as its IPv4 address.
 */
export function isSpecialPurpose(ip: string): boolean {
  const v4 = IPV4.exec(ip.startsWith('::ffff:') ? ip.slice(7) : ip);
  if (v4 !== null) {
    const value = ((Number(v4[1]) * 256 + Number(v4[2])) * 256 + Number(v4[3])) * 256 + Number(v4[4]);
    for (const [network, scale] of SPECIAL_V4_SCALED) if (Math.floor(value / scale) === network) return true;
    return false;
  }
  // Global unicast 2000::/3 outside 2001::/23 (IETF assignments, Teredo, documentation), 2002::/16 (6to4) and
  // 3fff::/20 (documentation) is
  // most of real IPv6 traffic: answered from the first groups, without parsing.
  const first = /^([23][0-9a-f]{3}):([0-9a-f]{1,4})/i.exec(ip);
  if (first !== null) {
    const group = parseInt(first[1] ?? '0', 16);
    const second = parseInt(first[2] ?? '0', 16);
    if (group !== 0x2001 && group !== 0x2002 && group !== 0x3fff && group < 0x4000) return false;
    if (group === 0x2001 && second >= 0x0200 && second !== 0x0db8) return false;
    // 2001:db8::/32 is documentation: whatever follows (a valid address or not), the answer is "no country".
    if (group === 0x2001 && second === 0x0db8) return true;
  }
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.parse(ip.includes('%') ? ip.slice(0, ip.indexOf('%')) : ip);
  } catch {
    return true;
  }
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    address = (address as ipaddr.IPv6).toIPv4Address();
  }
  return address.range() !== 'unicast';
}

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
      if (isSpecialPurpose(ip)) return '';
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
