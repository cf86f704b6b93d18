import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';

const require = createRequire(import.meta.url);
const AUTOCANNON = require.resolve('autocannon/autocannon.js');

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly total: number;
  /** Responses per status code ("202", "503", …). */
  readonly statuses: Readonly<Record<string, number>>;
}

export interface LoadOptions {
  readonly url: string;
  readonly body: string;
  readonly connections: number;
  readonly seconds: number;
  /** Requests per second over all connections (autocannon's overallRate); unset: as fast as answers come. */
  readonly rate?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Runs autocannon in its own process, so the load generator gets the second core instead of competing with the
 * server it measures. Bounded by duration, loopback only.
 */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const headers = Object.entries({ 'content-type': 'text/plain', ...options.headers }).flatMap(([k, v]) => ['-H', `${k}=${v}`]);
  const args = [AUTOCANNON, '--json', '-c', String(options.connections), '-d', String(options.seconds),
    ...(options.rate === undefined ? [] : ['-R', String(Math.max(1, Math.round(options.rate)))]),
    '-m', 'POST', ...headers, '-b', options.body, options.url];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}: ${err}`));
      const r = JSON.parse(out) as {
        requests: { average: number; total: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number;
        duration: number; statusCodeStats?: Record<string, { count: number }>;
      };
      const statuses = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, s]) => [code, s.count]));
      resolve({ requestsPerSecond: r.requests.average, p50Ms: r.latency.p50, p99Ms: r.latency.p99, non2xx: r.non2xx, errors: r.errors, total: r.requests.total, statuses });
    });
  });
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

/** The 1-minute load average, printed with every figure: this machine's 2 cores are shared. */
export function loadAverage(): string {
  return (os.loadavg()[0] ?? 0).toFixed(2);
}
