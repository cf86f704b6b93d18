/**
 * bench/worker/profile.ts: the realistic mix through the worker's transform in a loop, for a CPU profile:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/worker/profile.ts
 * then `tsx bench/worker/profile-summary.ts /tmp/prof/<file>.cpuprofile` prints the functions by self time.
 * BENCH_EVENTS (default 50000), BENCH_REPS (default 4).
 */
import { MemorySaltStore, Pseudonymizer, loadCountryLookup } from '@tokumei/privacy';
import { loadConfig } from '@tokumei/config';
import { decodeRawRecord } from '@tokumei/schema';
import { generate } from './inputs.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 50_000);
const REPS = Number(process.env.BENCH_REPS ?? 4);
const NOW = Date.parse('2026-03-11T12:00:00Z');

const config = loadConfig({});
const geo = config.privacy.geo === 'country' ? loadCountryLookup() : undefined;
const salts = new MemorySaltStore(() => NOW);
const inputs = generate(EVENTS, NOW);
let check = 0;
for (let rep = 0; rep < REPS; rep += 1) {
  const pseudonymizer = new Pseudonymizer(salts, { ...config.privacy, consentPolicy: config.consentPolicy }, geo);
  const start = performance.now();
  for (const bytes of inputs.realistic) {
    const decoded = decodeRawRecord(bytes);
    if (!decoded.ok) continue;
    const result = await pseudonymizer.process(decoded.record);
    if (result.kind === 'ok') check += result.row.visitor.length;
  }
  console.log(`pass ${rep}: ${Math.round(EVENTS / ((performance.now() - start) / 1000))} events/s`);
}
if (check < 0) console.log(check);
await salts.close();
