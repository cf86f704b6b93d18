import type { FastifyRequest } from 'fastify';
import type { Beacon } from '@tokumei/schema';
import type { Counter } from 'prom-client';
import { checkSiteBeacon, publishBeacons, type BeaconPath } from '../beacon-path.js';
import { renamer, type Mapped } from '../foreign.js';

export interface ForeignRouteOptions extends BeaconPath {
  readonly dropped: Counter<'tracker' | 'field'>;
}

/**
 * A foreign tracker's mapped request onto the one beacon path: every beacon checked as `/collect` checks it (the
 * first refusal is thrown, so nothing of a refused request is published), the same site twice published once.
 */
export async function publishMapped(options: ForeignRouteOptions, request: FastifyRequest, tracker: string, mapped: Mapped): Promise<void> {
  if (!mapped.ok) throw mapped.error;
  const rename = renamer(mapped.fields);
  const beacons = new Map<string, Beacon>();
  for (const candidate of mapped.beacons) {
    const checked = checkSiteBeacon(candidate, options.sites, rename);
    if (!checked.ok) throw checked.error;
    if (!beacons.has(checked.beacon.site)) beacons.set(checked.beacon.site, checked.beacon);
  }
  countDropped(options, tracker, mapped.dropped);
  await publishBeacons(options, request, [...beacons.values()]);
}

export function countDropped(options: ForeignRouteOptions, tracker: string, fields: readonly string[]): void {
  for (const field of fields) options.dropped.inc({ tracker, field });
}
