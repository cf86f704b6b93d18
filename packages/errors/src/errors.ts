/**
 * Error registry, after fastify's FST_ERR_* codes: every error a user can see has a stable code and, where it is
 * answered over HTTP, a status. Throw `new TokumeiError('TKM_...')`; the HTTP layer turns it into
 * `{"error": {"code", "message"}}`. Every code is thrown somewhere and documented in this package's README
 * (test/registry.test.ts holds both).
 */
export const ERRORS = {
  TKM_CONFIG: { status: 500, message: 'invalid configuration' },
  TKM_BAD_REQUEST: { status: 400, message: 'the request is not valid' },
  TKM_BAD_JSON: { status: 400, message: 'the body is not valid JSON' },
  TKM_BODY_TOO_LARGE: { status: 413, message: 'the body is larger than the limit' },
  TKM_HEADERS_TOO_LARGE: { status: 431, message: 'the request line and headers are larger than the limit' },
  TKM_REQUEST_TIMEOUT: { status: 408, message: 'the request took too long to arrive' },
  TKM_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'send application/json or text/plain' },
  TKM_INVALID_BEACON: { status: 400, message: 'the beacon does not match the schema' },
  TKM_INVALID_SITE: { status: 400, message: 'the site must be a host name without personal data' },
  TKM_UNKNOWN_SITE: { status: 403, message: 'the site is not one of TOKUMEI_SITES' },
  TKM_UNKNOWN_WEBSITE: { status: 403, message: 'the Umami website id is not one of TOKUMEI_UMAMI_WEBSITES' },
  TKM_INVALID_QUERY: { status: 400, message: 'the query parameters are not valid' },
  TKM_UNAUTHORIZED: { status: 401, message: 'a valid bearer token is required' },
  TKM_NOT_FOUND: { status: 404, message: 'no such route' },
  TKM_SHARE_INVALID: { status: 401, message: 'the shared link is not valid: revoked, or never made' },
  TKM_SHARE_PASSWORD: { status: 401, message: 'this shared link needs its password' },
  TKM_SHARE_FORBIDDEN: { status: 403, message: 'a shared link can only read its own site\'s statistics' },
  TKM_SHARE_THROTTLED: { status: 429, message: 'too many wrong passwords for this shared link: retry later' },
  TKM_BUS_FULL: { status: 503, message: 'the pipeline is busy, retry later' },
  TKM_BUS_CLOSED: { status: 503, message: 'the pipeline is shutting down, retry later' },
  TKM_BUS_UNAVAILABLE: { status: 503, message: 'the message bus is not reachable' },
  TKM_STORE_UNAVAILABLE: { status: 503, message: 'the database is not reachable' },
  TKM_QUERY_LIMIT: { status: 503, message: 'the query reached its time or memory limit: retry later, or ask for a shorter range' },
  TKM_SHUTTING_DOWN: { status: 503, message: 'the service is shutting down, retry later' },
  TKM_IMPORT_FORMAT: { status: 400, message: 'the access-log format is not usable' },
  TKM_IMPORT_INPUT: { status: 400, message: 'the access log cannot be read' },
  TKM_IMPORT_CHECKPOINT: { status: 409, message: 'the import checkpoint does not allow this import' },
  TKM_INTERNAL: { status: 500, message: 'internal error' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class TokumeiError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;

  constructor(code: ErrorCode, message?: string, options?: ErrorOptions) {
    super(message ?? ERRORS[code].message, options);
    this.name = 'TokumeiError';
    this.code = code;
    this.statusCode = ERRORS[code].status;
  }
}

export class ConfigError extends TokumeiError {
  constructor(readonly setting: string, problem: string) {
    super('TKM_CONFIG', `${setting} ${problem}`);
  }
}

export function isTokumeiError(error: unknown): error is TokumeiError {
  return error instanceof TokumeiError;
}
