import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createStoreClient } from '@tokumei/store';
import { clfTime, peerStats, writeAccessLog } from '../helpers/access-log.js';
import { dumpAllTables, tempDir, uniqueName } from '../helpers/pipeline.js';
import { spawnTokumei, type TokumeiProcess } from '../helpers/processes.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../apps/tokumei/bin/tokumei-dev.js');
const SITE = 'import.example.com';
const DAY = 86_400_000;

interface Imported {
  readonly code: number | null;
  readonly output: string;
}

/** Runs `tokumei import` as its own process, as a user would; `onOutput` may kill it. */
function runImport(args: string[], env: Record<string, string>, onStart?: (kill: (signal: NodeJS.Signals) => void) => void): Promise<Imported> {
  const child = spawn(process.execPath, [BIN, 'import', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TOKUMEI_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  onStart?.((signal) => child.kill(signal));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

/** What Tokumei stored for the site: page views per path and distinct visitor hashes per UTC day. */
async function storedStats(dataDir: string): Promise<{ pageviews: Map<string, number>; dailyVisitors: Map<string, number>; dump: string }> {
  const store = await createStoreClient({ dataDir, clickhouseUrl: undefined });
  try {
    const query = async <T>(sql: string) => (await store.client.query({ query: sql, query_params: { site: SITE }, format: 'JSONEachRow' })).json<T>();
    const paths = await query<{ path: string; n: string }>("SELECT path, count() AS n FROM events WHERE site = {site:String} AND event = 'pageview' GROUP BY path");
    const days = await query<{ day: string; n: string }>('SELECT toString(toDate(ts)) AS day, uniqExact(visitor) AS n FROM events WHERE site = {site:String} AND visitor != 0 GROUP BY day');
    return {
      pageviews: new Map(paths.map((r) => [r.path, Number(r.n)])),
      dailyVisitors: new Map(days.map((r) => [r.day, Number(r.n)])),
      dump: await dumpAllTables(store.client),
    };
  } finally {
    await store.close();
  }
}

function sorted<V>(map: Map<string, V>): [string, V][] {
  return [...map].sort(([a], [b]) => a.localeCompare(b));
}

/** A log over three old days (run salts) and today (the shared day salt). */
function makeLog(dir: string, lines: number): string {
  const file = path.join(dir, 'access.log');
  const start = Math.floor(Date.now() / DAY) * DAY - 3 * DAY;
  writeAccessLog(file, { lines, start, days: 3 + (Date.now() % DAY) / DAY * 0.9 });
  return file;
}

async function expectPeerMatch(dataDir: string, file: string): Promise<void> {
  const peer = peerStats(file);
  const stored = await storedStats(dataDir);
  expect(sorted(stored.pageviews)).toEqual(sorted(peer.pageviews));
  expect(sorted(stored.dailyVisitors)).toEqual(sorted(peer.dailyVisitors));
  // No address or agent of the log reached ClickHouse, and no run salt outlived the import.
  for (const secret of ['192.0.2.', '198.51.100.', '203.0.113.', '2001:db8:', 'Mozilla/5.0', 'Googlebot', 'session=abc']) {
    expect(stored.dump, `stored data contains ${secret}`).not.toContain(secret);
  }
  const salts = JSON.parse(fs.readFileSync(path.join(dataDir, 'salts.json'), 'utf8')) as Record<string, string>;
  expect(Object.keys(salts).filter((k) => k.startsWith('run:'))).toEqual([]);
}

describe('tokumei import', () => {
  const processes: TokumeiProcess[] = [];
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.kill('SIGTERM');
  });

  it('matches an independent count of the same log (nothing running: stores in-process, then exits)', async () => {
    const dataDir = tempDir();
    const file = makeLog(dataDir, 30_000);
    // With a pseudonymizing thread (the default is none: the next test imports on one thread).
    const result = await runImport(['--site', SITE, '--threads', '1', file], { TOKUMEI_DATA_DIR: dataDir });
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('stored by this process');
    expect(result.output).not.toMatch(/192\.0\.2\.|2001:db8|Mozilla/);
    await expectPeerMatch(dataDir, file);

    // Running it again stores nothing more: the checkpoint says the file is done.
    const again = await runImport(['--site', SITE, file], { TOKUMEI_DATA_DIR: dataDir });
    expect(again.code, again.output).toBe(0);
    expect(again.output).toMatch(/continued after line 30000\): 0 lines/);
    await expectPeerMatch(dataDir, file);
  });

  it('reports lines by what the store keeps: old days in the totals only, beyond retention and future lines skipped', async () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, 'dates.log');
    const now = Date.now();
    const ua = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
    const line = (ms: number | string, target: string, agent = ua, referrer = '-') =>
      `192.0.2.44 - - [${typeof ms === 'string' ? ms : clfTime(ms)}] "GET ${target} HTTP/1.1" 200 5 "${referrer}" "${agent}"`;
    fs.writeFileSync(file, `${[
      line(now - 3_600_000, '/recent'),
      line(now - 60 * DAY, '/sixty-days'),
      line(now - 3650 * DAY, '/ten-years'),
      line(now + 365 * DAY, '/next-year'),
      line(`31/Feb/${new Date(now).getUTCFullYear()}:10:00:00 +0000`, '/feb-31'),
      line(now - 3_600_000, '/a\u0000b'),
      line(now - 3_600_000, '/clean', `${ua}\u0000`, 'https://www.example.org/\u0000x'),
    ].join('\n')}\n`);
    const result = await runImport(['--site', SITE, file], { TOKUMEI_DATA_DIR: dataDir });
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/page views: 3\n +1 of them older than the events retention/);
    expect(result.output).toContain('1 in the future, 1 older than retention');
    expect(result.output).toContain('line 5: invalid or missing time');
    expect(result.output).toContain('line 6: control character in the request target');

    const store = await createStoreClient({ dataDir, clickhouseUrl: undefined });
    try {
      const paths = async (query: string) => (await (await store.client.query({ query, query_params: { site: SITE }, format: 'JSONEachRow' }))
        .json<{ path: string }>()).map((r) => r.path);
      // ClickHouse drops the 60-day-old event on insert (TTL), but its materialized views counted it first.
      expect(await paths('SELECT DISTINCT path FROM events WHERE site = {site:String} ORDER BY path')).toEqual(['/clean', '/recent']);
      expect(await paths("SELECT DISTINCT value AS path FROM agg_dimensions_hourly WHERE site = {site:String} AND dimension = 'page' ORDER BY path"))
        .toEqual(['/clean', '/recent', '/sixty-days']);
      const referrers = await (await store.client.query({ query: 'SELECT DISTINCT referrer_host FROM events', format: 'JSONEachRow' })).json<{ referrer_host: string }>();
      expect(JSON.stringify(referrers)).not.toContain('\\u0000');
    } finally {
      await store.close();
    }
  });

  it('resumes after being killed mid-file (SIGKILL) without counting any line twice', async () => {
    const dataDir = tempDir();
    const file = makeLog(dataDir, 120_000);
    const checkpoints = path.join(dataDir, 'imports');
    const killed = await runImport(['--site', SITE, '--batch', '500', file], { TOKUMEI_DATA_DIR: dataDir }, (kill) => {
      // Kill once the checkpoint shows the import is a part of the way in.
      const timer = setInterval(() => {
        const saved = fs.existsSync(checkpoints) ? fs.readdirSync(checkpoints).filter((f) => f.endsWith('.json')) : [];
        const line = saved.length === 0 ? 0 : (JSON.parse(fs.readFileSync(path.join(checkpoints, saved[0] ?? ''), 'utf8')) as { line: number }).line;
        if (line > 20_000) {
          clearInterval(timer);
          kill('SIGKILL');
        }
      }, 20);
    });
    expect(killed.code, killed.output).toBeNull();
    const resumed = await runImport(['--site', SITE, '--batch', '500', file], { TOKUMEI_DATA_DIR: dataDir });
    expect(resumed.code, resumed.output).toBe(0);
    const continuedAfter = Number(/continued after line (\d+)/.exec(resumed.output)?.[1]);
    expect(continuedAfter).toBeGreaterThan(20_000);
    expect(continuedAfter).toBeLessThan(120_000);
    const peer = peerStats(file);
    const stored = await storedStats(dataDir);
    // Page views are exact; visitors are not compared: the two runs hashed old days with different run salts.
    expect(sorted(stored.pageviews)).toEqual(sorted(peer.pageviews));
  });

  it('hands the lines to a running `tokumei start` on the same data directory', async () => {
    const dataDir = tempDir();
    const file = makeLog(dataDir, 20_000);
    const running = await spawnTokumei({ TOKUMEI_DATA_DIR: dataDir, TOKUMEI_LOG_LEVEL: 'warn' });
    processes.push(running);
    const result = await runImport(['--site', SITE, file], { TOKUMEI_DATA_DIR: dataDir });
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('stored by the running Tokumei');
    const summary = await (await fetch(`${running.urls.api ?? ''}/api/stats/summary?site=${SITE}&from=${new Date(Date.now() - 4 * DAY).toISOString().slice(0, 10)}`)).json() as { pageviews: number };
    expect(summary.pageviews).toBe(peerStats(file).total);
    await running.kill('SIGTERM');
    await expectPeerMatch(dataDir, file);
    expect(running.output()).not.toMatch(/192\.0\.2\.|2001:db8|Mozilla\/5\.0 \(/);
  });

  it('publishes to Kafka when KAFKA_BROKERS is set, and ends once the workers stored everything', async () => {
    const dataDir = tempDir();
    const file = makeLog(dataDir, 20_000);
    const env = {
      KAFKA_BROKERS: inject('kafkaBrokers'), TOKUMEI_RAW_TOPIC: uniqueName('raw'), TOKUMEI_CONSUMER_GROUP: uniqueName('workers'),
      TOKUMEI_SALT_TOPIC: uniqueName('salts'), TOKUMEI_RAW_PARTITIONS: '3', TOKUMEI_KAFKA_SESSION_TIMEOUT_MS: '6000', TOKUMEI_LOG_LEVEL: 'warn',
    };
    const worker = await spawnTokumei({ ...env, TOKUMEI_ROLES: 'worker,api', TOKUMEI_DATA_DIR: dataDir });
    processes.push(worker);
    const result = await runImport(['--site', SITE, file], { ...env, TOKUMEI_DATA_DIR: tempDir() });
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('published to Kafka');
    expect(result.output).toMatch(/[1-9]\d* run salt\(s\) destroyed/);
    await worker.kill('SIGTERM');
    const peer = peerStats(file);
    const stored = await storedStats(dataDir);
    expect(sorted(stored.pageviews)).toEqual(sorted(peer.pageviews));
    expect(sorted(stored.dailyVisitors)).toEqual(sorted(peer.dailyVisitors));
  });
});
