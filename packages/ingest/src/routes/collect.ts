import type { FastifyPluginAsync, FastifySchemaCompiler } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { BeaconSchema } from '@tokumei/schema';
import { checkSiteBeacon, parseJsonBody, publishBeacons, type BeaconPath } from '../beacon-path.js';

export type CollectOptions = BeaconPath;

/**
 * The beacon is checked by checkBeacon (TypeBox, as the worker checks records) instead of fastify's ajv, whose
 * defaults coerce types, strip unknown keys, unwrap one-item arrays and count lengths in code points.
 */
const beaconValidator = (sites: ReadonlySet<string> | undefined): FastifySchemaCompiler<unknown> => () => (value: unknown) => {
  const result = checkSiteBeacon(value, sites);
  return result.ok ? { value: result.beacon } : { error: result.error };
};

export const collectRoutes: FastifyPluginAsync<CollectOptions> = (fastify, options) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, parseJsonBody);

  app.post('/collect', { schema: { body: BeaconSchema }, validatorCompiler: beaconValidator(options.sites) }, async (request, reply) => {
    // 202 only after the bus accepted the record: with Kafka that means acknowledged by the in-sync replicas.
    await publishBeacons(options, request, [request.body]);
    return reply.code(202).send();
  });
  return Promise.resolve();
};
