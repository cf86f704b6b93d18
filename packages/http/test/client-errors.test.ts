import { connect } from 'node:net';
import { describe, it, expect, afterEach, vi } from 'vitest';
import type { Socket } from 'node:net';
import { createServer, errorsPlugin, type TokumeiServer } from '@tokumei/http';
import { clientErrorHandler } from '../src/client-errors.js';
import { captureLogs } from '../../../test/helpers/logs.js';

/** What a raw socket read back: the status, the headers (lower-cased) and the body of the first response. */
interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  all: string;
}

/** Writes bytes to a fresh connection and reads until the server closes it (or `waitMs` passes). */
function raw(port: number, chunks: readonly (string | Buffer)[], waitMs = 3000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
    });
    socket.on('data', (data) => received.push(data));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(received).toString('latin1');
      const [head = '', ...rest] = all.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1]);
      if (Number.isNaN(status)) {
        reject(new Error(`no HTTP response: ${JSON.stringify(all.slice(0, 200))}`));
        return;
      }
      const headers = Object.fromEntries(headerLines.map((line) => {
        const at = line.indexOf(':');
        return [line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim()];
      }));
      const length = Number(headers['content-length'] ?? 0);
      resolve({ status, headers, body: rest.join('\r\n\r\n').slice(0, length), all });
    });
  });
}

const SECRET_UA = 'SecretAgent/9.9 (jane@example.com)';
const SECRET_PATH = '/p/jane%40example.com';

const servers: TokumeiServer[] = [];
afterEach(async () => {
  for (const app of servers.splice(0)) await app.close();
});

async function start() {
  const logs = captureLogs();
  const app = createServer({ logger: logs.logger });
  await app.register(errorsPlugin, { validationCode: 'TKM_BAD_REQUEST' });
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => { release = resolve; });
  /** What the server has seen, for tests that must wait for it: request paths as parsed, and whether close() began. */
  const seen = { paths: [] as string[], closing: false };
  app.server.on('request', (request: { url?: string }) => seen.paths.push(request.url ?? ''));
  app.addHook('preClose', (done) => {
    seen.closing = true;
    done();
  });
  app.post('/echo', (request) => ({ got: request.body }));
  app.get('/slow', async () => {
    await held;
    return { slow: true };
  });
  app.get('/fast', () => ({ fast: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  servers.push(app);
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { app, port: address.port, logs, release, seen };
}

function expectTkm(response: RawResponse, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toContain('application/json');
  expect(JSON.parse(response.body)).toEqual({ error: { code, message: expect.any(String) as string } });
}

const head = (lines: string[]) => `${lines.join('\r\n')}\r\n\r\n`;

describe("Node's HTTP parser errors answer in the TKM_* shape", () => {
  it('a bad chunk size → 400 TKM_BAD_REQUEST', async () => {
    const { port } = await start();
    const response = await raw(port, [head(['POST /echo HTTP/1.1', 'Host: example.com', 'Content-Type: application/json', 'Transfer-Encoding: chunked']), 'zz\r\n{}\r\n0\r\n\r\n']);
    expectTkm(response, 400, 'TKM_BAD_REQUEST');
    expect(response.headers.connection).toBe('close');
  });

  it('Content-Length together with Transfer-Encoding → 400 TKM_BAD_REQUEST', async () => {
    const { port } = await start();
    const response = await raw(port, [head(['POST /echo HTTP/1.1', 'Host: example.com', 'Content-Type: application/json', 'Content-Length: 2', 'Transfer-Encoding: chunked']), '2\r\n{}\r\n0\r\n\r\n']);
    expectTkm(response, 400, 'TKM_BAD_REQUEST');
  });

  it.each([['\u0001'], ['\u0000'], ['\u007f']])('a control byte %j in a header → 400 TKM_BAD_REQUEST', async (control) => {
    const { port } = await start();
    const response = await raw(port, [head(['GET /fast HTTP/1.1', 'Host: example.com', `X-Test: a${control}b`])]);
    expectTkm(response, 400, 'TKM_BAD_REQUEST');
  });

  it('a 32 KB header → 431 TKM_HEADERS_TOO_LARGE', async () => {
    const { port } = await start();
    const response = await raw(port, [head(['GET /fast HTTP/1.1', 'Host: example.com', `X-Big: ${'a'.repeat(32 * 1024)}`])]);
    expectTkm(response, 431, 'TKM_HEADERS_TOO_LARGE');
  });

  it('garbage instead of a request line → 400 TKM_BAD_REQUEST', async () => {
    const { port } = await start();
    expectTkm(await raw(port, ['\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u01fc\u0003\u0003 not http\r\n\r\n']), 400, 'TKM_BAD_REQUEST');
  });

  it('logs the parser error code only, never the bytes it read', async () => {
    const { port, logs } = await start();
    await raw(port, [head([`GET ${SECRET_PATH} HTTP/1.1`, 'Host: example.com', `User-Agent: ${SECRET_UA}`, 'X-Test: a\u0001b'])]);
    expect(logs.text()).toContain('HPE_');
    expect(logs.text()).not.toContain('SecretAgent');
    expect(logs.text()).not.toContain('jane');
  });

  it('a well-formed request on the same server still works', async () => {
    const { port } = await start();
    const response = await raw(port, [head(['GET /fast HTTP/1.1', 'Host: example.com', 'Connection: close'])]);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ fast: true });
  });
});

describe('clientErrorHandler', () => {
  /** Just what the handler touches of a socket; a real one cannot be made to time out or overflow on cue. */
  function fakeSocket(inProgress = false) {
    const written: string[] = [];
    let destroyed = false;
    const socket = {
      writable: true,
      get destroyed() { return destroyed; },
      _httpMessage: inProgress ? { headersSent: true } : null,
      end: (data: string) => { written.push(data); },
      destroy: () => { destroyed = true; },
    };
    return { socket: socket as unknown as Socket, written, isDestroyed: () => destroyed };
  }
  const handle = clientErrorHandler(captureLogs().logger);

  it.each([
    ['ERR_HTTP_REQUEST_TIMEOUT', '408 Request Timeout', 'TKM_REQUEST_TIMEOUT'],
    ['HPE_CHUNK_EXTENSIONS_OVERFLOW', '413 Payload Too Large', 'TKM_BODY_TOO_LARGE'],
    ['HPE_HEADER_OVERFLOW', '431 Request Header Fields Too Large', 'TKM_HEADERS_TOO_LARGE'],
    ['HPE_INVALID_METHOD', '400 Bad Request', 'TKM_BAD_REQUEST'],
  ])('answers %s with %s', (code, status, tkm) => {
    const { socket, written } = fakeSocket();
    handle(Object.assign(new Error('parse'), { code }), socket);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(new RegExp(`^HTTP/1\\.1 ${status}\r\n`));
    expect(written[0]).toContain(`"code":"${tkm}"`);
    // Later chunks of the same refused connection are not answered again.
    handle(Object.assign(new Error('parse'), { code }), socket);
    expect(written).toHaveLength(1);
  });

  it('writes nothing into a response already on the wire, and closes', () => {
    const { socket, written, isDestroyed } = fakeSocket(true);
    handle(Object.assign(new Error('parse'), { code: 'HPE_INVALID_CHUNK_SIZE' }), socket);
    expect(written).toEqual([]);
    expect(isDestroyed()).toBe(true);
  });

  it('ignores a reset connection', () => {
    const { socket, written, isDestroyed } = fakeSocket();
    handle(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), socket);
    expect(written).toEqual([]);
    expect(isDestroyed()).toBe(false);
  });
});

describe('fastify framework errors answer in the TKM_* shape', () => {
  it.each(['/%c0', '/fast/%zz%', '/%E0%A4%A'])('a malformed URL %j → 400 TKM_BAD_REQUEST, without echoing the path', async (path) => {
    const { app } = await start();
    const response = await app.inject({ method: 'GET', url: path });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: { code: 'TKM_BAD_REQUEST', message: expect.any(String) as string } });
    expect(response.body).not.toContain(path.slice(1, 4));
  });

  it('an unknown Expect is ignored rather than answered with a bare 417', async () => {
    const { port } = await start();
    const response = await raw(port, [head(['GET /fast HTTP/1.1', 'Host: example.com', 'Expect: something-else', 'Connection: close'])]);
    expect(response.status).toBe(200);
  });

  it('a request that arrives while the server drains → 503 TKM_SHUTTING_DOWN with Retry-After', async () => {
    const { app, port, release, seen } = await start();
    // The slow request keeps the connection busy (so close() does not drop it as idle); the next one on the same
    // connection is written once close() has begun.
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (data) => received.push(data));
    const ended = new Promise((resolve) => socket.on('close', resolve));
    socket.write(head(['GET /slow HTTP/1.1', 'Host: example.com']));
    await vi.waitFor(() => expect(seen.paths).toEqual(['/slow']));
    const closed = app.close();
    servers.splice(0);
    await vi.waitFor(() => expect(seen.closing).toBe(true));
    socket.write(head(['GET /fast HTTP/1.1', 'Host: example.com']));
    // Parsed while /slow is still held: its answer waits behind /slow's on the connection.
    await vi.waitFor(() => expect(seen.paths).toEqual(['/slow', '/fast']));
    release();
    await closed;
    socket.destroySoon();
    await ended;
    const all = Buffer.concat(received).toString('latin1');
    expect(all).toMatch(/^HTTP\/1\.1 200 /);
    const second = all.slice(all.indexOf('HTTP/1.1', 10));
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second.toLowerCase()).toContain('retry-after: 1');
    expect(second).toContain('"code":"TKM_SHUTTING_DOWN"');
  });
});
