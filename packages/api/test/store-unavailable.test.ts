import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { buildApiApp, type ApiApp } from '@tokumei/api';
import { Registry } from 'prom-client';
import { captureLogs } from '../../../test/helpers/logs.js';

// bounds.test.ts sorts fake errors shaped like the client's; here the real @clickhouse/client meets a ClickHouse that
// is not there, so the shapes those fakes copy are the ones the client really reports.

const servers: net.Server[] = [];
const clients: ClickHouseClient[] = [];
const apps: ApiApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  for (const client of clients.splice(0)) await client.close();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

async function listen(onConnection: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer(onConnection);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

/** A port nothing listens on: bound, then closed, so connecting is refused. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const STALLED: net.Socket[] = [];
afterEach(() => {
  for (const socket of STALLED.splice(0)) socket.destroy();
});

const ENDPOINTS: [string, () => Promise<number>][] = [
  ['nothing listens (ECONNREFUSED)', closedPort],
  ['the connection is closed before an answer (socket hang up)', () => listen((socket) => socket.destroy())],
  ['the answer breaks off mid-body (aborted)', () => listen((socket) => socket.once('data', () => {
    socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":');
    socket.destroy();
  }))],
  ['nothing answers within request_timeout (Timeout error.)', () => listen((socket) => STALLED.push(socket))],
];

describe('an unreachable ClickHouse, through the real client', () => {
  it.each(ENDPOINTS)('%s → 503 TKM_STORE_UNAVAILABLE with Retry-After, cause logged', async (_name, endpoint) => {
    const port = await endpoint();
    const client = createClient({ url: `http://127.0.0.1:${port}`, request_timeout: 300, log: { level: ClickHouseLogLevel.OFF } });
    clients.push(client);
    const logs = captureLogs();
    const app = await buildApiApp({ config: { apiToken: undefined, host: '127.0.0.1' }, clickhouse: client, logger: logs.logger, registry: new Registry() });
    apps.push(app);
    for (const url of ['/api/stats/summary?site=a.example', '/api/stats/sites']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(503);
      expect(response.headers['retry-after'], url).toBe('1');
      expect(response.json<{ error: { code: string } }>().error.code, url).toBe('TKM_STORE_UNAVAILABLE');
      expect(response.body, url).not.toContain('127.0.0.1');
    }
    expect(logs.text()).toContain('store query failed');
  });
});
