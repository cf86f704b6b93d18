/**
 * Kills brokers left behind by test runs that died without running their exit hook (SIGKILL, OOM), and removes their
 * temp dirs. A cluster counts as orphaned when the Node process recorded in its dir is gone.
 */
import { readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive } from '@tokumei/config';

export const TEMP_PREFIX = 'tokumei-kafka-';

export async function reapOrphanedBrokers(log: (line: string) => void): Promise<void> {
  const base = tmpdir();
  let names: string[];
  try {
    names = (await readdir(base)).filter((name) => name.startsWith(TEMP_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = join(base, name);
    const owner = readPid(join(dir, 'owner.pid'));
    if (owner === undefined || isProcessAlive(owner)) continue;
    const nodeDirs = (await readdir(dir).catch(() => [])).filter((entry) => entry.startsWith('node-')).map((entry) => join(dir, entry));
    for (const nodeDir of nodeDirs) {
      const broker = readPid(join(nodeDir, 'broker.pid'));
      // Only kill a pid whose command line still names this dir: pids get reused.
      if (broker !== undefined && isProcessAlive(broker) && commandLineOf(broker).includes(nodeDir)) {
        log(`killing orphaned broker pid ${broker} from ${nodeDir}`);
        process.kill(broker, 'SIGKILL');
      }
    }
    await rm(dir, { recursive: true, force: true, maxRetries: 3 }).catch(() => {});
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}
