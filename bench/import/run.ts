/**
 * bench/import: two generated 1 M-line combined logs, each imported end to end into embedded ClickHouse by
 * `tokumei import` (its own process, nothing else running: parse → filter → raw records → worker → privacy engine
 * → chDB), against GoAccess parsing the same file with --log-format=COMBINED in the same run. Both are timed as whole
 * processes, start-up included. The logs: `mixed` (realistic paths, ~2,000 browser agents, bots, assets, POSTs and
 * errors mixed in: 46 % page views) and `pageviews` (every line a page view, as GoAccess counts every line).
 * Prints the import's peak resident memory (the kernel's high-water mark, VmHWM, read while it runs).
 *   npm run bench:import        (BENCH_LINES, default 1000000; BENCH_KEEP=1 keeps the logs and data directories)
 *   BENCH_LOGS=pageviews        one log only (mixed, pageviews; default both)
 *   BENCH_THREADS=n             tokumei import --threads n (default: its own, cores - 1)
 *   BENCH_BATCH=n               tokumei import --batch n (default: its own)
 *   BENCH_COMPARE_THREADS=0     also import each log with --threads n, in the same run, for the ratio between them
 *   BENCH_UA_BYTES=8192 npm run bench:import   agents padded to 8 KB, a new one on every line: the memory worst
 *                               case (BENCH_UA_UNIQUE=client: one per client; GoAccess is not run with long agents)
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { peerStats, writeAccessLog } from '../../test/helpers/access-log.js';

const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
const UA_BYTES = process.env.BENCH_UA_BYTES === undefined || process.env.BENCH_UA_BYTES === '' ? undefined : Number(process.env.BENCH_UA_BYTES);
const UA_UNIQUE = process.env.BENCH_UA_UNIQUE === 'client' ? 'client' : 'line';
const TARGET_RATIO = 2;
const GOACCESS = '/usr/bin/goaccess';
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../apps/tokumei/bin/tokumei.js');
const DAY = 86_400_000;

interface Usage {
  readonly peakRss: number;
  readonly cpuSeconds: number;
  /** Resident now, and its two parts: mapped files (node's and libchdb's code) and anonymous memory (heaps). */
  readonly rss: number;
  readonly rssFile: number;
  readonly rssAnon: number;
}

/** The process's peak resident set so far, in bytes, and CPU seconds used (Linux); undefined once it is gone. */
function usage(pid: number): Usage | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const bytes = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
    // Fields 14 and 15 of /proc/<pid>/stat, after the parenthesised command name: user and system time, in 1/100 s.
    const ticks = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ');
    const peakRss = bytes('VmHWM');
    if (Number.isNaN(peakRss) || ticks === undefined) return undefined;
    return { peakRss, cpuSeconds: (Number(ticks[11]) + Number(ticks[12])) / 100, rss: bytes('VmRSS'), rssFile: bytes('RssFile'), rssAnon: bytes('RssAnon') };
  } catch {
    return undefined;
  }
}

interface Timed {
  readonly seconds: number;
  readonly code: number | null;
  readonly output: string;
  readonly peakRss: number | undefined;
  /** On 2 shared cores, wall time says how busy the machine was; CPU time says what the import cost. */
  readonly cpuSeconds: number | undefined;
  /** The sample with the most resident memory: how much of the peak was mapped code and how much heap. */
  readonly atPeak: Usage | undefined;
}

function timed(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Timed> {
  const started = performance.now();
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let last: Usage | undefined;
  let atPeak: Usage | undefined;
  // Peak and CPU only grow, so the last reading before exit is the total (to within one interval).
  const sample = setInterval(() => {
    last = usage(child.pid ?? 0) ?? last;
    if (last !== undefined && last.rss > (atPeak?.rss ?? 0)) atPeak = last;
  }, 50);
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => {
    clearInterval(sample);
    resolve({ seconds: (performance.now() - started) / 1000, code, output, peakRss: last?.peakRss, cpuSeconds: last?.cpuSeconds, atPeak });
  }));
}

const mb = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : `${Math.round(bytes / 1024 / 1024)} MB`);
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokumei-bench-import-'));
const LOGS = (process.env.BENCH_LOGS ?? 'mixed,pageviews').split(',').filter((l) => l === 'mixed' || l === 'pageviews');
const threadsArg = (value: string | undefined) => [
  ...(value === undefined || value === '' ? [] : ['--threads', value]),
  ...(process.env.BENCH_BATCH === undefined || process.env.BENCH_BATCH === '' ? [] : ['--batch', process.env.BENCH_BATCH]),
];

async function importLog(file: string, name: string, threads: string[]): Promise<Timed> {
  const dataDir = path.join(dir, `data-${name}`);
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.stdout.write(`  load average before the import: ${load()} (${os.cpus().length} cores)\n`);
  const run = await timed(process.execPath, [BIN, 'import', '--quiet', '--site', 'bench.example.com', ...threads, file], {
    PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TOKUMEI_DATA_DIR: dataDir, TOKUMEI_LOG_LEVEL: 'warn',
    // e.g. --max-old-space-size=512, to check the import fits a small heap.
    ...(process.env.NODE_OPTIONS === undefined ? {} : { NODE_OPTIONS: process.env.NODE_OPTIONS }),
  });
  if (run.code !== 0) throw new Error(`tokumei import failed (${run.code}):\n${run.output}`);
  const rate = LINES / run.seconds;
  process.stdout.write(`${run.output.trim().split('\n').map((l) => `  ${l}`).join('\n')}\n`);
  process.stdout.write(`  tokumei import ${threads.join(' ')} (end to end into chDB, process start to exit): ${run.seconds.toFixed(2)} s, ${Math.round(rate).toLocaleString('en-US')} lines/s, CPU ${run.cpuSeconds?.toFixed(1) ?? 'n/a'} s (${run.cpuSeconds === undefined ? 'n/a' : Math.round(LINES / run.cpuSeconds).toLocaleString('en-US')} lines per CPU second), peak RSS ${mb(run.peakRss)}\n`);
  if (run.atPeak !== undefined) {
    process.stdout.write(`    at the highest sample (${mb(run.atPeak.rss)}): ${mb(run.atPeak.rssFile)} mapped files (node and libchdb code), ${mb(run.atPeak.rssAnon)} anonymous (JS heap, Buffers, ClickHouse's memory)\n`);
  }
  process.stdout.write(`  load average after: ${load()}\n`);
  return run;
}

const verdicts: string[] = [];
for (const name of UA_BYTES === undefined ? LOGS : ['mixed']) {
  const file = path.join(dir, `${name}.log`);
  const started = performance.now();
  // Seven days ending yesterday: most lines are on days older than the salt store keeps (run salts), as in a backfill.
  writeAccessLog(file, {
    lines: LINES, start: Math.floor(Date.now() / DAY) * DAY - 7 * DAY, days: 7, seed: 7, uaBytes: UA_BYTES, uaUnique: UA_UNIQUE,
    pageviewsOnly: name === 'pageviews',
  });
  const size = fs.statSync(file).size;
  const agents = UA_BYTES === undefined ? '' : `, agents of ${UA_BYTES.toLocaleString('en-US')} bytes, a new one per ${UA_UNIQUE}`;
  const peer = peerStats(file);
  process.stdout.write(`\n${name} log: ${LINES.toLocaleString('en-US')} lines (${(size / 1e6).toFixed(0)} MB${agents}, ${peer.total.toLocaleString('en-US')} page views expected) generated in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

  let goaccess: number | undefined;
  if (UA_BYTES !== undefined) {
    process.stdout.write('  long-agent variant: GoAccess not run\n');
  } else if (spawnSync(GOACCESS, ['--version']).status === 0) {
    const report = path.join(dir, `goaccess-${name}.json`);
    process.stdout.write(`  load average before GoAccess: ${load()}\n`);
    const run = await timed(GOACCESS, [file, '--log-format=COMBINED', '--no-global-config', '-o', report], { PATH: process.env.PATH ?? '' });
    if (run.code !== 0) throw new Error(`goaccess failed (${run.code}): ${run.output.slice(0, 500)}`);
    goaccess = LINES / run.seconds;
    process.stdout.write(`  goaccess ${spawnSync(GOACCESS, ['--version']).stdout.toString().split('\n')[0]}: ${run.seconds.toFixed(2)} s, ${Math.round(goaccess).toLocaleString('en-US')} lines/s, CPU ${run.cpuSeconds?.toFixed(1) ?? 'n/a'} s, peak RSS ${mb(run.peakRss)}\n`);
  } else {
    process.stdout.write(`  ${GOACCESS} not found (apt-get install goaccess): no baseline\n`);
  }

  const run = await importLog(file, name, threadsArg(process.env.BENCH_THREADS));
  const tokumei = LINES / run.seconds;
  if (process.env.BENCH_COMPARE_THREADS !== undefined) {
    const other = await importLog(file, `${name}-compare`, threadsArg(process.env.BENCH_COMPARE_THREADS));
    process.stdout.write(`  ratio vs --threads ${process.env.BENCH_COMPARE_THREADS}: ${(other.seconds / run.seconds).toFixed(2)}× wall, ${((other.cpuSeconds ?? Number.NaN) / (run.cpuSeconds ?? Number.NaN)).toFixed(2)}× CPU\n`);
  }
  if (goaccess !== undefined) {
    const ratio = tokumei / goaccess;
    const verdict = `${name}: ${ratio.toFixed(2)}× GoAccess (target ≥ ${TARGET_RATIO}×: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'}), peak RSS ${mb(run.peakRss)}, load ${load()}`;
    process.stdout.write(`  ratio vs goaccess: ${verdict}\n`);
    verdicts.push(verdict);
  }
  if (process.env.BENCH_KEEP !== '1') fs.rmSync(file, { force: true });
}
if (verdicts.length > 0) process.stdout.write(`\n${verdicts.join('\n')}\n`);
if (process.env.BENCH_KEEP === '1') process.stdout.write(`kept ${dir}\n`);
else fs.rmSync(dir, { recursive: true, force: true });
