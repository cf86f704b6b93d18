import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';

export interface CorsOptions {
  /** The route whose preflight this plugin answers; its hook covers every route of the scope it is registered in. */
  readonly path: string;
  readonly methods: readonly string[];
}

/**
 * CORS for the public beacon endpoint: any origin, never credentials. The policy is constant (no origin to reflect,
 * no allow-list), so three headers written here say it more plainly than configuring @fastify/cors, whose
 * preflight route is a wildcard not scoped to one path. Register it inside the scope of the routes it covers:
 * fastify-plugin lifts the hook into that scope and no further, so /metrics and /readyz stay same-origin.
 *
 * `text/plain` beacons (sendBeacon, fetch with a string body) need no preflight; `application/json` from another
 * origin does. Errors keep the header too, so a page's fetch can read why it was refused.
 */
export const corsPlugin = fp((app: FastifyInstance, options: CorsOptions, done: () => void) => {
  app.addHook('onRequest', (_request, reply, next) => {
    void reply.header('access-control-allow-origin', '*');
    next();
  });
  app.options(options.path, (_request, reply) => reply.code(204).headers({
    'access-control-allow-methods': options.methods.join(', '),
    'access-control-allow-headers': 'content-type',
    'access-control-max-age': '86400',
  }).send());
  done();
}, { name: 'tokumei-cors' });
