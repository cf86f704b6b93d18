import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@tokumei/config';
import { FIELD_POLICY, FileRegister, SaltStore, commitment, keyedHash64, type SaltRecord } from '@tokumei/privacy';
import { createStoreClient, migrate, type StoreClient } from '@tokumei/store';
import { ClickHouseSink } from '@tokumei/worker';
import { testConfig } from '../helpers/pipeline.js';

const config = testConfig();
const logger = createLogger({ level: 'warn' });
let store: StoreClient;

beforeAll(async () => {
  store = await createStoreClient(config);
  await migrate(store.client, config, logger);
});
afterAll(async () => {
  await store.close();
});

async function rows<T>(query: string): Promise<T[]> {
  return (await store.client.query({ query, format: 'JSONEachRow' })).json<T>();
}

describe('the field policy is the single source of what is stored', () => {
  it('declares exactly the tables and columns (with types) the migrations create', async () => {
    // Materialized views write TO a declared table and hold no data of their own.
    const actual = await rows<{ table: string; name: string; type: string }>(`
      SELECT table, name, type FROM system.columns
      WHERE database = currentDatabase()
        AND table IN (SELECT name FROM system.tables WHERE database = currentDatabase() AND engine != 'MaterializedView')
      ORDER BY table, name`);
    const declared = FIELD_POLICY.flatMap((t) => t.columns.map((c) => ({ table: t.table, name: c.name, type: c.type })))
      .sort((a, b) => a.table.localeCompare(b.table) || a.name.localeCompare(b.name));
    expect(actual.map((r) => `${r.table}.${r.name}: ${r.type}`)).toEqual(declared.map((r) => `${r.table}.${r.name}: ${r.type}`));
  });

  it('fails the comparison when a table gains an undeclared column', async () => {
    await store.client.command({ query: 'CREATE TABLE policy_probe (site String) ENGINE = MergeTree ORDER BY site' });
    try {
      await store.client.command({ query: 'ALTER TABLE events ADD COLUMN IF NOT EXISTS probe_ip String' });
      const undeclared = await rows<{ table: string; name: string }>(`
        SELECT table, name FROM system.columns WHERE database = currentDatabase()
          AND (table, name) NOT IN (${FIELD_POLICY.flatMap((t) => t.columns.map((c) => `('${t.table}', '${c.name}')`)).join(', ')})
          AND table IN (SELECT name FROM system.tables WHERE database = currentDatabase() AND engine != 'MaterializedView')`);
      expect(undeclared).toEqual([{ table: 'events', name: 'probe_ip' }, { table: 'policy_probe', name: 'site' }]);
    } finally {
      await store.client.command({ query: 'ALTER TABLE events DROP COLUMN IF EXISTS probe_ip' });
      await store.client.command({ query: 'DROP TABLE IF EXISTS policy_probe' });
    }
  });
});

describe('salt lifecycle with the embedded file register and the salt_log', () => {
  it('keeps a day salt across a restart, destroys it after its day plus grace, and leaves no copy in any store', async () => {
    const file = path.join(config.dataDir, 'salts-lifecycle.json');
    let now = Date.parse('2026-03-10T09:00:00Z');
    const records: SaltRecord[] = [];
    const sink = new ClickHouseSink(store.client);
    // The store reports a salt's creation and destruction without waiting for the ledger write, as the worker does;
    // the test keeps the writes to wait for them before reading the ledger.
    const ledgerWrites: Promise<void>[] = [];
    const open = () => new SaltStore(new FileRegister(file), {
      graceMs: 2 * 3_600_000, now: () => now,
      onRecord: (record) => { records.push(record); ledgerWrites.push(sink.recordSalt(record)); },
    });

    const first = open();
    const monday = Buffer.from((await first.saltFor('2026-03-10'))!); // copy: close() wipes the original
    expect(monday).toHaveLength(32);
    expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('600');
    const visitor = ['visitor', 'example.com', '203.0.113.9', 'Mozilla/5.0 Firefox/128.0'];
    const mondayHash = keyedHash64(monday, visitor);
    await first.close();

    // A restarted worker reads the same salt back: visitors stay stable within the day.
    now += 3_600_000;
    const second = open();
    expect(keyedHash64((await second.saltFor('2026-03-10'))!, visitor)).toBe(mondayHash);
    // The next day has another salt, so the same person is another visitor.
    now = Date.parse('2026-03-11T00:30:00Z');
    const tuesday = Buffer.from((await second.saltFor('2026-03-11'))!);
    expect(keyedHash64(tuesday, visitor)).not.toBe(mondayHash);
    // Inside the grace period, Monday's late records still get Monday's salt.
    expect(keyedHash64((await second.saltFor('2026-03-10'))!, visitor)).toBe(mondayHash);

    now = Date.parse('2026-03-11T02:00:01Z');
    expect(await second.rotate()).toEqual(['2026-03-10']);
    expect(await second.saltFor('2026-03-10')).toBeUndefined();
    await second.close();

    const bytes = fs.readFileSync(file);
    for (const form of [monday, Buffer.from(monday.toString('base64')), Buffer.from(monday.toString('hex'))]) {
      expect(bytes.includes(form)).toBe(false);
    }
    // The register stores base64 values: decode every one and look for the salt's bytes, Tuesday's as the control.
    const stored = Object.values(JSON.parse(bytes.toString('utf8')) as Record<string, string>).map((v) => Buffer.from(v, 'base64'));
    expect(stored.some((value) => value.includes(monday))).toBe(false);
    expect(stored.some((value) => value.includes(tuesday))).toBe(true);
    // A third process cannot get Monday's salt back either: the day is over, nothing is proposed or read.
    const third = open();
    expect(await third.saltFor('2026-03-10')).toBeUndefined();
    expect(await third.liveDays()).toEqual(['2026-03-11']);
    await third.close();

    // The ledger holds the commitment with creation and destruction times, never the salt.
    await Promise.all(ledgerWrites);
    const ledger = await rows<{ day: string; commitment: string; created: string; destroyed: string | null }>(
      "SELECT day, commitment, created, destroyed FROM salt_log FINAL WHERE day = '2026-03-10'");
    expect(ledger).toEqual([{
      day: '2026-03-10', commitment: commitment(monday), created: '2026-03-10 09:00:00', destroyed: '2026-03-11 02:00:01',
    }]);
    expect(records.filter((r) => r.destroyed !== undefined).map((r) => r.day)).toEqual(['2026-03-10']);
    const everything = await rows<Record<string, unknown>>('SELECT * FROM salt_log');
    for (const form of [monday.toString('base64'), monday.toString('hex')]) expect(JSON.stringify(everything)).not.toContain(form);
  });
});
