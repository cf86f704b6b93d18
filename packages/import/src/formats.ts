import { TokumeiError } from '@tokumei/errors';
import { parseAnyTime, parseClfTime, parseEpoch, parseIsoTime, type WallClock } from './time.js';

/** What the importer needs of one access-log line. Holds an IP and a user agent: it lives only in memory. */
export interface ParsedLine {
  readonly ip: string;
  readonly ts: number;
  readonly method: string;
  /** The request target as sent: `/path?query` (or an absolute URL for proxy requests). No control characters. */
  readonly target: string;
  readonly status: number;
  /** Control characters removed. */
  readonly referrer: string | undefined;
  /** At most MAX_AGENT characters, control characters removed. */
  readonly ua: string;
  /** From a Host / vhost field when the format has one. */
  readonly host: string | undefined;
  readonly contentType: string | undefined;
  readonly scheme: string | undefined;
}

/** A reason a line could not be read. Never contains any of the line's text (it may hold an IP). */
export type BadLine = { readonly bad: string };
export type ParseResult = ParsedLine | BadLine;

export interface LineFormat {
  readonly name: string;
  /** The format carries the site in a field, so `--site` is optional. */
  readonly hasHost: boolean;
  parse(line: string): ParseResult;
}

/** Named formats; anything else containing `$` is read as an nginx `log_format` string. */
export const PRESETS: Readonly<Record<string, string>> = {
  // Apache's %l (identd) is a field, not nginx's literal "-": reading it as a field accepts both servers' lines.
  common: '$remote_addr $ident $remote_user [$time_local] "$request" $status $body_bytes_sent',
  combined: '$remote_addr $ident $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"',
  // Apache's vhost_combined: `%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"`.
  vcombined: '$host:$server_port $remote_addr $ident $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"',
};

/** nginx variables the importer uses; every other variable is matched and ignored. */
const FIELDS: Record<string, string> = {
  remote_addr: 'ip', http_x_forwarded_for: 'xff', time_local: 'clf', time_iso8601: 'iso', msec: 'msec',
  request: 'request', request_method: 'method', request_uri: 'target', uri: 'uri', args: 'args', query_string: 'args',
  status: 'status', http_referer: 'referrer', http_user_agent: 'ua', host: 'host', http_host: 'host', server_name: 'host',
  sent_http_content_type: 'contentType', scheme: 'scheme',
};

const REQUEST = /^([A-Z]{1,20}) (\S+)(?: HTTP\/\d(?:\.\d)?)?$/;
const STATUS = /^\d{3}$/;

/**
 * The raw record's limit, and all the worker reads of an agent: bots are told from the same prefix here, and no
 * longer agent is kept in memory (caches included).
 */
export const MAX_AGENT = 1024;

/** Control characters (Cc: C0, DEL, C1): no HTTP request target or header may hold them; nginx and Apache escape them. */
const CONTROL = /\p{Cc}/u;
const CONTROLS = /\p{Cc}/gu;

/** Removes control characters (JSON logs decode `\u0000`; other writers copy bytes as they came). */
function clean(value: string): string {
  return CONTROL.test(value) ? value.replace(CONTROLS, '') : value;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function dash(value: string | undefined): string | undefined {
  return value === undefined || value === '' || value === '-' ? undefined : value;
}

/** Lower case, no port, no trailing dot; undefined when it does not look like a host name. */
export function normalizeHost(value: string | undefined): string | undefined {
  const host = dash(value)?.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
  return host !== undefined && /^(?:[a-z0-9_-]+\.)*[a-z0-9_-]+$|^\[[0-9a-f:.]+\]$/.test(host) ? host : undefined;
}

interface Fields { [field: string]: string | undefined }

/** Every field, present from the start: one object shape for every line keeps property access fast in V8. */
function emptyFields(): Fields {
  return {
    ip: undefined, xff: undefined, clf: undefined, iso: undefined, msec: undefined, time: undefined, request: undefined,
    method: undefined, target: undefined, uri: undefined, args: undefined, status: undefined, referrer: undefined,
    ua: undefined, host: undefined, contentType: undefined, scheme: undefined,
  };
}

/** Turns named fields into a ParsedLine, or the reason it cannot be one. */
function assemble(f: Fields, clock: WallClock): ParseResult {
  const status = f.status ?? '';
  if (!STATUS.test(status)) return { bad: 'status is not a 3-digit number' };
  let method = f.method;
  let target = f.target ?? (f.uri === undefined ? undefined : f.uri + (dash(f.args) === undefined ? '' : `?${f.args}`));
  if (f.request !== undefined) {
    const request = REQUEST.exec(f.request);
    // A status outside 2xx/3xx is skipped as such even when the request line is junk (TLS probes, scanners).
    if (request === null) return status[0] === '2' || status[0] === '3' ? { bad: 'malformed request line' } : { ...partial(f), status: Number(status), method: '', target: '' };
    method = request[1];
    target = request[2];
  }
  if (method === undefined || target === undefined) return { bad: 'no request method or target' };
  const ts = f.clf !== undefined ? parseClfTime(f.clf, clock) : f.iso !== undefined ? parseIsoTime(f.iso, clock) : f.msec !== undefined ? parseEpoch(f.msec) : f.time === undefined ? undefined : parseAnyTime(f.time, clock);
  if (ts === undefined) return { bad: 'invalid or missing time' };
  const ip = f.ip ?? dash(f.xff)?.split(',')[0]?.trim();
  if (ip === undefined || ip === '') return { bad: 'no client address' };
  // A target or address with control characters was not what a server received: cleaning it could count a page
  // nobody asked for, so the line is bad. Referrer and agent only describe a real page view: they are cleaned.
  if (CONTROL.test(target)) return { bad: 'control character in the request target' };
  if (CONTROL.test(ip)) return { bad: 'control character in the client address' };
  const referrer = dash(f.referrer);
  // One literal rather than a spread over partial(): this runs once per line, and the spread was most of its cost.
  return {
    ip, ts, method, target, status: Number(status), referrer: referrer === undefined ? undefined : clean(referrer),
    ua: clean(f.ua === undefined ? '' : f.ua.length > MAX_AGENT ? f.ua.slice(0, MAX_AGENT) : f.ua), host: normalizeHost(f.host),
    contentType: dash(f.contentType), scheme: dash(f.scheme),
  };
}

function partial(f: Fields): Omit<ParsedLine, 'method' | 'target' | 'status'> {
  return {
    ip: f.ip ?? '', ts: 0, referrer: dash(f.referrer), ua: f.ua ?? '', host: normalizeHost(f.host),
    contentType: dash(f.contentType), scheme: dash(f.scheme),
  };
}

/**
 * Compiles an nginx `log_format` string into one regular expression. Each variable matches up to the literal that
 * follows it; inside double quotes a backslash escapes the next character (Apache writes `\"`, nginx `\x22`).
 */
export function compileLogFormat(format: string, clock: WallClock, name = 'custom'): LineFormat {
  const tokens = format.split(/\$\{?([a-zA-Z_][a-zA-Z0-9_]*)\}?/);
  if (tokens.length < 3) throw new TokumeiError('TKM_IMPORT_FORMAT', 'the log format has no $variables');
  let source = '^';
  const groups: string[] = [];
  for (let i = 0; i < tokens.length; i += 2) {
    const literal = tokens[i] ?? '';
    source += escapeRegex(literal);
    const variable = tokens[i + 1];
    if (variable === undefined) break;
    const next = tokens[i + 2] ?? '';
    if (next === '' && i + 3 < tokens.length) throw new TokumeiError('TKM_IMPORT_FORMAT', `$${variable} and $${tokens[i + 3] ?? ''} need a separator between them`);
    const quoted = literal.endsWith('"') && next.startsWith('"');
    const stop = next[0];
    // Quoted: runs of plain characters, then escapes (`[^"\\]*(?:\\.[^"\\]*)*`); one alternation per character
    // instead would make a 60 KB agent cost a backtracking entry per character.
    const body = quoted ? '[^"\\\\]*(?:\\\\.[^"\\\\]*)*' : stop === undefined ? '.*' : `[^${escapeRegex(stop)}]*`;
    const field = FIELDS[variable];
    if (field !== undefined && !groups.includes(field)) {
      groups.push(field);
      source += `(${body})`;
    } else source += `(?:${body})`;
  }
  const regex = new RegExp(source);
  const hasHost = groups.includes('host');
  if (!groups.includes('status') || !(groups.includes('request') || groups.includes('target') || groups.includes('uri'))) {
    throw new TokumeiError('TKM_IMPORT_FORMAT', 'the log format needs $status and $request (or $request_uri)');
  }
  if (!groups.some((g) => g === 'clf' || g === 'iso' || g === 'msec')) throw new TokumeiError('TKM_IMPORT_FORMAT', 'the log format needs $time_local, $time_iso8601 or $msec');
  if (!groups.includes('ip') && !groups.includes('xff')) throw new TokumeiError('TKM_IMPORT_FORMAT', 'the log format needs $remote_addr');
  return {
    name, hasHost,
    parse(line) {
      const m = regex.exec(line);
      if (m === null) return { bad: `does not match the ${name} format` };
      const fields = emptyFields();
      for (let g = 0; g < groups.length; g += 1) fields[groups[g] as string] = m[g + 1];
      return assemble(fields, clock);
    },
  };
}

/** JSON keys tried for each field, first match wins (nginx `escape=json` names, common logger names, Caddy). */
const JSON_KEYS: Record<string, readonly string[]> = {
  ip: ['remote_addr', 'client_ip', 'clientip', 'remote_ip', 'ip', 'request.client_ip', 'request.remote_ip'],
  xff: ['http_x_forwarded_for', 'x_forwarded_for'],
  time: ['time_iso8601', 'time_local', 'msec', 'timestamp', '@timestamp', 'time', 'ts'],
  request: ['request'],
  method: ['request_method', 'method', 'request.method'],
  target: ['request_uri', 'request.uri', 'url'],
  uri: ['uri', 'path'],
  args: ['args', 'query_string', 'query'],
  status: ['status', 'status_code', 'response_status'],
  referrer: ['http_referer', 'referer', 'referrer', 'request.headers.Referer'],
  ua: ['http_user_agent', 'user_agent', 'useragent', 'agent', 'ua', 'request.headers.User-Agent'],
  host: ['host', 'http_host', 'server_name', 'vhost', 'request.host'],
  contentType: ['sent_http_content_type', 'content_type', 'resp_headers.Content-Type'],
  scheme: ['scheme', 'request.proto_scheme'],
};

function lookup(object: Record<string, unknown>, key: string): unknown {
  if (key in object) return object[key];
  let value: unknown = object;
  for (const part of key.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  // Caddy logs headers as arrays of values.
  return Array.isArray(value) ? value[0] : value;
}

/** JSON lines: one object per line, fields found under the usual names (see JSON_KEYS). */
export function jsonLinesFormat(clock: WallClock, hasHost = true): LineFormat {
  return {
    name: 'json', hasHost,
    parse(line) {
      let object: unknown;
      try {
        object = JSON.parse(line);
      } catch {
        return { bad: 'not valid JSON' };
      }
      if (typeof object !== 'object' || object === null || Array.isArray(object)) return { bad: 'not a JSON object' };
      const fields: Fields = {};
      let time: unknown;
      for (const [field, keys] of Object.entries(JSON_KEYS)) {
        for (const key of keys) {
          const value = lookup(object as Record<string, unknown>, key);
          if (value === undefined || value === null) continue;
          if (field === 'time') time = value;
          // Objects and arrays are not field values: the line is read as if the key were missing.
          else if (typeof value === 'string' || typeof value === 'number') fields[field] = String(value);
          else continue;
          break;
        }
      }
      if (time === undefined) return { bad: 'invalid or missing time' };
      const ts = parseAnyTime(time, clock);
      if (ts === undefined) return { bad: 'invalid or missing time' };
      fields.msec = String(ts);
      return assemble(fields, clock);
    },
  };
}

/** `combined`, `common`, `vcombined`, `json`, or an nginx log_format string. */
export function resolveFormat(spec: string, clock: WallClock): LineFormat {
  if (spec === 'json') return jsonLinesFormat(clock);
  const preset = PRESETS[spec];
  if (preset !== undefined) return compileLogFormat(preset, clock, spec);
  if (!spec.includes('$')) throw new TokumeiError('TKM_IMPORT_FORMAT', `unknown format "${spec.slice(0, 40)}": use ${[...Object.keys(PRESETS), 'json'].join(', ')} or an nginx log_format string`);
  return compileLogFormat(spec, clock);
}

export function isBad(result: ParseResult): result is BadLine {
  return 'bad' in result;
}
