import { Readable } from 'node:stream';
import { describe, it, expect } from 'vitest';
import {
  BotDetector, SessionAssigner, WallClock, compileLogFormat, emptyCounts, importInput, isBad, resolveFormat,
  type LineFormat, type ParseResult, type RecordSink, type SinkMessage,
} from '@tokumei/import';
import { decodeRawRecord } from '@tokumei/schema';
import { fuzz, type Random } from './budget.js';
import { HOSTILE, SAFE, mutate } from './inputs.js';

/**
 * Seeded fuzzing of the access-log parsers (packages/import formats, read-only use): mutated real lines, random
 * fields, random bytes and JSON lines. Whatever the line: parse never throws, a bad line's reason never repeats the
 * line, a parsed line has the types the importer relies on, and every record the importer makes of the lines is one
 * the worker's decodeRawRecord accepts.
 */
const SEED = 20_261_203;
const INPUTS = 40_000;
/** A guard, not a budget (about 2 s on a quiet machine): running out of it fails the test. */
const BUDGET_MS = 60_000;
/** Lines of each format that also go through importInput (session and bot handling make it slower than parsing). */
const IMPORTED = 1_500;

const clock = new WallClock('UTC');
const FORMATS: readonly LineFormat[] = [
  resolveFormat('combined', clock), resolveFormat('common', clock), resolveFormat('vcombined', clock), resolveFormat('json', clock),
  compileLogFormat('$time_iso8601 $http_host $remote_addr "$request_method $request_uri" $status $scheme "$http_referer" "$http_user_agent"', clock),
  compileLogFormat('$msec $http_x_forwarded_for $host "$uri" "$args" $status', clock),
];

const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const IPS = ['203.0.113.7', '2001:db8::1', '198.51.100.23', '-', '', 'unknown', `${'9'.repeat(70)}`, 'fe80::1%eth0', '192.0.2.1, 198.51.100.2'];
const TIMES = ['10/Oct/2026:13:55:36 +0000', '31/Feb/2026:00:00:00 +0000', '10/Oct/2026:25:61:61 +9999', '10/Foo/2026:13:55:36', '01/Jan/0000:00:00:00 -1200', '10/Oct/99999:13:55:36 +0000'];
const METHODS = ['GET', 'POST', 'HEAD', 'get', 'PROPFIND', 'A'.repeat(30), ''];
const HOSTS = ['example.com', 'EXAMPLE.COM.', 'example.com:8080', '[2001:db8::1]', `${'a'.repeat(300)}.example`, 'exa mple.com', '-', '', 'ex\u0000ample.com', 'xn--r8jz45g.example'];
const STATUSES = ['200', '304', '404', '500', '2000', '20', 'abc', '-', '099'];

function target(random: Random): string {
  return random.weighted([
    [6, () => `/${random.string(random.int(40), SAFE)}`],
    [1, () => `/${random.string(random.int(8), [...SAFE, ...HOSTILE])}`],
    [1, () => `/${'a'.repeat(8190 + random.int(10))}`],
    [1, () => random.pick(['https://example.com/p', 'HTTP://EXAMPLE.COM/', '*', 'example.com:443', '//x', '/%00', '/%zz', '/a?b=c#d', `/${'😀'.repeat(3000)}`])],
  ]);
}

/** A line in one of the text formats (FORMATS[0…2] and the two custom ones): mostly well-formed, fields hostile at times. */
function textLine(random: Random, format: number): string {
  const quoted = (text: string) => text.replace(/"/g, random.chance(0.5) ? '\\"' : '\\x22');
  const ip = random.chance(0.8) ? '203.0.113.7' : random.pick(IPS);
  const method = random.chance(0.9) ? 'GET' : random.pick(METHODS);
  const path = target(random);
  const request = random.chance(0.9) ? `${method} ${path} HTTP/1.1` : random.string(random.int(20), [...SAFE, ...HOSTILE, ' ']);
  const status = random.chance(0.8) ? '200' : random.pick(STATUSES);
  const referrer = random.chance(0.7) ? '-' : quoted(random.string(random.int(60), [...SAFE, ...HOSTILE]));
  const ua = random.chance(0.8) ? UA : quoted(random.chance(0.05) ? 'a'.repeat(1000 + random.int(2000)) : random.string(random.int(80), [...SAFE, ...HOSTILE]));
  const host = random.chance(0.7) ? 'example.com' : random.pick(HOSTS);
  if (format === 4) {
    const iso = random.pick(['2026-10-10T13:55:36+00:00', '2026-10-10T13:55:36.5Z', '2026-02-30T00:00:00Z', '2026-10-10 13:55:36', 'x']);
    return `${iso} ${host} ${ip} "${method} ${path}" ${status} ${random.pick(['https', 'http', '-', 'gopher'])} "${referrer}" "${ua}"`;
  }
  if (format === 5) {
    const msec = random.pick(['1791640536.123', '1791640536', '-1', '1e20', 'NaN', '99999999999999.999']);
    const [uri = '', args = ''] = path.split('?');
    return `${msec} ${random.chance(0.8) ? ip : '-'} ${host} "${uri}" "${args === '' ? '-' : args}" ${status}`;
  }
  const time = random.chance(0.8) ? TIMES[0] ?? '' : random.pick(TIMES);
  const line = `${ip} - - [${time}] "${request}" ${status} 5 "${referrer}" "${ua}"`;
  return format === 2 ? `${host}:443 ${line}` : line;
}

function jsonLine(random: Random): string {
  const field = (make: () => unknown) => (random.chance(0.85) ? make() : random.pick<unknown>([null, 42, -1, 1e300, true, [], {}, ['a'], { a: 1 }, '', '-']));
  const object: Record<string, unknown> = {
    [random.pick(['time_iso8601', 'time_local', 'msec', 'timestamp', '@timestamp', 'time', 'ts'])]:
      field(() => random.pick(['2026-10-10T13:55:36Z', '2026-10-10T13:55:36.123+09:00', '1791640536.123', 1_791_640_536_123, TIMES[0], '2026-13-45T99:99:99Z', '1e400', 'NaN'])),
    [random.pick(['remote_addr', 'client_ip', 'ip', 'remote_ip'])]: field(() => random.pick(IPS)),
    [random.pick(['request', 'request_uri', 'url', 'uri', 'path'])]: field(() => (random.chance(0.5) ? `GET ${target(random)} HTTP/1.1` : target(random))),
    [random.pick(['status', 'status_code'])]: field(() => random.pick([200, 304, 404, 999, 20, 2.5, ...STATUSES])),
    [random.pick(['http_user_agent', 'user_agent', 'ua'])]: field(() => (random.chance(0.7) ? UA : random.string(random.int(200), [...SAFE, ...HOSTILE]))),
    [random.pick(['host', 'http_host', 'server_name'])]: field(() => random.pick(HOSTS)),
    [random.pick(['http_referer', 'referrer'])]: field(() => random.string(random.int(40), [...SAFE, ...HOSTILE])),
  };
  if (random.chance(0.1)) object.request = { method: 'GET', uri: target(random), host: random.pick(HOSTS), headers: { 'User-Agent': [UA] } };
  return JSON.stringify(object);
}

interface Input { format: number; line: string }

function generate(random: Random): Input {
  const format = random.int(FORMATS.length);
  const line = random.weighted([
    [5, () => (format === 3 ? jsonLine(random) : textLine(random, format))],
    [3, () => {
      let text = format === 3 ? jsonLine(random) : textLine(random, format);
      for (let i = 1 + random.int(3); i > 0; i -= 1) text = mutate(random, text);
      return text;
    }],
    [1, () => random.bytes(random.int(300)).toString(random.chance(0.5) ? 'latin1' : 'utf8')],
    [1, () => random.string(random.int(200), [...SAFE, ...HOSTILE, ' ', '"', '[', ']', '-'])],
  ]);
  // Lines reach the parser split on newlines: a line never contains one.
  return { format, line: line.replace(/[\r\n]/g, ' ') };
}

/** Plain checks, not expect(): this runs for every line, and a failure only has to say what was wrong. */
function checkParsed(result: ParseResult, line: string): void {
  if (isBad(result)) {
    if (typeof result.bad !== 'string' || result.bad.length > 120) throw new Error('a bad line without a short reason');
    // A reason is a fixed phrase: it never carries the line's text (which holds an IP).
    if (result.bad.includes('203.0.113.7') || (line.length > 30 && result.bad.includes(line.slice(0, 30)))) throw new Error(`the reason repeats the line: ${result.bad}`);
    return;
  }
  const problems = [
    typeof result.ip !== 'string' && 'ip', !Number.isFinite(result.ts) && 'ts', typeof result.method !== 'string' && 'method',
    typeof result.target !== 'string' && 'target', !Number.isInteger(result.status) && 'status', typeof result.ua !== 'string' && 'ua',
    ...(['referrer', 'host', 'contentType', 'scheme'] as const).map((k) => result[k] !== undefined && typeof result[k] !== 'string' && k),
  ].filter(Boolean);
  if (problems.length > 0) throw new Error(`parsed line with wrong types: ${problems.join(', ')}`);
}

/** Keeps what the importer sends, as the worker would read it. */
class DecodingSink implements RecordSink {
  readonly kind = 'in-process' as const;
  readonly keyed = true;
  records = 0;
  refused: string[] = [];
  send(_stream: string, first: number, messages: readonly SinkMessage[]): Promise<number> {
    for (const message of messages) {
      const decoded = decodeRawRecord(message.value);
      this.records += 1;
      if (!decoded.ok) this.refused.push(decoded.reason);
    }
    return Promise.resolve(first + messages.length);
  }
  finish(): Promise<{ saltsDestroyed: number }> {
    return Promise.resolve({ saltsDestroyed: 0 });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('fuzz: access-log parsers and importer', () => {
  it(`${String(INPUTS)} seeded lines: no throw, clean reasons, typed results, decodable records`, async () => {
    const byFormat: string[][] = FORMATS.map(() => []);
    let parsed = 0;
    const ran = await fuzz(generate, { seed: SEED, inputs: INPUTS, ms: BUDGET_MS }, (input) => {
      const format = FORMATS[input.format] as LineFormat;
      const result = format.parse(input.line);
      checkParsed(result, input.line);
      if (!isBad(result)) parsed += 1;
      byFormat[input.format]?.push(input.line);
    });
    expect(ran, `only ${String(ran)} lines in ${String(BUDGET_MS / 1000)} s`).toBe(INPUTS);
    expect(parsed).toBeGreaterThan(ran / 10);

    // The same lines (the first IMPORTED of each format) through the importer, with and without --site: every record
    // it makes is one the worker reads.
    const sink = new DecodingSink();
    for (const [index, all] of byFormat.entries()) {
      const lines = all.slice(0, IMPORTED);
      for (const site of ['example.com', undefined]) {
        const options = {
          format: FORMATS[index] as LineFormat, site, run: '0123456789abcdef', batchSize: 500, follow: false, signal: undefined,
          sessions: new SessionAssigner(), bots: new BotDetector(), sink, counts: emptyCounts(),
        };
        const input = { kind: 'stream' as const, stream: Readable.from([Buffer.from(`${lines.join('\n')}\n`)]) };
        await importInput(input, { stream: `import.fuzz-${String(index)}`, offset: 0, line: 0, seq: 0 }, options);
      }
    }
    expect(sink.refused).toEqual([]);
    expect(sink.records).toBeGreaterThan(IMPORTED);
    console.info(`fuzz access logs: ${String(ran)} lines, ${String(parsed)} parsed, ${String(sink.records)} records imported, all decodable`);
  }, BUDGET_MS + 60_000);
});
