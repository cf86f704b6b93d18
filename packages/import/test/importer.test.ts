import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  BotDetector, Checkpoint, MAX_LINE_BYTES, SessionAssigner, WallClock, emptyCounts, formatReport, importInput, readLines, resolveFormat,
  type LineBatch, type RecordSink, type SinkMessage,
} from '@tokumei/import';

const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const line = (i: number, target = `/p/${i}`, status = 200) => `192.0.2.${i % 200} - - [10/Oct/2026:13:55:36 +0000] "GET ${target} HTTP/1.1" ${status} 5 "-" "${UA}"`;

/** Stores records by stream and number like the worker's offset ranges: the same number twice is stored once. */
class FakeSink implements RecordSink {
  readonly kind = 'in-process' as const;
  readonly keyed = false;
  readonly stored = new Map<string, string>();
  sends = 0;
  /** Dies after storing the records of this send (so the checkpoint lags what is stored), like a SIGKILL would. */
  constructor(public failAfter = Infinity) {}
  send(stream: string, first: number, messages: readonly SinkMessage[]): Promise<number> {
    messages.forEach((m, i) => this.stored.set(`${stream}:${first + i}`, m.value.toString()));
    if (++this.sends > this.failAfter) return Promise.reject(new Error('crash'));
    return Promise.resolve(first + messages.length);
  }
  finish(): Promise<{ saltsDestroyed: number }> {
    return Promise.resolve({ saltsDestroyed: 0 });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function tempFile(content: string | Buffer, name = 'access.log'): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokumei-import-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return { dir, file };
}

function options(sink: RecordSink, extra: Partial<Parameters<typeof importInput>[2]> = {}): Parameters<typeof importInput>[2] {
  return {
    format: resolveFormat('combined', new WallClock()), site: 'example.com', run: '0123456789abcdef', batchSize: 7, follow: false,
    signal: undefined, sessions: new SessionAssigner(), bots: new BotDetector(), sink, counts: emptyCounts(), ...extra,
  };
}

async function collect(batches: AsyncIterable<LineBatch>): Promise<{ lines: (string | undefined)[]; ends: number[] }> {
  const out = { lines: [] as (string | undefined)[], ends: [] as number[] };
  for await (const batch of batches) {
    out.lines.push(...batch.lines);
    out.ends.push(...batch.ends);
  }
  return out;
}

describe('readLines', () => {
  it('splits CRLF and LF lines, keeps the last line without a newline, and gives byte offsets', async () => {
    const { file } = tempFile('a\r\nbé\n\nlast');
    const read = await collect(readLines({ kind: 'file', path: file, gzip: false }, { start: 0 }));
    expect(read).toEqual({ lines: ['a', 'bé', '', 'last'], ends: [3, 7, 8, 12] });
    expect((await collect(readLines({ kind: 'file', path: file, gzip: false }, { start: 3 }))).lines).toEqual(['bé', '', 'last']);
  });

  it('reports an over-long line once, without holding it, and goes on', async () => {
    const { file } = tempFile(`x\n${'y'.repeat(MAX_LINE_BYTES * 3)}\nz\n`);
    expect((await collect(readLines({ kind: 'file', path: file, gzip: false }, { start: 0 }))).lines).toEqual(['x', undefined, 'z']);
  });

  it('reads gzip files and resumes them at an uncompressed offset; reads streams', async () => {
    const { file } = tempFile(gzipSync('one\ntwo\nthree\n'), 'access.log.gz');
    expect((await collect(readLines({ kind: 'file', path: file, gzip: true }, { start: 4 }))).lines).toEqual(['two', 'three']);
    expect((await collect(readLines({ kind: 'stream', stream: Readable.from([Buffer.from('p\nq'), Buffer.from('r\n')]) }, { start: 0 }))).lines).toEqual(['p', 'qr']);
  });
});

describe('importInput', () => {
  it('counts every kind of line and sends page views and bots as raw records with synthetic sessions', async () => {
    const sink = new FakeSink();
    const text = [line(1), line(2, '/app.css'), line(3, '/x', 404), line(4).replace('GET', 'POST'), 'junk', '',
      line(5).replace(UA, 'Googlebot/2.1 (+http://www.google.com/bot.html)')].join('\n');
    const { file } = tempFile(text);
    const opts = options(sink);
    expect(await importInput({ kind: 'file', path: file, gzip: false }, { stream: 'import.t', offset: 0, line: 0, seq: 0 }, opts)).toBe(true);
    expect(opts.counts).toMatchObject({ lines: 7, pageviews: 1, bots: 1, bad: 1, skipped: { asset: 1, status: 1, method: 1, empty: 1 }, badLines: [{ line: 5, reason: 'does not match the combined format' }] });
    const records = [...sink.stored.values()].map((v) => JSON.parse(v) as Record<string, unknown>);
    expect(records[0]).toMatchObject({ v: 1, src: 'log', site: 'example.com', url: 'https://example.com/p/1', ip: '192.0.2.1', ua: UA, run: '0123456789abcdef', event: 'pageview' });
    expect(typeof records[0]?.sid).toBe('string');
    // The bot's record carries no address or session: the worker only counts it.
    expect(records[1]).toMatchObject({ ip: '' });
    expect(records[1]?.sid).toBeUndefined();
  });

  it('resumes from the checkpoint after a crash without storing any record twice or losing one', async () => {
    const text = Array.from({ length: 100 }, (_, i) => line(i)).join('\n') + '\n';
    const { dir, file } = tempFile(text);
    const whole = new FakeSink();
    await importInput({ kind: 'file', path: file, gzip: false }, { stream: 'import.t', offset: 0, line: 0, seq: 0 }, options(whole));

    const crashing = new FakeSink(5);
    let checkpoint = Checkpoint.open(dir, file, 'fp', false);
    const first = importInput({ kind: 'file', path: file, gzip: false }, checkpoint.state, options(crashing, { save: (p) => checkpoint.save(p) }));
    await expect(first).rejects.toThrow('crash');
    checkpoint.release();
    expect(checkpoint.state.line).toBe(35);

    crashing.failAfter = Infinity;
    checkpoint = Checkpoint.open(dir, file, 'fp', false);
    expect(checkpoint.resumed).toBe(true);
    const counts = emptyCounts();
    await importInput({ kind: 'file', path: file, gzip: false }, checkpoint.state, options(crashing, { counts, save: (p) => checkpoint.save(p) }));
    checkpoint.release();
    expect(counts.lines).toBe(65);
    const stream = checkpoint.state.stream;
    expect([...crashing.stored.keys()].map((k) => k.replace(stream, 's'))).toEqual([...whole.stored.keys()].map((k) => k.replace('import.t', 's')));
    expect(checkpoint.state).toMatchObject({ line: 100, seq: 100, offset: Buffer.byteLength(text) });
  });

  it('refuses a checkpoint made with other settings, and one held by a live process', () => {
    const { dir, file } = tempFile(`${line(1)}\n`);
    Checkpoint.open(dir, file, 'fp', false).release();
    expect(() => Checkpoint.open(dir, file, 'other', false)).toThrow(/other options/);
    const held = Checkpoint.open(dir, file, 'fp', false);
    expect(() => Checkpoint.open(dir, file, 'fp', false)).toThrow(/being imported/);
    held.release();
    expect(Checkpoint.open(dir, file, 'other', true).resumed).toBe(false);
  });
});

describe('importInput: times, retention, control characters, sessions', () => {
  const NOW = Date.UTC(2026, 9, 10, 14, 0, 0);
  const at = (time: string, target = '/p', ua = UA) => `192.0.2.1 - - [${time}] "GET ${target} HTTP/1.1" 200 5 "-" "${ua}"`;
  const run = async (lines: string[], extra: Partial<Parameters<typeof importInput>[2]> = {}) => {
    const sink = new FakeSink();
    const opts = options(sink, { now: () => NOW, retention: { eventsTtlDays: 30, aggregatesTtlMonths: 25 }, ...extra });
    const { file } = tempFile(`${lines.join('\n')}\n`);
    await importInput({ kind: 'file', path: file, gzip: false }, { stream: 'import.t', offset: 0, line: 0, seq: 0 }, opts);
    return { counts: opts.counts, records: [...sink.stored.values()].map((v) => JSON.parse(v) as { ts: number; url: string; ua: string }) };
  };

  it('reports impossible dates as bad lines by number, and never stores them on another day', async () => {
    const { counts, records } = await run([at('10/Oct/2026:13:00:00 +0000'), at('31/Feb/2026:10:00:00 +0000'), at('10/Oct/2026:25:00:00 +0000')]);
    expect(counts).toMatchObject({ pageviews: 1, bad: 2, badLines: [{ line: 2, reason: 'invalid or missing time' }, { line: 3, reason: 'invalid or missing time' }] });
    expect(records.map((r) => new Date(r.ts).toISOString())).toEqual(['2026-10-10T13:00:00.000Z']);
  });

  it('skips lines more than 5 minutes in the future by reason', async () => {
    const { counts, records } = await run([at('10/Oct/2026:14:04:00 +0000'), at('10/Oct/2026:14:06:00 +0000'), at('10/Oct/2027:10:00:00 +0000'),
      at('10/Oct/2027:10:00:00 +0000', '/p', 'Googlebot/2.1 (+http://www.google.com/bot.html)')]);
    expect(counts).toMatchObject({ pageviews: 1, bots: 0, bad: 0, skipped: { future: 3 } });
    expect(records).toHaveLength(1);
  });

  it('counts old page views as aggregates only, and skips those no table would keep', async () => {
    const { counts, records } = await run([
      at('09/Oct/2026:10:00:00 +0000'),
      at('01/Aug/2026:10:00:00 +0000', '/sixty-days'),
      at('10/Oct/2016:10:00:00 +0000', '/ten-years'),
      at('10/Oct/2016:10:00:00 +0000', '/ten-years', 'curl/8.5.0'),
      at('10/Sep/2024:15:00:00 +0000', '/just-kept'),
      at('10/Sep/2024:13:00:00 +0000', '/just-gone'),
    ]);
    expect(counts).toMatchObject({ pageviews: 3, aggregatesOnly: 2, bots: 0, skipped: { retention: 3, future: 0 } });
    expect(records.map((r) => r.url)).toEqual(['https://example.com/p', 'https://example.com/sixty-days', 'https://example.com/just-kept']);
    const report = formatReport('access.log', counts, 1);
    expect(report).toContain('2 of them older than the events retention');
    expect(report).toContain('0 in the future, 3 older than retention');
  });

  it('counts every line as kept without a retention to check against', async () => {
    const { counts } = await run([at('10/Oct/2016:10:00:00 +0000')], { retention: undefined });
    expect(counts).toMatchObject({ pageviews: 1, aggregatesOnly: 0, skipped: { retention: 0 } });
  });

  it('never sends a control character: a bad target is a bad line, an agent is cleaned', async () => {
    const { counts, records } = await run([at('10/Oct/2026:13:00:00 +0000', '/a\u0000b'), at('10/Oct/2026:13:00:00 +0000', '/ok', `${UA}\u0000`)]);
    expect(counts).toMatchObject({ pageviews: 1, bad: 1, badLines: [{ line: 1, reason: 'control character in the request target' }] });
    expect(records).toHaveLength(1);
    expect(records[0]?.ua).toBe(UA);
    expect(JSON.stringify(records)).not.toMatch(/\\u0000/);
  });

  it('counts sessions ended early to bound memory in the summary', async () => {
    const lines = Array.from({ length: 6 }, (_, i) => `192.0.2.${i} - - [10/Oct/2026:13:00:0${i} +0000] "GET /p HTTP/1.1" 200 5 "-" "${UA}"`);
    const { counts } = await run(lines, { sessions: new SessionAssigner(30 * 60_000, 2) });
    expect(counts.sessionsEvicted).toBe(4);
    expect(formatReport('access.log', counts, 1)).toContain('sessions:   4 ended early to bound memory');
  });
});
