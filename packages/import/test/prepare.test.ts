import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BotDetector, SessionAssigner, WallClock, emptyCounts, importInput, resolveFormat, type RecordSink, type SinkMessage } from '@tokumei/import';

const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const line = (i: number) => `192.0.2.${i % 200} - - [10/Oct/2026:13:55:36 +0000] "GET /p/${i} HTTP/1.1" 200 5 "-" "${UA}"`;

/** Records what it was told to prepare and what it was then sent, in order. */
class PreparingSink implements RecordSink {
  readonly kind = 'in-process' as const;
  readonly keyed = false;
  readonly calls: { kind: 'prepare' | 'send'; values: readonly Buffer[] }[] = [];
  prepare(messages: readonly SinkMessage[]): void {
    this.calls.push({ kind: 'prepare', values: messages.map((m) => m.value) });
  }
  async send(_stream: string, first: number, messages: readonly SinkMessage[]): Promise<number> {
    this.calls.push({ kind: 'send', values: messages.map((m) => m.value) });
    // Stored a little later, so the next batch is parsed (and prepared) meanwhile.
    await new Promise((resolve) => setImmediate(resolve));
    return first + messages.length;
  }
  finish(): Promise<{ saltsDestroyed: number }> {
    return Promise.resolve({ saltsDestroyed: 0 });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('importInput and a sink that prepares', () => {
  it('hands each batch to prepare before it is sent, with the very records then sent', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokumei-import-'));
    const file = path.join(dir, 'access.log');
    fs.writeFileSync(file, `${Array.from({ length: 23 }, (_, i) => line(i)).join('\n')}\n`);
    const sink = new PreparingSink();
    await importInput({ kind: 'file', path: file, gzip: false }, { stream: 'import.test', offset: 0, line: 0, seq: 0 }, {
      format: resolveFormat('combined', new WallClock()), site: 'example.com', run: '0123456789abcdef', batchSize: 5, follow: false,
      signal: undefined, sessions: new SessionAssigner(), bots: new BotDetector(), sink, counts: emptyCounts(),
    });
    const sends = sink.calls.filter((c) => c.kind === 'send');
    expect(sends.map((s) => s.values.length)).toEqual([5, 5, 5, 5, 3]);
    for (const send of sends) {
      const prepared = sink.calls.slice(0, sink.calls.indexOf(send)).filter((c) => c.kind === 'prepare').at(-1);
      // The same Buffer objects: a sink can tell by identity that what it prepared is what it is sent.
      expect(prepared?.values).toEqual(send.values);
      expect(prepared?.values[0]).toBe(send.values[0]);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
