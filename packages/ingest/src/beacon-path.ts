import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import type { Publisher } from '@tokumei/bus';
import { TokumeiError } from '@tokumei/errors';
import { checkSite } from '@tokumei/privacy';
import {
  DEFAULT_EVENT, ENGAGEMENT_EVENT, RAW_RECORD_VERSION, RawRecordSchema, checkBeacon, encodeRawRecord, partitionKey, type Beacon, type RawRecord,
} from '@tokumei/schema';
import type { Counter } from 'prom-client';

/**
 * The one path from a beacon to the bus. `/collect` and the foreign trackers' routes (`/api/event`, `/api/send`)
 * all end here: the same check (checkBeacon and the privacy engine's site rule), the same raw record with the same
 * client address and consent signals, the same publish and its back-pressure (`TKM_BUS_FULL`). A foreign route only
 * translates its sender's format into beacons first.
 */
export interface BeaconPath {
  readonly publisher: Publisher;
  readonly accepted: Counter<'event'>;
  readonly clock?: (() => number) | undefined;
  /** TOKUMEI_SITES; undefined: any valid host name. */
  readonly sites?: ReadonlySet<string> | undefined;
}

/** `navigator.sendBeacon` and fetch with a string body send text/plain (no CORS preflight); the body is still JSON. */
export function parseJsonBody(_request: unknown, body: string, done: (error: Error | null, value?: unknown) => void): void {
  try {
    done(null, JSON.parse(body));
  } catch {
    done(new TokumeiError('TKM_BAD_JSON'));
  }
}

export type SiteBeaconCheck = { ok: true; beacon: Beacon } | { ok: false; error: TokumeiError };

/**
 * checkBeacon, then the privacy engine's site rule, so that no site the worker would drop is ever answered 202 (the
 * name is not echoed). `rename` turns the beacon's field names in a message into the sender's own (`url` → `u`).
 */
export function checkSiteBeacon(value: unknown, sites: ReadonlySet<string> | undefined, rename?: (message: string) => string): SiteBeaconCheck {
  const result = checkBeacon(value);
  if (!result.ok) return { ok: false, error: new TokumeiError('TKM_INVALID_BEACON', rename === undefined ? result.message : rename(result.message)) };
  const site = checkSite(result.beacon.site, sites);
  if (!site.ok) return { ok: false, error: site.reason === 'undeclared' ? new TokumeiError('TKM_UNKNOWN_SITE') : new TokumeiError('TKM_INVALID_SITE') };
  return { ok: true, beacon: { ...result.beacon, site: site.site } };
}

const MAX_IP = RawRecordSchema.properties.ip.maxLength ?? 64;

/**
 * The client address: X-Forwarded-For's client when the peer is a trusted proxy (fastify's trustProxy), else the
 * socket. A forwarded value that is not an IP address is ignored rather than published for the worker to refuse;
 * so is one over the record's limit (isIP accepts an IPv6 zone id of any length).
 */
export function clientIp(request: FastifyRequest): string {
  if (isIP(request.ip) !== 0 && request.ip.length <= MAX_IP) return request.ip;
  return request.socket.remoteAddress ?? '';
}

/** The raw record of a checked beacon: what the sender said, plus the request's address, agent and consent signals. */
export function rawRecord(request: FastifyRequest, beacon: Beacon, now: number): RawRecord {
  return {
    v: RAW_RECORD_VERSION,
    src: 'beacon',
    ts: now,
    site: beacon.site,
    url: beacon.url,
    ref: beacon.referrer,
    sid: beacon.sid,
    event: beacon.event ?? DEFAULT_EVENT,
    w: beacon.w,
    lang: beacon.lang,
    props: beacon.props,
    em: beacon.em,
    sd: beacon.sd,
    ip: clientIp(request),
    ua: (request.headers['user-agent'] ?? '').slice(0, 1024),
    dnt: request.headers.dnt === '1',
    gpc: request.headers['sec-gpc'] === '1',
  };
}

/** Publishes checked beacons as one batch; resolves once the bus accepted them (Kafka: acknowledged with acks=-1). */
export async function publishBeacons(path: BeaconPath, request: FastifyRequest, beacons: readonly Beacon[]): Promise<void> {
  const now = (path.clock ?? Date.now)();
  const records = beacons.map((beacon) => rawRecord(request, beacon, now));
  await path.publisher.publish(records.map((record) => ({ key: partitionKey(record), value: encodeRawRecord(record) })));
  for (const record of records) {
    path.accepted.inc({ event: record.event === DEFAULT_EVENT || record.event === ENGAGEMENT_EVENT ? record.event : 'custom' });
  }
}
