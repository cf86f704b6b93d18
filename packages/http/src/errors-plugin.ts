import fp from 'fastify-plugin';
import type { FastifyError, FastifyInstance } from 'fastify';
import { ERRORS, isTokumeiError, type ErrorCode } from '@tokumei/config';

/** fastify's own error codes, translated into ours so every client sees one error vocabulary. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'TKM_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'TKM_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'TKM_BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'TKM_BAD_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'TKM_BAD_JSON',
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

export function errorBody(code: ErrorCode, message?: string): ErrorBody {
  return { error: { code, message: message ?? ERRORS[code].message } };
}

/**
 * Every error leaves as `{"error": {"code": "TKM_...", "message": "..."}}`. Validation messages name the field and
 * the rule, never the value (which could be a URL with personal data). 503s carry Retry-After.
 */
export const errorsPlugin = fp((app: FastifyInstance, options: { validationCode: ErrorCode }, done: () => void) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    let code: ErrorCode;
    let message: string | undefined;
    if (isTokumeiError(error)) {
      code = error.code;
      message = error.message;
    } else if (error.validation !== undefined) {
      code = options.validationCode;
      const first = error.validation[0];
      const field = first?.instancePath === '' || first?.instancePath === undefined
        ? (first?.params as { missingProperty?: string } | undefined)?.missingProperty ?? '(body)'
        : first.instancePath.slice(1).replaceAll('/', '.');
      message = `${error.validationContext ?? 'request'} ${field}: ${first?.message ?? 'is invalid'}`;
    } else if (error.code !== undefined && FASTIFY_CODES[error.code] !== undefined) {
      code = FASTIFY_CODES[error.code] ?? 'TKM_BAD_REQUEST';
    } else if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      code = 'TKM_BAD_REQUEST';
    } else {
      code = 'TKM_INTERNAL';
      request.log.error({ err: error, route: request.routeOptions.url }, 'request failed');
    }
    const status = ERRORS[code].status;
    if (status === 503) void reply.header('retry-after', '1');
    return reply.code(status).send(errorBody(code, message));
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send(errorBody('TKM_NOT_FOUND')));
  done();
}, { name: 'tokumei-errors' });
