/**
 * bench/embedded: embedded mode (`tokumei start`: ingest, worker and chDB in one process, the compiled CLI) under
 * sustained `POST /collect`, against a bare fastify server that parses the same body, in the same run.
 *
 * A short rate search first finds the highest fixed rate the instance sustains (no 503, the rate achieved, a bus
 * backlog under half its bound), then the instance takes that rate for BENCH_SECONDS (default 60). Printed: sustained
 * beacons/s and its ratio to bare fastify's rate (target ≥ 0.5), p50/p99, the number of 503s (target 0), peak RSS of
 * the instance, and whether every 202 is stored: after the load the instance drains and stops cleanly, and the
 * bench counts the site's rows in chDB itself.
 *   npm run bench:embedded
 *   BENCH_SECONDS=20 BENCH_STEP_SECONDS=5 BENCH_RATE=4000 npm run bench:embedded   (BENCH_RATE skips the search)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { createStoreClient } from '@tokumei/store';
import { loadAverage, mb, runLoad, type LoadResult } from '../lib/load.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const STEP_SECONDS = Number(process.env.BENCH_STEP_SECONDS ?? 8);
// Beacons come from many independent browsers, none waiting for another's 202: enough connections that the 202's
// latency (a journal fsync) does not cap the offered rate, for bare fastify and the instance alike.
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 128);
const FIXED_RATE = process.env.BENCH_RATE === undefined ? undefined : Number(process.env.BENCH_RATE);
const SITE = 'bench-embedded.example.com';
/** The instance's TOKUMEI_BUS_MAX_PENDING (its default): past it ingest answers 503. */
const MAX_PENDING = 10_000;
const BODY = JSON.stringify({ site: SITE, url: `https://${SITE}/products/42?utm_source=bench`, referrer: 'https://www.example.org/', sid: 'bench-session-1', w: 1280, lang: 'en-GB' });
const HEADERS = { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' };
// BENCH_BIN: another build's CLI (e.g. a worktree of an earlier commit, for a before/after under the same load).
const BIN = process.env.BENCH_BIN ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../apps/tokumei/bin/tokumei.js');

function line(name: string, r: LoadResult, load: string): string {
  return `${name.padEnd(30)} ${r.requestsPerSecond.toFixed(0).padStart(7)} req/s  p50 ${String(r.p50Ms).padStart(3)} ms  p99 ${String(r.p99Ms).padStart(4)} ms`
    + `  202 ${r.statuses['202'] ?? 0}  503 ${r.statuses['503'] ?? 0}  other non-2xx ${r.non2xx - (r.statuses['503'] ?? 0)}  errors ${r.errors}  load ${load}`;
}

interface Instance {
  readonly child: ChildProcess;
  readonly ingest: string;
  readonly exited: Promise<number | null>;
}

async function startInstance(dataDir: string): Promise<Instance> {
  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof": flags for the instance's node (a profile of the run).
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'start'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TOKUMEI_DATA_DIR: dataDir, INGEST_PORT: '0', API_PORT: '0', TOKUMEI_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ingest = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const url = /POST (http:\/\/\S+)\/collect/.exec(out)?.[1];
      if (url !== undefined && /stats API: http/.test(out)) resolve(url);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`tokumei exited with ${code} before starting:\n${out}`)));
  });
  // Keep reading, so a chatty process never blocks on a full pipe; warnings are shown.
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  return { child, ingest, exited };
}

/** A Prometheus metric of the instance's /metrics, summed over its labels. */
async function metric(ingest: string, name: string): Promise<number> {
  const text = await (await fetch(`${ingest}/metrics`)).text();
  let sum = 0;
  for (const match of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(match[1]);
  return sum;
}

/** Peak resident set of a process (VmHWM), from /proc (Linux). */
function peakRss(pid: number | undefined): number {
  const status = pid === undefined ? '' : fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokumei-bench-embedded-'));
  const baseline = Fastify();
  baseline.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      done(error as Error);
    }
  });
  baseline.post('/collect', (_request, reply) => reply.code(202).send());
  let instance: Instance | undefined;
  let accepted = 0;
  try {
    const baselineUrl = await baseline.listen({ host: '127.0.0.1', port: 0 });
    instance = await startInstance(dataDir);
    const ingest = instance.ingest;
    const load = (options: { url: string; seconds: number; rate?: number }) => runLoad({ body: BODY, headers: HEADERS, connections: CONNECTIONS, ...options });
    const counted = async (options: { seconds: number; rate?: number }) => {
      const result = await load({ url: `${ingest}/collect`, ...options });
      accepted += result.statuses['202'] ?? 0;
      return result;
    };

    console.log(`bench/embedded: Node ${process.version}, ${os.cpus().length} cores, ${CONNECTIONS} connections, compiled CLI, data dir in ${os.tmpdir()}`);
    await load({ url: `${baselineUrl}/collect`, seconds: 2 });
    await counted({ seconds: 2, rate: 500 });
    const bareLoad = loadAverage();
    const bare = await load({ url: `${baselineUrl}/collect`, seconds: Math.min(SECONDS, 10) });
    console.log(line('bare fastify, JSON.parse', bare, bareLoad));

    // The rate search: up while a step is sustained, then down until one is.
    let rate = FIXED_RATE ?? Math.round(bare.requestsPerSecond * 0.3);
    let best: number | undefined;
    for (let step = 0; FIXED_RATE === undefined && step < 6; step += 1) {
      const stepLoad = loadAverage();
      const pendingBefore = await metric(ingest, 'tokumei_bus_pending');
      const r = await counted({ seconds: STEP_SECONDS, rate });
      const pendingAfter = await metric(ingest, 'tokumei_bus_pending');
      const sustained = (r.statuses['503'] ?? 0) === 0 && r.errors === 0 && r.requestsPerSecond >= rate * 0.95
        // The worker takes what is queued in chunks of up to 1,000, so a backlog of a few chunks is its latency, not
        // a worker falling behind; half the bus's bound (TOKUMEI_BUS_MAX_PENDING, 10,000) is where 503s come near.
        && pendingAfter <= MAX_PENDING / 2;
      console.log(`${line(`search ${rate}/s`, r, stepLoad)}  backlog ${pendingBefore} → ${pendingAfter}: ${sustained ? 'sustained' : 'not sustained'}`);
      // Let a backlog drain before the next step, so each step starts alike.
      for (let i = 0; i < 300 && (await metric(ingest, 'tokumei_bus_pending')) > 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
      if (sustained) {
        const wentDown = best === undefined && step > 0;
        best = rate;
        if (wentDown) break;
        rate = Math.round(rate * 1.3);
      } else {
        if (best !== undefined) break;
        rate = Math.round(rate * 0.7);
      }
    }
    rate = FIXED_RATE ?? best ?? rate;

    const runLoadAvg = loadAverage();
    const r = await counted({ seconds: SECONDS, rate });
    const runLoadAfter = loadAverage();
    const drainStart = performance.now();
    let pending = await metric(ingest, 'tokumei_bus_pending');
    while (pending > 0 && performance.now() - drainStart < 120_000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      pending = await metric(ingest, 'tokumei_bus_pending');
    }
    const drainMs = performance.now() - drainStart;
    // The instance's own count of 202s: autocannon stops with requests in flight whose 202 it never counts.
    const answered = await metric(ingest, 'tokumei_ingest_accepted_total');
    const peak = peakRss(instance.child.pid);
    instance.child.kill('SIGTERM');
    const code = await instance.exited;
    instance = undefined;

    // Every 202 of every phase, counted from chDB itself once the instance stopped cleanly.
    const store = await createStoreClient({ clickhouseUrl: undefined, dataDir });
    let stored = 0;
    try {
      const rows = await (await store.client.query({ query: 'SELECT count() AS n FROM events WHERE site = {site:String}', query_params: { site: SITE }, format: 'JSONEachRow' })).json<{ n: string }>();
      stored = Number(rows[0]?.n ?? 0);
    } finally {
      await store.close();
    }

    const sustainedRate = (r.statuses['202'] ?? 0) / SECONDS;
    console.log(line(`sustained ${rate}/s for ${SECONDS}s`, r, `${runLoadAvg} → ${runLoadAfter}`));
    console.log(`sustained beacons/s ${sustainedRate.toFixed(0)}; ratio to bare fastify = ${(sustainedRate / bare.requestsPerSecond).toFixed(2)} (target 0.5)`);
    console.log(`503s in the sustained run: ${r.statuses['503'] ?? 0} (target 0); backlog drained ${(drainMs / 1000).toFixed(1)} s after the load; exit code ${code}`);
    console.log(`peak RSS of the instance: ${mb(peak)}`);
    console.log(`202s in all phases: ${answered} sent by the instance (${accepted} received by autocannon before it stopped); `
      + `rows stored: ${stored}: ${stored === answered ? 'every 202 stored' : `MISMATCH (${answered - stored} missing)`}`);
    if (stored !== answered) process.exitCode = 1;
  } finally {
    instance?.child.kill('SIGTERM');
    await instance?.exited;
    await baseline.close();
    if (process.env.BENCH_KEEP !== '1') fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
