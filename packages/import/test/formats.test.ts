import { describe, expect, it } from 'vitest';
import { TokumeiError } from '@tokumei/errors';
import { MAX_AGENT, WallClock, isBad, parseClfTime, parseIsoTime, resolveFormat, type ParsedLine, type ParseResult } from '@tokumei/import';

const utc = new WallClock('UTC');
const combined = resolveFormat('combined', utc);
const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

function ok(result: ParseResult): ParsedLine {
  if (isBad(result)) throw new Error(`bad: ${result.bad}`);
  return result;
}

describe('combined and common', () => {
  it('reads a standard nginx combined line', () => {
    const line = ok(combined.parse(`203.0.113.7 - - [10/Oct/2026:13:55:36 -0700] "GET /docs/intro?utm_source=x HTTP/1.1" 200 2326 "https://www.example.org/a" "${UA}"`));
    expect(line).toMatchObject({ ip: '203.0.113.7', method: 'GET', target: '/docs/intro?utm_source=x', status: 200, referrer: 'https://www.example.org/a', ua: UA, host: undefined });
    expect(new Date(line.ts).toISOString()).toBe('2026-10-10T20:55:36.000Z');
  });

  it('reads Apache lines: identd and user fields, escaped quotes in the agent, "-" for bytes, HTTP/2', () => {
    const line = ok(combined.parse('2001:db8::1 ident jane [01/Feb/2026:00:00:00 +0100] "GET /a HTTP/2.0" 304 - "-" "Agent \\"quoted\\" (x)"'));
    expect(line).toMatchObject({ ip: '2001:db8::1', status: 304, referrer: undefined, ua: 'Agent \\"quoted\\" (x)' });
    expect(new Date(line.ts).toISOString()).toBe('2026-01-31T23:00:00.000Z');
  });

  it('reads nginx \\x22 escapes, empty agents and trailing extra fields', () => {
    const line = ok(combined.parse('198.51.100.23 - - [10/Oct/2026:13:55:36 +0000] "GET /q?a=\\x22b\\x22 HTTP/1.1" 200 1 "-" "" "198.51.100.1" rt=0.001'));
    expect(line).toMatchObject({ target: '/q?a=\\x22b\\x22', ua: '', referrer: undefined });
  });

  it('reads common lines (no referrer or agent)', () => {
    const line = ok(resolveFormat('common', utc).parse('192.0.2.4 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.0" 200 5'));
    expect(line).toMatchObject({ ip: '192.0.2.4', target: '/', ua: '', referrer: undefined });
  });

  it('names a reason for nasty lines and never echoes them', () => {
    const nasty: [string, string][] = [
      ['', 'does not match'],
      ['192.0.2.9 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 2x0 5 "-" "-"', 'status'],
      ['192.0.2.9 - - [99/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 5 "-" "-"', 'time'],
      ['192.0.2.9 - - [10/Foo/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 5 "-" "-"', 'time'],
      ['192.0.2.9 - - [10/Oct/2026:13:55:36 +0000] "-" 200 0 "-" "-"', 'request'],
      ['192.0.2.9 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1 200 5 "-" "-"', 'does not match'],
      ['{"remote_addr":"192.0.2.9"}', 'does not match'],
      ['\u0000\u0001\u0002 binary', 'does not match'],
    ];
    for (const [text, reason] of nasty) {
      const result = combined.parse(text);
      expect(isBad(result), text).toBe(true);
      if (isBad(result)) {
        expect(result.bad).toContain(reason);
        expect(result.bad).not.toContain('192.0.2.9');
      }
    }
  });

  it('reads a junk request line with an error status as a line to skip by status, not a bad line', () => {
    const result = ok(combined.parse('192.0.2.9 - - [10/Oct/2026:13:55:36 +0000] "\\x16\\x03\\x01\\x00" 400 157 "-" "-"'));
    expect(result.status).toBe(400);
  });
});

describe('control characters', () => {
  const at = (target: string, referrer: string, ua: string) => `192.0.2.9 - - [10/Oct/2026:13:55:36 +0000] "GET ${target} HTTP/1.1" 200 5 "${referrer}" "${ua}"`;

  it('makes a line whose request target holds one a bad line, without echoing it', () => {
    for (const target of ['/a\u0000b', '/a\u0007', '/\u007f', '/x\u0085y']) {
      const result = combined.parse(at(target, '-', UA));
      expect(result).toEqual({ bad: 'control character in the request target' });
    }
  });

  it('removes them from the referrer and the agent (the page view is real)', () => {
    const line = ok(combined.parse(at('/a', 'https://www.example.org/\u0000x\u001b', `${UA}\u0000\u0001`)));
    expect(line).toMatchObject({ target: '/a', referrer: 'https://www.example.org/x', ua: UA });
  });

  it('does the same for JSON lines, where \\u0000 decodes to NUL', () => {
    const json = resolveFormat('json', utc);
    const base = { time: '2026-05-01T12:00:00Z', remote_addr: '192.0.2.8', status: 200, http_user_agent: `${UA}\u0000` };
    expect(json.parse(JSON.stringify({ ...base, request: 'GET /j\u0000 HTTP/1.1' }))).toEqual({ bad: 'control character in the request target' });
    expect(json.parse(JSON.stringify({ ...base, request_method: 'GET', uri: '/j', args: 'a=\u0000' }))).toEqual({ bad: 'control character in the request target' });
    expect(json.parse(JSON.stringify({ ...base, remote_addr: '192.0.2.8\u0000', request: 'GET /j HTTP/1.1' }))).toEqual({ bad: 'control character in the client address' });
    expect(ok(json.parse(JSON.stringify({ ...base, request: 'GET /j HTTP/1.1', http_referer: 'https://www.example.org/\u0000' })))).toMatchObject({ ua: UA, referrer: 'https://www.example.org/' });
  });
});

describe('long agents', () => {
  it('keeps only the first MAX_AGENT characters, what the worker reads and bots are told from', () => {
    const long = `${UA} ${'x'.repeat(60_000)}`;
    const line = ok(combined.parse(`192.0.2.9 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 5 "-" "${long}"`));
    expect(line.ua).toBe(long.slice(0, MAX_AGENT));
    expect(line.ua).toHaveLength(1024);
  });

  it('still reads escapes inside quoted fields', () => {
    const line = ok(combined.parse(`192.0.2.9 - - [10/Oct/2026:13:55:36 +0000] "GET /a HTTP/1.1" 200 5 "-" "a \\"b\\" \\\\ ${'y'.repeat(20_000)}"`));
    expect(line.ua.startsWith('a \\"b\\" \\\\ yyy')).toBe(true);
  });
});

describe('nginx log_format strings', () => {
  it('reads a custom format with host, ISO time, request_time and content type', () => {
    const format = resolveFormat('$host $remote_addr [$time_iso8601] "$request_method $request_uri $server_protocol" $status "$http_user_agent" $request_time "$sent_http_content_type"', utc);
    expect(format.hasHost).toBe(true);
    const line = ok(format.parse(`WWW.Example.com:443 192.0.2.5 [2026-03-29T01:30:00+02:00] "GET /x?y=1 HTTP/1.1" 200 "${UA}" 0.003 "text/html; charset=utf-8"`));
    expect(line).toMatchObject({ host: 'www.example.com', method: 'GET', target: '/x?y=1', contentType: 'text/html; charset=utf-8' });
    expect(new Date(line.ts).toISOString()).toBe('2026-03-28T23:30:00.000Z');
  });

  it('accepts ${var} and $msec, and reads $uri with $args', () => {
    const format = resolveFormat('${remote_addr}|$msec|$request_method|$uri|$args|$status', utc);
    const line = ok(format.parse('192.0.2.6|1767225600.250|GET|/p|a=1|200'));
    expect(line).toMatchObject({ target: '/p?a=1', ts: 1_767_225_600_250 });
    expect(ok(format.parse('192.0.2.6|1767225600.250|GET|/p|-|200')).target).toBe('/p');
  });

  it('refuses unusable formats with TKM_IMPORT_FORMAT', () => {
    for (const spec of ['nonsense', '$remote_addr$status', '$remote_addr $status', '$remote_addr [$time_local] $status', '[$time_local] "$request" $status']) {
      expect(() => resolveFormat(spec, utc), spec).toThrow(TokumeiError);
    }
  });

  it('takes the site from vcombined\'s vhost field', () => {
    const line = ok(resolveFormat('vcombined', utc).parse(`shop.example.com:80 192.0.2.7 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 5 "-" "${UA}"`));
    expect(line.host).toBe('shop.example.com');
  });
});

describe('JSON lines', () => {
  const json = resolveFormat('json', utc);

  it('reads nginx escape=json logs and Caddy logs', () => {
    const nginx = ok(json.parse(`{"time_iso8601":"2026-05-01T12:00:00+00:00","remote_addr":"192.0.2.8","request":"GET /j HTTP/1.1","status":"200","http_referer":"","http_user_agent":"${UA}","host":"example.com"}`));
    expect(nginx).toMatchObject({ ip: '192.0.2.8', target: '/j', status: 200, host: 'example.com', referrer: undefined });
    const caddy = ok(json.parse(`{"ts":1777636800.5,"request":{"remote_ip":"2001:db8::5","method":"GET","host":"example.com","uri":"/c?x=1","headers":{"User-Agent":["${UA}"]}},"status":200}`));
    expect(caddy).toMatchObject({ ip: '2001:db8::5', method: 'GET', target: '/c?x=1', ua: UA, ts: 1_777_636_800_500 });
  });

  it('reports JSON problems by reason', () => {
    expect(json.parse('{"remote_addr": "192.0.2.8", ')).toEqual({ bad: 'not valid JSON' });
    expect(json.parse('[1,2]')).toEqual({ bad: 'not a JSON object' });
    expect(json.parse('{"remote_addr":"192.0.2.8","status":200,"request":"GET / HTTP/1.1"}')).toEqual({ bad: 'invalid or missing time' });
    expect(json.parse('{"time":"2026-05-01T12:00:00Z","status":200,"request":"GET / HTTP/1.1"}')).toEqual({ bad: 'no client address' });
  });
});

describe('times', () => {
  it('reads times without an offset in the --tz zone, across a DST change', () => {
    const berlin = new WallClock('Europe/Berlin');
    expect(new Date(parseClfTime('28/Mar/2026:12:00:00', berlin) ?? 0).toISOString()).toBe('2026-03-28T11:00:00.000Z');
    expect(new Date(parseClfTime('29/Mar/2026:12:00:00', berlin) ?? 0).toISOString()).toBe('2026-03-29T10:00:00.000Z');
    expect(new Date(parseIsoTime('2026-07-01 08:15:00', berlin) ?? 0).toISOString()).toBe('2026-07-01T06:15:00.000Z');
    expect(new Date(parseIsoTime('2026-07-01T08:15:00.5Z', berlin) ?? 0).toISOString()).toBe('2026-07-01T08:15:00.500Z');
  });

  it('refuses impossible dates and times instead of rolling them over to another day', () => {
    for (const time of ['31/Feb/2026:10:00:00 +0000', '30/Feb/2026:10:00:00 +0000', '29/Feb/2026:10:00:00 +0000', '31/Apr/2026:10:00:00 +0000',
      '00/Jan/2026:10:00:00 +0000', '10/Oct/2026:25:00:00 +0000', '10/Oct/2026:24:00:00 +0000', '10/Oct/2026:10:60:00 +0000',
      '10/Oct/2026:10:00:61 +0000', '10/Oct/2026:10:00:00 +2500', '10/Oct/2026:10:00:00 -0075']) {
      expect(parseClfTime(time, utc), time).toBeUndefined();
      expect(combined.parse(`192.0.2.9 - - [${time}] "GET / HTTP/1.1" 200 5 "-" "-"`), time).toEqual({ bad: 'invalid or missing time' });
    }
    for (const time of ['2026-02-31T10:00:00Z', '2026-02-29 10:00:00', '2026-06-31T00:00:00+02:00', '2026-10-10T25:00:00Z', '2026-10-10T10:00:00+19:00']) {
      expect(parseIsoTime(time, utc), time).toBeUndefined();
    }
    expect(new Date(parseClfTime('29/Feb/2028:10:00:00 +0000', utc) ?? 0).toISOString()).toBe('2028-02-29T10:00:00.000Z');
    expect(new Date(parseClfTime('29/Feb/2000:10:00:00 +0000', utc) ?? 0).toISOString()).toBe('2000-02-29T10:00:00.000Z');
    expect(parseClfTime('29/Feb/2100:10:00:00 +0000', utc)).toBeUndefined();
    expect(new Date(parseIsoTime('2026-12-31T23:59:59-14:00', utc) ?? 0).toISOString()).toBe('2027-01-01T13:59:59.000Z');
  });

  it('refuses an unknown zone', () => {
    expect(() => new WallClock('Mars/Olympus')).toThrow(RangeError);
  });
});
