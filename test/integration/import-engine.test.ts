import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IMPORT_ENGINE, createStoreClient, type StoreClient } from '@tokumei/store';
import { importCommand } from '../../apps/tokumei/src/import-command.js';
import { writeAccessLog } from '../helpers/access-log.js';
import { tempDir, waitUntil } from '../helpers/pipeline.js';

/**
 * The settings that bound the in-process import's memory (packages/store/src/client.ts, IMPORT_ENGINE) take effect
 * only if they reach the engine when it starts, and chDB accepts an unknown or late setting without a word: these
 * tests read them back. The order matters: libchdb's allocator reads its options once per process, so the first
 * test is the first to load libchdb in this process (vitest runs each file in its own).
 */

const DAY = 86_400_000;

async function serverSettings(store: StoreClient, names: readonly string[]): Promise<Record<string, string>> {
  const rows = await (await store.client.query({
    query: 'SELECT name, value FROM system.server_settings WHERE name IN {names:Array(String)}',
    query_params: { names },
    format: 'JSONEachRow',
  })).json<{ name: string; value: string }>();
  return Object.fromEntries(rows.map((r) => [r.name, r.value]));
}

/** jemalloc's own report of the options it runs with. */
async function allocatorStats(store: StoreClient): Promise<string> {
  const rows = await (await store.client.query({ query: 'SELECT * FROM system.jemalloc_stats', format: 'JSONEachRow' })).json<Record<string, string>>();
  return Object.values(rows[0] ?? {}).join('');
}

const opened: StoreClient[] = [];
afterAll(async () => {
  for (const store of opened.reverse()) await store.close();
});

describe('the import\'s embedded engine', () => {
  it('tokumei import (nothing running: it stores the records itself) loads libchdb with the allocator options', async () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, 'access.log');
    writeAccessLog(file, { lines: 200, start: Math.floor(Date.now() / DAY) * DAY - 2 * DAY, days: 1 });
    const keys = ['KAFKA_BROKERS', 'CLICKHOUSE_URL', 'TOKUMEI_DATA_DIR', 'TOKUMEI_LOG_LEVEL'] as const;
    const saved = keys.map((key) => [key, process.env[key]] as const);
    try {
      // In this process, so what the import started can be read afterwards; no Kafka, no running instance.
      delete process.env.KAFKA_BROKERS;
      delete process.env.CLICKHOUSE_URL;
      process.env.TOKUMEI_DATA_DIR = dataDir;
      process.env.TOKUMEI_LOG_LEVEL = 'warn';
      expect(await importCommand(['--quiet', '--site', 'engine.example.com', file])).toBe(0);
    } finally {
      for (const [key, value] of saved) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    expect(fs.existsSync(path.join(dataDir, 'clickhouse'))).toBe(true);
    // The import closed its engine; a store opened now starts a new one (chDB's defaults) on the same libchdb.
    const store = await createStoreClient({ dataDir, clickhouseUrl: undefined });
    opened.push(store);
    const stats = await allocatorStats(store);
    expect(stats).toContain(`Environment variable MALLOC_CONF: "${IMPORT_ENGINE.allocator}"`);
    expect(stats).toMatch(/opt\.dirty_decay_ms: 0\b/);
    const rows = await (await store.client.query({ query: "SELECT count() AS n FROM events WHERE site = 'engine.example.com'", format: 'JSONEachRow' })).json<{ n: string }>();
    expect(Number(rows[0]?.n)).toBeGreaterThan(0);
    await store.close();
    opened.pop();
  });

  it('createStoreClient starts the engine with IMPORT_ENGINE\'s server settings and refuses other ones while it runs', async () => {
    const dataDir = tempDir();
    const names = Object.keys(IMPORT_ENGINE.serverSettings ?? {});
    const pool = String(IMPORT_ENGINE.serverSettings?.background_pool_size);
    expect(pool).toMatch(/^\d+$/);
    const store = await createStoreClient({ dataDir, clickhouseUrl: undefined }, IMPORT_ENGINE);
    opened.push(store);
    expect(await serverSettings(store, names)).toEqual(
      Object.fromEntries(Object.entries(IMPORT_ENGINE.serverSettings ?? {}).map(([name, value]) => [name, String(value)])),
    );
    // A second store on the same directory joins the running engine: same settings, whatever it asks for.
    const joined = await createStoreClient({ dataDir, clickhouseUrl: undefined });
    opened.push(joined);
    expect((await serverSettings(joined, ['background_pool_size'])).background_pool_size).toBe(pool);
    // So asking for other settings then is refused rather than silently not applied.
    const other = Number(pool) + 2;
    await expect(createStoreClient({ dataDir, clickhouseUrl: undefined }, { serverSettings: { background_pool_size: other } }))
      .rejects.toThrow(`background_pool_size=${other} (has ${pool})`);
    await expect(createStoreClient({ dataDir, clickhouseUrl: undefined }, { serverSettings: { no_such_server_setting: 1 } }))
      .rejects.toThrow(/no_such_server_setting=1 \(has no such setting\)/);
    await expect(createStoreClient({ dataDir, clickhouseUrl: undefined }, { allocator: 'dirty_decay_ms:1000' }))
      .rejects.toThrow(/libchdb was loaded earlier/);
  });

  it('holds merges back while the parts are few, lets them run past holdMergesBelowParts, and holds them again', async () => {
    // chDB runs one data directory per process: the stores of the test before let go of theirs.
    for (const store of opened.splice(0).reverse()) await store.close();
    const limit = IMPORT_ENGINE.holdMergesBelowParts;
    expect(limit).toBeGreaterThan(1);
    const store = await createStoreClient({ dataDir: tempDir(), clickhouseUrl: undefined }, IMPORT_ENGINE);
    opened.push(store);
    const db = store.client;
    await db.command({ query: 'CREATE TABLE scratch (x UInt32) ENGINE = MergeTree ORDER BY x' });
    const insert = (x: number) => db.command({ query: `INSERT INTO scratch VALUES (${x})` });
    // OPTIMIZE is a merge asked for now: refused while merges are stopped, so it tells the state without waiting.
    const merges = async () => {
      try {
        await db.command({ query: 'OPTIMIZE TABLE scratch FINAL' });
        return 'run';
      } catch (error) {
        expect(String(error)).toMatch(/Cancelled merging parts|ABORTED/);
        return 'held';
      }
    };
    await insert(0);
    await insert(1);
    // A table created after the store opened is held back from the next check on.
    expect(await waitUntil(merges, (state) => state === 'held', 30_000, 500)).toBe('held');
    // One partition past the limit: merges run again (the check is on a timer of 2 s).
    for (let x = 2; x <= (limit ?? 0); x += 1) await insert(x);
    expect(await waitUntil(merges, (state) => state === 'run', 30_000, 500)).toBe('run');
    // OPTIMIZE FINAL left one part: few again, so they are held back again.
    expect(await waitUntil(merges, (state) => state === 'held', 30_000, 500)).toBe('held');
  });
});
