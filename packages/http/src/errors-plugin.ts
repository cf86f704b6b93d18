import fp from 'fastify-plugin';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { ERRORS, isTokumeiError, type ErrorCode } from '@tokumei/errors';

/** fastify's own error codes, translated into ours so every client sees one error vocabulary. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'TKM_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'TKM_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'TKM_BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'TKM_BAD_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'TKM_BAD_JSON',
};

/** Statuses fastify (or a plugin) sets on its errors that have a code of their own; other 4xx are TKM_BAD_REQUEST. */
const STATUS_CODES: Record<number, ErrorCode> = {
  408: 'TKM_REQUEST_TIMEOUT',
  413: 'TKM_BODY_TOO_LARGE',
  415: 'TKM_UNSUPPORTED_MEDIA_TYPE',
  431: 'TKM_HEADERS_TOO_LARGE',
};

/** An unknown key is sender data too: it is named only when it looks like a field name. */
const NAMEABLE_KEY = /^[A-Za-z0-9_.-]{1,32}$/;

interface AjvError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: { missingProperty?: string; additionalProperty?: string };
}

const MAX_NAMED_KEYS = 5;
const nameKey = (key: string) => (NAMEABLE_KEY.test(key) ? JSON.stringify(key) : '(unnamed)');

/**
 * `<context> <field>: <rule>` from ajv's first error; the value itself is never part of it. ajv stops at the first
 * unknown key; `unknown` (every top-level key the schema does not declare) lets the message name them all.
 */
function validationMessage(context: string | undefined, first: AjvError | undefined, unknown?: readonly string[]): string {
  const at = first?.instancePath === '' || first?.instancePath === undefined ? '' : first.instancePath.slice(1).replaceAll('/', '.');
  if (first?.keyword === 'additionalProperties') {
    const keys = at === '' && unknown !== undefined && unknown.length > 0 ? unknown : [first.params?.additionalProperty ?? ''];
    const more = keys.length > MAX_NAMED_KEYS ? ` and ${keys.length - MAX_NAMED_KEYS} more` : '';
    return `${context ?? 'request'}${at === '' ? '' : ` ${at}`}: unknown field${keys.length > 1 ? 's' : ''} ${keys.slice(0, MAX_NAMED_KEYS).map(nameKey).join(', ')}${more}`;
  }
  const field = at === '' ? first?.params?.missingProperty ?? '(body)' : at;
  return `${context ?? 'request'} ${field}: ${first?.message ?? 'is invalid'}`;
}

/** Top-level keys of the validated part (query string or body) that its route schema does not declare. */
function undeclaredKeys(request: FastifyRequest, context: string | undefined): string[] | undefined {
  const part = context === 'querystring' ? request.query : context === 'body' ? request.body : undefined;
  const schema = context === 'querystring' || context === 'body' ? request.routeOptions.schema?.[context] : undefined;
  const declared = (schema as { properties?: Record<string, unknown> } | undefined)?.properties;
  if (part === null || typeof part !== 'object' || Array.isArray(part) || declared === undefined) return undefined;
  return Object.keys(part).filter((key) => !Object.hasOwn(declared, key));
}

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
      message = validationMessage(error.validationContext, error.validation[0], undeclaredKeys(request, error.validationContext));
    } else if (error.code !== undefined && FASTIFY_CODES[error.code] !== undefined) {
      code = FASTIFY_CODES[error.code] ?? 'TKM_BAD_REQUEST';
    } else if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      code = STATUS_CODES[error.statusCode] ?? 'TKM_BAD_REQUEST';
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
