import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Beacon } from '@tokumei/schema';
import type { Counter } from 'prom-client';
import { checkSiteBeacon, clientIp, publishBeacons, type BeaconPath } from '../beacon-path.js';
import { renamer, type Mapped } from '../foreign.js';

export interface ForeignRouteOptions extends BeaconPath {
  readonly dropped: Counter<'tracker' | 'field'>;
}

const HOUR_MS = 3_600_000;

/**
 * The session id of a foreign tracker's beacon. Neither Plausible's nor Umami's clients send one (their servers make
 * visits from the address and user agent), and Tokumei's session metrics, engagement pairs included, need one. So
 * ingest makes it as Umami's server defines a visit: one visitor (site, address, user agent) in one clock hour.
 * It is computed from exactly what the visitor hash is computed from, plus the hour the row's own time already
 * holds, so the stored session hash (keyed with the day salt, as every sid) says nothing the visitor hash and the
 * time do not. Like the partition key it is an unkeyed digest that lives only in the raw record, next to the address
 * and user agent it is made of; it is never sent to the client. A consent signal still leaves the row without any
 * hash: the privacy engine ignores the sid then, as for /collect.
 */
export function foreignVisit(request: FastifyRequest, site: string, now: number): string {
  const parts = ['tokumei-foreign-visit', site, clientIp(request), request.headers['user-agent'] ?? '', String(Math.floor(now / HOUR_MS))];
  return createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 32);
}

/**
 * A foreign tracker's mapped request onto the one beacon path: every beacon checked as `/collect` checks it (the
 * first refusal is thrown, so nothing of a refused request is published), the same site twice published once.
 */
export async function publishMapped(options: ForeignRouteOptions, request: FastifyRequest, tracker: string, mapped: Mapped): Promise<void> {
  if (!mapped.ok) throw mapped.error;
  const rename = renamer(mapped.fields);
  const now = (options.clock ?? Date.now)();
  const beacons = new Map<string, Beacon>();
  for (const candidate of mapped.beacons) {
    const checked = checkSiteBeacon(candidate, options.sites, rename);
    if (!checked.ok) throw checked.error;
    const { site } = checked.beacon;
    if (!beacons.has(site)) beacons.set(site, { ...checked.beacon, sid: foreignVisit(request, site, now) });
  }
  countDropped(options, tracker, mapped.dropped);
  await publishBeacons({ ...options, clock: () => now }, request, [...beacons.values()]);
}

export function countDropped(options: ForeignRouteOptions, tracker: string, fields: readonly string[]): void {
  for (const field of fields) options.dropped.inc({ tracker, field });
}
