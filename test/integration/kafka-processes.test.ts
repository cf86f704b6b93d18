import { afterEach, describe, expect, inject, it } from 'vitest';
import { spawnTokumei, type TokumeiProcess } from '../helpers/processes.js';
import { waitUntilConsumed } from '../helpers/faults.js';
import { postBeacon, summary, tempDir, uniqueName, waitUntil } from '../helpers/pipeline.js';

/** Settings for one isolated pipeline on the shared test broker. */
function pipelineEnv(): Record<string, string> {
  return {
    KAFKA_BROKERS: inject('kafkaBrokers'),
    TOKUMEI_RAW_TOPIC: uniqueName('raw'),
    TOKUMEI_CONSUMER_GROUP: uniqueName('workers'),
    TOKUMEI_RAW_PARTITIONS: '3',
    TOKUMEI_KAFKA_SESSION_TIMEOUT_MS: '6000',
    TOKUMEI_BATCH_SIZE: '50',
    TOKUMEI_LOG_LEVEL: 'warn',
  };
}

/**
 * Until the worker group has committed the raw topic's end offsets: the worker commits only what it stored, so from
 * then on nothing is redelivered and a count that is right now stays right (no double counting still to come).
 */
function untilCommitted(env: Record<string, string>): Promise<void> {
  return waitUntilConsumed(env.KAFKA_BROKERS ?? '', env.TOKUMEI_RAW_TOPIC ?? '', env.TOKUMEI_CONSUMER_GROUP ?? '', 60_000);
}

/** Posts `total` beacons from `concurrency` clients; calls `onProgress` after each accepted one. */
async function sendBeacons(ingestUrl: string, site: string, total: number, concurrency: number, onProgress?: (accepted: number) => Promise<void> | void): Promise<number> {
  let next = 0;
  let accepted = 0;
  const client = async () => {
    while (next < total) {
      const i = next++;
      const status = await postBeacon(ingestUrl, { site, url: `https://${site}/page/${i % 13}`, sid: `session-${i % 97}` },
        { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Test/1.0' });
      if (status !== 202) throw new Error(`beacon ${i} answered ${status}`);
      accepted += 1;
      await onProgress?.(accepted);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return accepted;
}

describe('distributed mode: ingest and worker as separate processes over real Kafka', () => {
  const processes: TokumeiProcess[] = [];
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.kill('SIGTERM');
  });

  it('turns N beacons into exactly N page views', async () => {
    const env = pipelineEnv();
    const ingest = await spawnTokumei({ ...env, TOKUMEI_ROLES: 'ingest' });
    processes.push(ingest);
    const worker = await spawnTokumei({ ...env, TOKUMEI_ROLES: 'worker,api', TOKUMEI_DATA_DIR: tempDir() });
    processes.push(worker);

    const site = 'processes.example.com';
    const accepted = await sendBeacons(ingest.urls.ingest ?? '', site, 500, 8);
    expect(accepted).toBe(500);
    await waitUntil(() => summary(worker.urls.api ?? '', site), (s) => s.pageviews >= 500, 60_000);
    await untilCommitted(env);
    expect((await summary(worker.urls.api ?? '', site)).pageviews).toBe(500);
    expect(ingest.output()).not.toContain('Test/1.0');
  });

  it('loses nothing and counts nothing twice when the worker is killed with SIGKILL mid-stream', async () => {
    const env = pipelineEnv();
    const dataDir = tempDir();
    const ingest = await spawnTokumei({ ...env, TOKUMEI_ROLES: 'ingest' });
    processes.push(ingest);
    const workerEnv = { ...env, TOKUMEI_ROLES: 'worker,api', TOKUMEI_DATA_DIR: dataDir };
    let worker = await spawnTokumei(workerEnv);
    processes.push(worker);

    const site = 'sigkill.example.com';
    const total = 3000;
    const kills = [800, 1900];
    let restarting: Promise<void> = Promise.resolve();
    const accepted = await sendBeacons(ingest.urls.ingest ?? '', site, total, 12, (n) => {
      if (kills.includes(n)) {
        // Kill while beacons keep flowing, then start a replacement on the same data directory.
        restarting = restarting.then(async () => {
          await worker.kill('SIGKILL');
          worker = await spawnTokumei(workerEnv);
          processes.push(worker);
        });
      }
    });
    await restarting;
    expect(accepted).toBe(total);
    await waitUntil(() => summary(worker.urls.api ?? '', site), (s) => s.pageviews >= total, 90_000, 250);
    await untilCommitted(env);
    expect((await summary(worker.urls.api ?? '', site)).pageviews).toBe(total);
  });
});
