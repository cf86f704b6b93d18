/**
 * bench/worker/compare.ts: the realistic mix through two builds of the privacy engine in one process, passes
 * interleaved (JSON.parse loop, this engine, the other engine, repeated), so both see the same load; for a machine
 * whose cores are shared, where runs minutes apart do not compare.
 *   BENCH_BASE=/path/to/other/checkout/packages/privacy/dist/index.js npx tsx bench/worker/compare.ts
 * The other checkout needs `npx tsc -b packages/privacy/tsconfig.build.json`. Records are decoded by this checkout's
 * decodeRawRecord for both. BENCH_EVENTS (default 100000), BENCH_REPS (default 5).
 */
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import * as current from '@tokumei/privacy';
import { loadConfig } from '@tokumei/config';
import { decodeRawRecord } from '@tokumei/schema';
import { generate } from './inputs.js';

const BASE = process.env.BENCH_BASE;
if (BASE === undefined) throw new Error('BENCH_BASE: the other build\'s packages/privacy/dist/index.js');
const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const REPS = Number(process.env.BENCH_REPS ?? 5);
const NOW = Date.parse('2026-03-11T12:00:00Z');
type Engine = typeof current;
const base = (await import(pathToFileURL(BASE).href)) as Engine;

const config = loadConfig({});
const options = { ...config.privacy, consentPolicy: config.consentPolicy };
const inputs = generate(EVENTS, NOW);
const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1] ?? 0;
const load = (): string => os.loadavg().map((n) => n.toFixed(2)).join(' ');

function json(): number {
  let check = 0;
  const start = performance.now();
  for (const bytes of inputs.realistic) check += (JSON.parse(bytes.toString('utf8')) as { ts: number }).ts;
  if (check < 0) console.log(check);
  return (performance.now() - start) / 1000;
}

function engine(e: Engine): () => Promise<number> {
  const salts = new e.MemorySaltStore(() => NOW);
  const geo = config.privacy.geo === 'country' ? e.loadCountryLookup() : undefined;
  return async () => {
    const pseudonymizer = new e.Pseudonymizer(salts, options, geo);
    let check = 0;
    const start = performance.now();
    for (const bytes of inputs.realistic) {
      const decoded = decodeRawRecord(bytes);
      if (!decoded.ok) continue;
      const result = await pseudonymizer.process(decoded.record);
      if (result.kind === 'ok') check += result.row.visitor.length;
    }
    if (check < 0) console.log(check);
    return (performance.now() - start) / 1000;
  };
}

const runs = { json: [] as number[], current: [] as number[], base: [] as number[] };
const [runCurrent, runBase] = [engine(current), engine(base)];
console.log(`bench/worker compare: ${EVENTS.toLocaleString('en-US')} records, realistic mix, ${REPS} interleaved passes after a warm-up; load average before: ${load()}`);
await runCurrent();
await runBase();
json();
for (let rep = 0; rep < REPS; rep += 1) {
  runs.json.push(json());
  runs.current.push(await runCurrent());
  runs.base.push(await runBase());
}
const rate = (s: number[]): number => EVENTS / median(s);
const j = rate(runs.json);
for (const [name, s] of [['JSON.parse only', runs.json], ['this checkout', runs.current], [`base (${BASE})`, runs.base]] as const) {
  console.log(`${name.padEnd(40)} ${Math.round(rate(s)).toLocaleString('en-US').padStart(10)} events/s  ${(rate(s) / j).toFixed(3)}× JSON.parse`);
}
console.log(`this checkout / base: ${(rate(runs.current) / rate(runs.base)).toFixed(2)}×; load average after: ${load()}`);
