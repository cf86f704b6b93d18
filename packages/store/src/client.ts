import fs from 'node:fs';
import path from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import type { Config } from '@tokumei/config';
import type * as Chdb from 'chdb';

export type StoreKind = 'embedded' | 'server';

export interface StoreClient {
  readonly kind: StoreKind;
  readonly client: ClickHouseClient;
  close(): Promise<void>;
}

/**
 * How the embedded engine (chDB) starts. Both parts take effect only when this store is the first thing in the
 * process to start it: libchdb reads its allocator options once, when it is loaded, and later connections to the
 * same data directory share the engine the first one started. `createStoreClient` reads both back and refuses to
 * open a store that did not get them, so a bound that is silently not applied cannot pass for one that is.
 */
export interface EmbeddedEngine {
  /** jemalloc options (`opt.*` names, comma-separated) for libchdb's allocator. */
  readonly allocator?: string;
  /** Server settings (`system.server_settings`), given to the engine as its start-up arguments. */
  readonly serverSettings?: Readonly<Record<string, number>>;
  /**
   * Merges held back (`SYSTEM STOP MERGES`, the engine's state, not the tables': nothing is written to disk) while
   * every partition has fewer active parts than this; once one has more they run again (as the server settings
   * allow), and are held back again when the largest is down to half. Merges are what grows an import's memory.
   */
  readonly holdMergesBelowParts?: number;
}

/**
 * The engine of `tokumei import` (no Tokumei running: the import stores its records itself). Measured on 8 KB agents,
 * a new one per line (bench/import, packages/import/README.md "Where the in-process import's memory goes"):
 * - `dirty_decay_ms:0`: chDB's build keeps freed pages for 5 s (`dirty_decay_ms:5000`) before returning them, so
 *   every insert's garbage was still resident at the next one: jemalloc resident 163 MB against 77 MB allocated at
 *   the peak of 100 k lines; with 0, 79 MB resident for 67 MB allocated (peak RSS 525–545 → 489–501 MB, three runs each). libchdb's jemalloc
 *   reads `JE_MALLOC_CONF`, not `MALLOC_CONF` (its stats say so: "Environment variable MALLOC_CONF" shows the
 *   prefixed variable's value).
 * - One merge at a time (`background_pool_size` 1 and a concurrency ratio of 1; chDB's default allows 4), and none
 *   started while merges hold more than 64 MB: merges, not inserts, are what grows with the run. Four concurrent
 *   merges took MemoryTracking from 33 to 91 MB on 300 k lines. This bounds how many merges add up, not what one
 *   costs: late in 1 M lines a single merge of 8 parts still took jemalloc from 47 to 132 MB allocated, and the peak
 *   was no lower (with `dirty_decay_ms:0` and a probe running: 570 MB over 1 M lines without them, 570 MB by line
 *   584 k with them; the bench with them and no probe: 543 MB). Kept because they cost the import nothing (inserts
 *   never wait for merges; parts stay unmerged a little longer, 30–50 active measured).
 * - Merges held back until a partition has 300 active parts (`holdMergesBelowParts`), since what one merge costs is
 *   what grew the run (above) and no MergeTree setting bounded it: with the output part kept compact
 *   (`min_bytes_for_wide_part` 1 GiB, so a merge writes one file, not two buffers per column) and 2,048-row merge
 *   blocks, 1 M lines still peaked at 554 MB (given in a `--config-file`'s `<merge_tree>`, the one way found to reach
 *   them: `--merge_tree.<name>=` arguments are ignored). Held back, the same run peaked at 510 MB by mid-run and
 *   stayed there (2,894 lines per CPU s against 2,518–2,614: inserts never waited for merges anyway). What it moves:
 *   the next engine on the directory merges the parts (720 to 18 in 24 s with chDB's defaults, +333 MB for it).
 *   300 is a third of `parts_to_delay_insert` (1,000, where ClickHouse starts slowing inserts down): an import large
 *   enough to reach it merges again, one merge at a time. Held by `SYSTEM STOP MERGES`, the engine's state: nothing
 *   is written to the tables, so `tokumei start` merges the parts with its own settings when it next runs.
 * Not set, because they measured nothing here: the caches (`mark_cache_size`, `primary_index_cache_size`, … are
 * ceilings, and an import reads too little to fill them: MarkCacheBytes stayed 0).
 * `tokumei start` keeps chDB's defaults: its queries would pay for returning pages at once (a page fault on every
 * reuse), and one merge at a time is too few for live traffic on many tables.
 */
export const IMPORT_ENGINE: EmbeddedEngine = {
  allocator: 'dirty_decay_ms:0',
  serverSettings: {
    background_pool_size: 1,
    background_merges_mutations_concurrency_ratio: 1,
    merges_mutations_memory_usage_soft_limit: 64 * 1024 * 1024,
  },
  holdMergesBelowParts: 300,
};

/** The variable libchdb's jemalloc reads its options from (built with the `je_` prefix). */
const ALLOCATOR_VARIABLE = 'JE_MALLOC_CONF';

/**
 * `@clickhouse/client` everywhere: a server when CLICKHOUSE_URL is set, otherwise ClickHouse's own engine in this
 * process (chDB) on TOKUMEI_DATA_DIR. chDB is loaded only here and only in embedded mode, so an ingest-only process
 * never maps its 500 MB library. `engine` configures the embedded engine (ignored with a server).
 */
export async function createStoreClient(config: Pick<Config, 'clickhouseUrl' | 'dataDir'>, engine: EmbeddedEngine = {}): Promise<StoreClient> {
  if (config.clickhouseUrl !== undefined) {
    const client = createClient({
      url: config.clickhouseUrl,
      request_timeout: 30_000,
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    });
    return { kind: 'server', client, close: () => client.close() };
  }
  const dir = path.join(config.dataDir, 'clickhouse');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const chdb = await loadChdb(engine.allocator);
  const settings = Object.entries(engine.serverSettings ?? {});
  // The first connection starts the engine, with these arguments; the client's connection below joins it.
  const starter = settings.length === 0 ? undefined : new chdb.Session(dir, { connectionArgs: settings.map(([name, value]) => `--${name}=${value}`) });
  const { createChdbConnection } = await import('chdb/connection');
  // chdb implements @clickhouse/client-common's Connection; @clickhouse/client bundles its own copy of those types.
  const connection = createChdbConnection({ path: dir }) as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection'];
  starter?.close();
  const client = createClient({ connection });
  let merges: MergeHold | undefined;
  const close = async () => {
    await merges?.stop();
    await client.close();
    // chDB's close returns before the engine lets go of the directory; wait, so the next open cannot race it.
    await chdb.drainPending();
  };
  try {
    await checkEngine(client, engine, settings);
    if (engine.holdMergesBelowParts !== undefined) merges = await holdMerges(client, engine.holdMergesBelowParts);
  } catch (error) {
    await close();
    throw error;
  }
  return { kind: 'embedded', client, close };
}

interface MergeHold {
  stop(): Promise<void>;
}

/** How often the parts are counted while merges are held back: an import adds a part per table every batch or so. */
const MERGE_HOLD_CHECK_MS = 2_000;

/**
 * Holds merges back while the parts stay few (see `holdMergesBelowParts`). Checked on a timer rather than per insert,
 * so the store stays a plain client; a check that fails lets merges run, the engine's usual state.
 */
async function holdMerges(client: ClickHouseClient, maxParts: number): Promise<MergeHold> {
  let held = false;
  const set = async (hold: boolean) => {
    // Stopping is said again at every check: it reaches only the tables that exist (the import's migrations create
    // them after the store opens).
    if (hold === held && !hold) return;
    await client.command({ query: hold ? 'SYSTEM STOP MERGES' : 'SYSTEM START MERGES' });
    held = hold;
  };
  const check = async () => {
    try {
      const rows = await (await client.query({
        query: 'SELECT max(n) AS parts FROM (SELECT count() AS n FROM system.parts WHERE active GROUP BY database, table, partition_id)',
        format: 'JSONEachRow',
      })).json<{ parts: string | number }>();
      const parts = Number(rows[0]?.parts ?? 0);
      await set(held ? parts < maxParts : parts * 2 <= maxParts);
    } catch {
      await set(false).catch(() => undefined);
    }
  };
  await check();
  let pending = Promise.resolve();
  const timer = setInterval(() => {
    pending = pending.then(check);
  }, MERGE_HOLD_CHECK_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await pending;
      // Merges stay held: started now they would run (a hundred parts at once) while the engine closes, which took
      // the end of a 1 M-line import from 486 to 608 MB. The hold dies with the engine; the next start merges.
    },
  };
}

/**
 * libchdb's allocator reads its options from the environment once, while libchdb is loaded; the variable is set
 * for that moment only, so child processes do not inherit it.
 */
async function loadChdb(allocator: string | undefined): Promise<typeof Chdb> {
  if (allocator === undefined) return import('chdb');
  // eslint-disable-next-line no-restricted-properties -- written, not read: the one way to reach libchdb's allocator
  const environment = process.env;
  const before = environment[ALLOCATOR_VARIABLE];
  environment[ALLOCATOR_VARIABLE] = allocator;
  try {
    return await import('chdb');
  } finally {
    if (before === undefined) delete environment[ALLOCATOR_VARIABLE];
    else environment[ALLOCATOR_VARIABLE] = before;
  }
}

/** Reads the engine's settings back: an unknown name or an engine started earlier with others would pass silently. */
async function checkEngine(client: ClickHouseClient, engine: EmbeddedEngine, settings: readonly (readonly [string, number])[]): Promise<void> {
  if (settings.length > 0) {
    const rows = await (await client.query({
      query: 'SELECT name, value FROM system.server_settings WHERE name IN {names:Array(String)}',
      query_params: { names: settings.map(([name]) => name) },
      format: 'JSONEachRow',
    })).json<{ name: string; value: string }>();
    const actual = new Map(rows.map((r) => [r.name, r.value]));
    const wrong = settings.filter(([name, value]) => actual.get(name) !== String(value));
    if (wrong.length > 0) {
      throw new Error(`the embedded engine runs without ${wrong.map(([name, value]) => `${name}=${value} (has ${actual.get(name) ?? 'no such setting'})`).join(', ')}: it was started earlier in this process with other settings`);
    }
  }
  if (engine.allocator !== undefined) {
    const stats = await (await client.query({ query: 'SELECT * FROM system.jemalloc_stats', format: 'JSONEachRow' })).json<Record<string, string>>();
    const text = Object.values(stats[0] ?? {}).join('');
    const read = /Environment variable MALLOC_CONF: "([^"]*)"/.exec(text)?.[1];
    if (read !== engine.allocator) {
      throw new Error(`libchdb's allocator runs with options "${read ?? '?'}", not "${engine.allocator}": libchdb was loaded earlier in this process`);
    }
  }
}
