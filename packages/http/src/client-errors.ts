import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERRORS, type ErrorCode } from '@tokumei/errors';
import type { Logger } from '@tokumei/config';
import { errorBody } from './errors-plugin.js';

/** Node's HTTP parser errors (llhttp `HPE_*` and Node's own) that have a more precise status than 400. */
const PARSER_CODES: Record<string, ErrorCode> = {
  HPE_HEADER_OVERFLOW: 'TKM_HEADERS_TOO_LARGE',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'TKM_BODY_TOO_LARGE',
  ERR_HTTP_REQUEST_TIMEOUT: 'TKM_REQUEST_TIMEOUT',
};

/** How long a refused connection may still send before it is closed regardless. */
const LINGER_MS = 1000;

/** The one place Node's internals are read: a response already on the wire must not get a second one mixed in. */
function responseStarted(socket: Socket): boolean {
  const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  return current?.headersSent === true;
}

/** The raw HTTP response for a parser error: written to the socket, since there is no request object to reply on. */
export function rawErrorResponse(code: ErrorCode): string {
  const status = ERRORS[code].status;
  const body = JSON.stringify(errorBody(code));
  return `HTTP/1.1 ${String(status)} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n`
    + `Content-Length: ${String(Buffer.byteLength(body))}\r\nConnection: close\r\n\r\n${body}`;
}

/**
 * fastify's `clientErrorHandler`: a request Node's parser refused (bad chunk size, Content-Length with
 * Transfer-Encoding, control bytes in a header, headers over the limit, a timeout) gets the same JSON error shape as
 * every other error, then the connection closes. Only the error code is logged: Node attaches the raw bytes read
 * (`rawPacket`), which may hold a URL, a user agent or a cookie.
 */
export function clientErrorHandler(logger: Logger) {
  const answered = new WeakSet<Socket>();
  return (error: Error & { code?: string }, socket: Socket): void => {
    // The parser reports every later chunk of a refused connection again: one answer is enough.
    if (error.code === 'ECONNRESET' || socket.destroyed || answered.has(socket)) return;
    answered.add(socket);
    const code = PARSER_CODES[error.code ?? ''] ?? 'TKM_BAD_REQUEST';
    logger.debug({ parserError: error.code, status: ERRORS[code].status }, 'client error');
    if (!socket.writable || responseStarted(socket)) {
      socket.destroy();
      return;
    }
    // Closing at once with unread input in the kernel buffer sends a reset, which can make the client lose the
    // answer (a 431 arrives while the rest of the headers is still coming): linger, then close for good.
    socket.end(rawErrorResponse(code));
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
}

/** fastify's own framework errors (a malformed percent-encoding, a path parameter over the limit), in our shape. */
const FRAMEWORK_CODES: Record<string, ErrorCode> = {
  FST_ERR_BAD_URL: 'TKM_BAD_REQUEST',
  FST_ERR_MAX_PARAM_LENGTH: 'TKM_BAD_REQUEST',
};

/** `frameworkErrors`: fastify's default body for a bad URL echoes the path, which may hold personal data. */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const code = FRAMEWORK_CODES[error.code] ?? 'TKM_INTERNAL';
  void reply.code(ERRORS[code].status).send(errorBody(code));
}

/**
 * Node answers an `Expect` other than `100-continue` with a bare 417 unless someone listens. RFC 9110 lets a server
 * ignore an expectation it does not support, so such a request is served like any other.
 */
export function serveUnknownExpectations(server: Server): void {
  server.on('checkExpectation', (request, response) => server.emit('request', request, response));
}
