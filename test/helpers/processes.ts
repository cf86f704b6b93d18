import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../apps/tokumei/bin/tokumei-dev.js');

export interface TokumeiProcess {
  readonly child: ChildProcess;
  readonly urls: { ingest?: string; api?: string };
  /** Everything the process wrote, for assertions on its logs. */
  output(): string;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** Runs `tokumei start` as its own process, as a deployment would, and waits for its banner. */
export async function spawnTokumei(env: Record<string, string>, timeoutMs = 60_000): Promise<TokumeiProcess> {
  const child = spawn(process.execPath, [BIN, 'start'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', INGEST_PORT: '0', API_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const urls: { ingest?: string; api?: string } = {};
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tokumei did not start within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = () => {
      if (!out.includes('Tokumei is running')) return;
      const banner = out.slice(out.indexOf('Tokumei is running'));
      const lines = banner.split('\n');
      // The banner is complete once every role's line has arrived.
      const ingest = /POST (http:\/\/\S+)\/collect/.exec(banner)?.[1];
      const api = /stats API: (http:\/\/[^/\s]+)/.exec(banner)?.[1];
      const roles = /roles: ([a-z, ]+)\)/.exec(lines[0] ?? '')?.[1] ?? '';
      if ((roles.includes('ingest') && ingest === undefined) || (roles.includes('api') && api === undefined)) return;
      if (ingest !== undefined) urls.ingest = ingest;
      if (api !== undefined) urls.api = api;
      clearTimeout(timer);
      resolve();
    };
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`tokumei exited with ${code} before starting:\n${out}`));
    });
  });
  return {
    child,
    urls,
    output: () => out,
    kill: (signal) => {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
      child.kill(signal);
      return exited;
    },
  };
}
