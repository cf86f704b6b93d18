import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isProcessAlive } from '@tokumei/config';

/**
 * chDB opens one data directory per process, so a CLI command (import, audit) cannot open the store while
 * `tokumei start` runs on it. The running instance leaves this file in its data directory: where it listens and a
 * random control token, readable by the data directory's owner only (0600), so those commands ask it instead.
 */
export interface InstanceInfo {
  readonly pid: number;
  readonly startedAt: string;
  readonly ingest?: string;
  readonly api?: string;
  /** Bearer token for the `/internal/*` routes; lives as long as the process. */
  readonly controlToken: string;
}

const FILE = 'instance.json';

export function newControlToken(): string {
  return randomBytes(32).toString('hex');
}

export function writeInstanceFile(dataDir: string, info: InstanceInfo): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, FILE);
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temp, file);
  return () => {
    // Only remove our own file: a newer instance may have replaced it.
    if (readInstanceFile(dataDir)?.pid === info.pid) fs.rmSync(file, { force: true });
  };
}

function readInstanceFile(dataDir: string): InstanceInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dataDir, FILE), 'utf8')) as InstanceInfo;
  } catch {
    return undefined;
  }
}

/** The instance running on this data directory, or undefined when none is (a file left by a crash is ignored). */
export function findRunningInstance(dataDir: string): InstanceInfo | undefined {
  const info = readInstanceFile(dataDir);
  if (info === undefined || typeof info.pid !== 'number' || info.pid === process.pid || !isProcessAlive(info.pid)) return undefined;
  return info;
}
