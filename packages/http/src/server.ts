import Fastify, { LogController } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { TokumeiError } from '@tokumei/errors';
import type { Logger } from '@tokumei/config';
import { clientErrorHandler, frameworkErrors, serveUnknownExpectations } from './client-errors.js';

export interface ServerOptions {
  readonly logger: Logger;
  readonly bodyLimit?: number;
  readonly trustProxy?: boolean | readonly string[];
  /**
   * Validate JSON bodies as sent: no type coercion, no stripping of unknown keys, no wrapping or unwrapping of
   * arrays (fastify's ajv defaults do all three). Off for the API, whose query strings are text that must be coerced.
   * Unknown keys are refused (400 naming them) either way: a schema with `additionalProperties: false` means it.
   */
  readonly strictSchemas?: boolean;
}

/**
 * A fastify instance with Tokumei's logging rules. fastify's request logs include the client address, so they are
 * off; instead one line per response names method, route pattern, status and time: no IP, no user agent, no query.
 */
export function createServer(options: ServerOptions) {
  const app = Fastify({
    loggerInstance: options.logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 1_048_576,
    trustProxy: options.trustProxy === undefined ? false
      : typeof options.trustProxy === 'boolean' ? options.trustProxy : [...options.trustProxy],
    // fastify's own 503 while closing is not in our error shape: the onRequest hook below answers it instead.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    clientErrorHandler: clientErrorHandler(options.logger),
    frameworkErrors,
    // fastify's default (removeAdditional: true) would drop an unknown query key silently: `?sit=x` answered as if
    // it were not there.
    ajv: { customOptions: { removeAdditional: false, ...(options.strictSchemas === true ? { coerceTypes: false } : {}) } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  serveUnknownExpectations(app.server);
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (_request, reply, done) => {
    if (!closing) return done();
    void reply.header('connection', 'close');
    done(new TokumeiError('TKM_SHUTTING_DOWN'));
  });
  app.addHook('onResponse', (request, reply, done) => {
    request.log.debug({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'response');
    done();
  });
  return app;
}

export type TokumeiServer = ReturnType<typeof createServer>;
