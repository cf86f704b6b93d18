import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inspectJournal } from '@tokumei/bus';
import { postBeacon, summary, tempDir, waitUntil } from '../helpers/pipeline.js';
import { spawnTokumei, type TokumeiProcess } from '../helpers/processes.js';

const SITE = 'crash.example.com';
const BEACONS = 3000;
const CONCURRENCY = 24;

describe('embedded mode killed with SIGKILL', () => {
  const running: TokumeiProcess[] = [];
  afterEach(async () => {
    for (const p of running.splice(0)) await p.kill('SIGTERM');
  });

  // Before the journal, a SIGKILL lost whatever the in-process queue held (testers saw 252-382 of 2,500 beacons).
  it('stores exactly the beacons that were answered 202', async () => {
    const dataDir = tempDir('tokumei-crash-');
    const env = { TOKUMEI_DATA_DIR: dataDir, TOKUMEI_LOG_LEVEL: 'warn', TOKUMEI_GEO: 'off' };
    const first = await spawnTokumei(env);
    running.push(first);
    const ingest = first.urls.ingest ?? '';

    let accepted = 0;
    let refused = 0;
    let next = 0;
    const latencies: number[] = [];
    const started = performance.now();
    // Some beacons one by one, most of them concurrently: both paths through the journal's group commit.
    const sender = async () => {
      for (let i = next++; i < BEACONS; i = next++) {
        const sentAt = performance.now();
        const status = await postBeacon(ingest, { site: SITE, url: `https://${SITE}/page/${i % 40}`, sid: `tab-${i % 300}` }).catch(() => 0);
        latencies.push(performance.now() - sentAt);
        if (status === 202) accepted += 1;
        else refused += 1;
      }
    };
    await Promise.all([sender(), ...Array.from({ length: CONCURRENCY - 1 }, () => sender())]);
    const seconds = (performance.now() - started) / 1000;
    // Right after the last 202: the worker has not stored most of them yet.
    await first.kill('SIGKILL');
    running.splice(running.indexOf(first), 1);

    const journal = path.join(dataDir, 'journal');
    const files = fs.readdirSync(journal);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(fs.statSync(path.join(journal, file)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(journal).mode & 0o777).toBe(0o700);
    // Raw records are encrypted at rest: no host, path or user agent in the clear.
    const bytes = Buffer.concat(files.map((f) => fs.readFileSync(path.join(journal, f))));
    for (const clear of [SITE, '/page/', 'Mozilla', 'tab-']) expect(bytes.includes(clear)).toBe(false);

    // Whole segments stay until all of their records are stored, so this counts some stored records too.
    const journaled = inspectJournal(journal).segments.reduce((n, s) => n + s.records, 0);
    expect(journaled).toBeGreaterThan(0);

    const second = await spawnTokumei(env);
    running.push(second);
    const api = second.urls.api ?? '';
    const stored = await waitUntil(() => summary(api, SITE), (s) => s.pageviews >= accepted, 120_000, 250);
    // Once the worker committed the replayed records, their segments are deleted: then nothing is left to replay, so
    // nothing more can arrive later (no double counting still to come) and the count is final.
    await waitUntil(() => Promise.resolve(fs.readdirSync(journal).map((f) => fs.statSync(path.join(journal, f)).size)),
      (sizes) => sizes.reduce((a, b) => a + b, 0) === 0, 10_000);
    const settled = await summary(api, SITE);
    latencies.sort((a, b) => a - b);
    const p = (q: number) => (latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0).toFixed(1);
    process.stdout.write(`[crash] SIGKILL after ${accepted} accepted beacons (${refused} refused, ${CONCURRENCY} concurrent, `
      + `${Math.round(accepted / seconds)}/s, 202 latency p50 ${p(0.5)} ms p99 ${p(0.99)} ms; the journal held ${journaled} records, stored or not): stored ${settled.pageviews}, lost ${accepted - settled.pageviews}\n`);
    expect(refused).toBe(0);
    expect(stored.pageviews).toBe(accepted);
    expect(settled.pageviews).toBe(accepted);
  }, 240_000);
});
