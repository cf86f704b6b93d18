import fs from 'node:fs';
import path from 'node:path';
import type { SaltRegister } from './salts.js';

/**
 * The embedded mode's salt register: one JSON file, mode 0600, in the data directory. Written by rewriting the file
 * in place and syncing it, so a removed salt's bytes are overwritten in the same file rather than left in an old
 * one. One process uses it (chDB allows one process per data directory, and `import`/`audit` ask that process).
 */
export class FileRegister implements SaltRegister {
  constructor(private readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  }

  load(): Promise<Map<string, Buffer>> {
    return Promise.resolve(new Map(Object.entries(this.read()).map(([k, v]) => [k, Buffer.from(v, 'base64')])));
  }

  propose(key: string, value: Buffer): Promise<Buffer> {
    const entries = this.read();
    const existing = entries[key];
    if (existing !== undefined) return Promise.resolve(Buffer.from(existing, 'base64'));
    entries[key] = value.toString('base64');
    this.write(entries);
    return Promise.resolve(Buffer.from(value));
  }

  remove(key: string): Promise<void> {
    const entries = this.read();
    if (key in entries) {
      delete entries[key];
      this.write(entries);
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private read(): Record<string, string> {
    try {
      return JSON.parse(fs.readFileSync(this.file, 'utf8')) as Record<string, string>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
  }

  private write(entries: Record<string, string>): void {
    const text = JSON.stringify(entries);
    // Padding to the old length overwrites every byte a removed salt occupied.
    const fd = fs.openSync(this.file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    try {
      const old = fs.fstatSync(fd).size;
      fs.writeSync(fd, Buffer.from(text.padEnd(old, ' ')), 0, undefined, 0);
      fs.ftruncateSync(fd, Buffer.byteLength(text));
      fs.fsyncSync(fd);
      fs.fchmodSync(fd, 0o600);
    } finally {
      fs.closeSync(fd);
    }
  }
}
