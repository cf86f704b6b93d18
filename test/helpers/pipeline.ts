import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { loadConfig, type Config } from '@tokumei/config';

export function tempDir(prefix = 'tokumei-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A unique suffix so each test has its own topic, group and site. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Config for an in-process pipeline on free ports and its own data directory. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    TOKUMEI_DATA_DIR: tempDir(),
    INGEST_PORT: '0',
    API_PORT: '0',
    TOKUMEI_LOG_LEVEL: 'warn',
    ...env,
  });
}

export interface BeaconInput {
  site: string;
  url: string;
  referrer?: string;
  sid?: string;
  event?: string;
}

/** A real browser's user agent: anything less (Node's own `node`, say) is counted as a bot and not stored. */
export const BROWSER_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** Sends one beacon as a browser would (text/plain, like sendBeacon) and returns the status. */
export async function postBeacon(ingestUrl: string, beacon: BeaconInput, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(`${ingestUrl}/collect`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8', 'user-agent': BROWSER_UA, ...headers },
    body: JSON.stringify(beacon),
  });
  await response.arrayBuffer();
  return response.status;
}

export async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(url, { headers });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export interface SummaryBody {
  pageviews: number;
  visitors: number;
  sessions: number;
}

export function summary(apiUrl: string, site: string): Promise<SummaryBody> {
  return getJson<SummaryBody>(`${apiUrl}/api/stats/summary?site=${encodeURIComponent(site)}`);
}

/** Polls until `check` returns true; returns the last value. Fails with the last value after the timeout. */
export async function waitUntil<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs: number, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await read();
      if (check(last)) return last;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}${lastError === undefined ? '' : `; last error: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)}`}`);
}

/** Every row of every table in the current database as text: what a privacy check must search. */
export async function dumpAllTables(client: ClickHouseClient): Promise<string> {
  const tables = await (await client.query({
    query: "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine NOT IN ('MaterializedView', 'View')",
    format: 'JSONEachRow',
  })).json<{ name: string }>();
  let dump = '';
  for (const { name } of tables) {
    const result = await client.query({ query: `SELECT * FROM \`${name}\``, format: 'TabSeparatedWithNames' });
    dump += `== ${name}\n${await result.text()}\n`;
  }
  return dump;
}

/** Identifiers the tests send, from documentation ranges, to search for afterwards. */
export const SECRETS = {
  ips: ['203.0.113.7', '198.51.100.23', '2001:db8::1'],
  ua: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0 TokumeiTest/9.9',
  sid: 'sid-canary-7f3a9c',
  email: 'jane.doe@example.com',
} as const;
