import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { TokumeiError } from '@tokumei/errors';

/** True when an Authorization header carries exactly this bearer token, compared in constant time. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  // The auth scheme is case-insensitive (RFC 9110); the token is not.
  const given = Buffer.from(header !== undefined && /^bearer /i.test(header) ? header.slice(7).trim() : '');
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/**
 * Guards every route of an encapsulated scope with a bearer token. Used for the API token and for the control
 * token that local CLI commands (import, audit) use to reach a running instance.
 */
export function requireBearer(scope: FastifyInstance, token: string): void {
  scope.addHook('onRequest', (request, _reply, done) => {
    done(bearerMatches(request.headers.authorization, token) ? undefined : new TokumeiError('TKM_UNAUTHORIZED'));
  });
}
