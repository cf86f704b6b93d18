import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from '@tokumei/config';

export interface ServerOptions {
  readonly logger: Logger;
  readonly bodyLimit?: number;
  readonly trustProxy?: boolean | readonly string[];
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
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onResponse', (request, reply, done) => {
    request.log.debug({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'response');
    done();
  });
  return app;
}

export type TokumeiServer = ReturnType<typeof createServer>;

export async function listen(app: FastifyInstance, host: string, port: number): Promise<string> {
  return app.listen({ host, port });
}
