import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isProcessAlive } from '@tokumei/config';
import { TokumeiError } from '@tokumei/errors';

/** Bytes of a file's beginning that, with device and inode, identify it across renames (log rotation). */
const HEAD_BYTES = 4096;

export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  /** How many of the first bytes were hashed: a file shorter than HEAD_BYTES when first seen keeps this length. */
  readonly headLength: number;
  readonly headHash: string;
}

/** Where an import of one file stands. Holds no line content: offsets, counts and a random stream name. */
export interface CheckpointState {
  readonly version: 1;
  readonly identity: FileIdentity;
  /**
   * The worker records offset ranges of this stream in ClickHouse; resending records already stored is then a no-op.
   * Random per checkpoint, so importing the file again after `--restart` is a new stream, not a repeat.
   */
  readonly stream: string;
  /** Settings that decide which lines become records; resuming with others would shift every later record. */
  readonly fingerprint: string;
  /** Uncompressed byte offset after the last line whose record is stored (or that made none). */
  readonly offset: number;
  readonly line: number;
  /** Records sent before `offset`: the stream offset of the next record. */
  readonly seq: number;
  readonly updatedAt: string;
}

function hashHead(file: string, length: number): string {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(length);
    const read = fs.readSync(fd, head, 0, length, 0);
    return createHash('sha256').update(head.subarray(0, read)).digest('hex');
  } finally {
    fs.closeSync(fd);
  }
}

export function fileIdentity(file: string, headLength?: number): FileIdentity {
  const stat = fs.statSync(file);
  const length = headLength ?? Math.min(HEAD_BYTES, stat.size);
  return { dev: stat.dev, ino: stat.ino, headLength: length, headHash: hashHead(file, length) };
}

/**
 * One checkpoint file per (device, inode) in `<dataDir>/imports/`, mode 0600, replaced atomically. A lock file beside
 * it keeps two imports of the same file from interleaving; a lock left by a dead process is taken over.
 */
export class Checkpoint {
  private constructor(readonly file: string, private readonly lock: string, public state: CheckpointState, readonly resumed: boolean) {}

  static open(dataDir: string, input: string, fingerprint: string, restart: boolean): Checkpoint {
    const dir = path.join(dataDir, 'imports');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = fs.statSync(input);
    const base = path.join(dir, `${stat.dev}-${stat.ino}`);
    const lock = `${base}.lock`;
    takeLock(lock);
    try {
      const saved = restart ? undefined : readState(`${base}.json`);
      // The same inode with other first bytes is another file (the old one was deleted and the inode reused).
      const same = saved !== undefined && fileIdentity(input, saved.identity.headLength).headHash === saved.identity.headHash;
      if (same && saved.fingerprint !== fingerprint) {
        throw new TokumeiError('TKM_IMPORT_CHECKPOINT', 'this file was imported before with other options (format, site, time zone); use them again, or --restart to import it all again (its lines would be counted twice)');
      }
      const state: CheckpointState = same ? saved : {
        version: 1, identity: fileIdentity(input), stream: `import.${randomBytes(8).toString('hex')}`, fingerprint,
        offset: 0, line: 0, seq: 0, updatedAt: new Date().toISOString(),
      };
      const checkpoint = new Checkpoint(`${base}.json`, lock, state, same);
      // Written before any record is sent: the stream name must outlive a crash right after the first send.
      checkpoint.save({});
      return checkpoint;
    } catch (error) {
      fs.rmSync(lock, { force: true });
      throw error;
    }
  }

  save(progress: Partial<Pick<CheckpointState, 'offset' | 'line' | 'seq'>>): void {
    this.state = { ...this.state, ...progress, updatedAt: new Date().toISOString() };
    const temp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, `${JSON.stringify(this.state)}\n`, { mode: 0o600 });
    fs.renameSync(temp, this.file);
  }

  release(): void {
    fs.rmSync(this.lock, { force: true });
  }
}

function readState(file: string): CheckpointState | undefined {
  try {
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as CheckpointState;
    return state.version === 1 && typeof state.stream === 'string' && Number.isInteger(state.offset) ? state : undefined;
  } catch {
    return undefined;
  }
}

function takeLock(lock: string): void {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx', mode: 0o600 });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(fs.readFileSync(lock, 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && isProcessAlive(pid)) {
        throw new TokumeiError('TKM_IMPORT_CHECKPOINT', `this file is being imported by process ${pid}`);
      }
      fs.rmSync(lock, { force: true });
    }
  }
  throw new TokumeiError('TKM_IMPORT_CHECKPOINT', 'could not lock the checkpoint');
}
