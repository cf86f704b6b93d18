import { isIP } from 'node:net';
import type { FastifyPluginAsync, FastifyRequest, FastifySchemaCompiler } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Publisher } from '@tokumei/bus';
import { TokumeiError } from '@tokumei/errors';
import { checkSite } from '@tokumei/privacy';
import {
  BeaconSchema, DEFAULT_EVENT, ENGAGEMENT_EVENT, RAW_RECORD_VERSION, RawRecordSchema, checkBeacon, encodeRawRecord, partitionKey, type RawRecord,
} from '@tokumei/schema';
import type { Counter } from 'prom-client';

export interface CollectOptions {
  readonly publisher: Publisher;
  readonly accepted: Counter<'event'>;
  readonly clock?: () => number;
  /** TOKUMEI_SITES; undefined: any valid host name. */
  readonly sites?: ReadonlySet<string> | undefined;
}

/** `navigator.sendBeacon` sends strings as text/plain (no CORS preflight); the body is still JSON. */
function parseJson(_request: unknown, body: string, done: (error: Error | null, value?: unknown) => void): void {
  try {
    done(null, JSON.parse(body));
  } catch {
    done(new TokumeiError('TKM_BAD_JSON'));
  }
}

const MAX_IP = RawRecordSchema.properties.ip.maxLength ?? 64;

/**
 * The client address: X-Forwarded-For's client when the peer is a trusted proxy (fastify's trustProxy), else the
 * socket. A forwarded value that is not an IP address is ignored rather than published for the worker to refuse;
 * so is one over the record's limit (isIP accepts an IPv6 zone id of any length).
 */
function clientIp(request: FastifyRequest): string {
  if (isIP(request.ip) !== 0 && request.ip.length <= MAX_IP) return request.ip;
  return request.socket.remoteAddress ?? '';
}

/**
 * The beacon is checked by checkBeacon (TypeBox, as the worker checks records) instead of fastify's ajv, whose
 * defaults coerce types, strip unknown keys, unwrap one-item arrays and count lengths in code points.
 */
const beaconValidator = (sites: ReadonlySet<string> | undefined): FastifySchemaCompiler<unknown> => () => (value: unknown) => {
  const result = checkBeacon(value);
  if (!result.ok) return { error: new TokumeiError('TKM_INVALID_BEACON', result.message) };
  // The privacy engine's site rule, so that no site the worker would drop is ever answered 202 (the name is not echoed).
  const site = checkSite(result.beacon.site, sites);
  if (!site.ok) return { error: site.reason === 'undeclared' ? new TokumeiError('TKM_UNKNOWN_SITE') : new TokumeiError('TKM_INVALID_SITE') };
  return { value: { ...result.beacon, site: site.site } };
};

export const collectRoutes: FastifyPluginAsync<CollectOptions> = (fastify, options) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const clock = options.clock ?? Date.now;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, parseJson);

  app.post('/collect', { schema: { body: BeaconSchema }, validatorCompiler: beaconValidator(options.sites) }, async (request, reply) => {
    const beacon = request.body;
    const record: RawRecord = {
      v: RAW_RECORD_VERSION,
      src: 'beacon',
      ts: clock(),
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
    // 202 only after the bus accepted the record: with Kafka that means acknowledged by the in-sync replicas.
    await options.publisher.publish([{ key: partitionKey(record), value: encodeRawRecord(record) }]);
    options.accepted.inc({ event: record.event === DEFAULT_EVENT || record.event === ENGAGEMENT_EVENT ? record.event : 'custom' });
    return reply.code(202).send();
  });
  return Promise.resolve();
};
