import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { isbot } from 'isbot';
import { prng as random } from './random.js';

/**
 * A realistic combined access log for tests and bench/import: Zipf-distributed pages with some campaign query
 * strings, assets between page views, POSTs and HEADs, 304s, 404s and 5xxs, ~2,000 distinct browser agents and a
 * share of bots, from documentation addresses only (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32).
 * Deterministic for a seed.
 */
export interface LogOptions {
  readonly lines: number;
  /** Epoch ms of the first line; lines are spread evenly over `days` days, in time order. */
  readonly start: number;
  readonly days: number;
  readonly seed?: number;
  /**
   * Pads agents to this many bytes (as scanners and broken clients send), with a token in their first 1 KiB that
   * makes each one unique per line (the worst case: every line a new agent, a new session) or per client.
   */
  readonly uaBytes?: number;
  readonly uaUnique?: 'line' | 'client';
  /** Every line a page view (GET, 200 or 304, no asset, no bot): the log GoAccess and an importer both count in full. */
  readonly pageviewsOnly?: boolean;
}

const WORDS = ['intro', 'pricing', 'privacy', 'analytics', 'setup', 'guide', 'team', 'careers', 'release', 'notes', 'faq', 'compare', 'security', 'api', 'billing', 'export', 'widgets', 'events'];

function agents(rand: () => number): string[] {
  const out = new Set<string>();
  const windows = ['Windows NT 10.0; Win64; x64', 'Windows NT 6.1; Win64; x64', 'Windows NT 10.0; WOW64'];
  const mac = ['Macintosh; Intel Mac OS X 10_15_7', 'Macintosh; Intel Mac OS X 13_6', 'Macintosh; Intel Mac OS X 14_2_1'];
  const linux = ['X11; Linux x86_64', 'X11; Ubuntu; Linux x86_64', 'X11; Fedora; Linux x86_64'];
  const phones = ['Pixel 7', 'Pixel 8 Pro', 'SM-S918B', 'SM-A546B', 'moto g(60)', 'M2101K6G', 'CPH2449', 'SM-G991B'];
  while (out.size < 1950) {
    const kind = Math.floor(rand() * 5);
    const major = 100 + Math.floor(rand() * 32);
    const build = Math.floor(rand() * 6000);
    if (kind === 0) out.add(`Mozilla/5.0 (${windows[Math.floor(rand() * 3)]}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${major}.0.${build}.${Math.floor(rand() * 200)} Safari/537.36`);
    else if (kind === 1) out.add(`Mozilla/5.0 (${[...mac, ...linux, ...windows][Math.floor(rand() * 9)]}; rv:${major}.0) Gecko/20100101 Firefox/${major}.0`);
    else if (kind === 2) out.add(`Mozilla/5.0 (${mac[Math.floor(rand() * 3)]}) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${14 + Math.floor(rand() * 4)}.${Math.floor(rand() * 7)} Safari/605.1.15`);
    else if (kind === 3) out.add(`Mozilla/5.0 (Linux; Android ${10 + Math.floor(rand() * 5)}; ${phones[Math.floor(rand() * phones.length)]}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${major}.0.${build}.${Math.floor(rand() * 200)} Mobile Safari/537.36`);
    else out.add(`Mozilla/5.0 (iPhone; CPU iPhone OS ${14 + Math.floor(rand() * 4)}_${Math.floor(rand() * 7)} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${14 + Math.floor(rand() * 4)}.${Math.floor(rand() * 7)} Mobile/15E148 Safari/604.1`);
  }
  return [...out];
}

const BOTS = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)',
  'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)',
  'curl/8.5.0', 'python-requests/2.31.0', 'Go-http-client/1.1', 'Wget/1.21.4',
  'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
  'Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)',
];

const ASSETS = ['/static/app.3f9c.js', '/static/vendor.81aa.js', '/css/site.css', '/img/logo.png', '/img/hero.webp', '/favicon.ico', '/fonts/inter.woff2', '/img/team/photo-3.jpg', '/manifest.webmanifest', '/robots.txt'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `10/Oct/2026:13:55:36 +0000`, the time of a combined-format line. */
export function clfTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

function pages(rand: () => number): string[] {
  const out = ['/', '/pricing', '/about', '/contact', '/blog', '/docs'];
  for (let i = 0; out.length < 600; i += 1) {
    const a = WORDS[Math.floor(rand() * WORDS.length)] ?? 'x';
    const b = WORDS[Math.floor(rand() * WORDS.length)] ?? 'y';
    out.push(i % 3 === 0 ? `/blog/${a}-${b}-${i}` : i % 3 === 1 ? `/docs/${a}/${b}` : `/products/${a}-${i}`);
  }
  return [...new Set(out)];
}

/** Writes the log and returns how many lines it wrote. */
export function writeAccessLog(file: string, options: LogOptions): number {
  const rand = random(options.seed ?? 42);
  const uas = agents(rand);
  const paths = pages(rand);
  const ips: string[] = [];
  for (const prefix of ['192.0.2', '198.51.100', '203.0.113']) for (let i = 1; i < 255; i += 1) ips.push(`${prefix}.${i}`);
  for (let i = 0; i < 6000; i += 1) ips.push(`2001:db8:${(i >> 8).toString(16)}::${(i & 255).toString(16)}`);
  // Clients: an address with an agent. A pool of active ones browses; each leaves after a while for a new one.
  const filler = options.uaBytes === undefined ? '' : 'KHTML, like Gecko; '.repeat(Math.ceil(options.uaBytes / 19));
  let clients = 0;
  const pad = (ua: string, id: number) => {
    if (options.uaBytes === undefined) return ua;
    const head = `${ua} Ext/${id} (`;
    return `${head}${filler.slice(0, Math.max(0, options.uaBytes - head.length - 1))})`;
  };
  const perLine = options.uaBytes !== undefined && options.uaUnique !== 'client';
  const client = () => {
    const ua = rand() < 0.1 && options.pageviewsOnly !== true ? BOTS[Math.floor(rand() * BOTS.length)] ?? '' : uas[Math.floor(rand() * uas.length)] ?? '';
    return { ip: ips[Math.floor(rand() * ips.length)] ?? '', ua: perLine ? ua : pad(ua, clients++), left: 3 + Math.floor(rand() * 25) };
  };
  const active = Array.from({ length: 300 }, client);
  const step = (options.days * 86_400_000) / options.lines;
  const fd = fs.openSync(file, 'w');
  let buffer = '';
  for (let i = 0; i < options.lines; i += 1) {
    const slot = Math.floor(rand() * active.length);
    let c = active[slot] ?? client();
    if (--c.left <= 0) active[slot] = c = client();
    const r = rand();
    // Zipf-like: low indexes far more often.
    const page = paths[Math.floor(paths.length * rand() ** 3)] ?? '/';
    let method = 'GET';
    const only = options.pageviewsOnly === true;
    let target = r < 0.45 && !only ? ASSETS[Math.floor(rand() * ASSETS.length)] ?? '/' : page;
    if ((r >= 0.45 || only) && rand() < 0.08) target += `?utm_source=${WORDS[Math.floor(rand() * 5)] ?? 'x'}&session=abc${i}`;
    const m = rand();
    if (m < 0.02 && !only) method = 'POST';
    else if (m < 0.03 && !only) method = 'HEAD';
    const s = rand();
    const status = only ? (s < 0.1 ? 304 : 200) : s < 0.04 ? 404 : s < 0.05 ? 500 : s < 0.1 ? 304 : s < 0.12 ? 301 : 200;
    const referrer = rand() < 0.3 ? `https://www.example.org/search?q=${WORDS[Math.floor(rand() * WORDS.length)] ?? ''}` : '-';
    buffer += `${c.ip} - - [${clfTime(options.start + i * step)}] "${method} ${target} HTTP/1.1" ${status} ${Math.floor(rand() * 50_000)} "${referrer}" "${perLine ? pad(c.ua, i) : c.ua}"\n`;
    if (buffer.length > 1 << 20) {
      fs.writeSync(fd, buffer);
      buffer = '';
    }
  }
  fs.writeSync(fd, buffer);
  fs.closeSync(fd);
  return options.lines;
}

const PEER_ASSETS = new Set(['js', 'css', 'png', 'webp', 'ico', 'woff2', 'jpg', 'webmanifest', 'txt']);
const PEER_LINE = /^(\S+) \S+ \S+ \[(\d\d)\/(\w{3})\/(\d{4}):(\d\d):(\d\d):(\d\d) \+0000\] "(\S+) (\S+) [^"]*" (\d{3}) \S+ "[^"]*" "([^"]*)"$/;

/**
 * The peer: an independent reading of a generated log (its own regex, asset list and rules, not @tokumei/import's).
 * Page views per path (query dropped) and daily unique visitors = distinct (address, agent) per UTC day, which is what
 * Tokumei's per-day visitor hash counts.
 */
export function peerStats(file: string): { pageviews: Map<string, number>; dailyVisitors: Map<string, number>; total: number; bots: number } {
  const pageviews = new Map<string, number>();
  const visitors = new Map<string, Set<string>>();
  const botAgents = new Map<string, boolean>();
  let total = 0;
  let bots = 0;
  const count = (line: string) => {
    const m = PEER_LINE.exec(line);
    if (m === null) return;
    const [, ip, day, mon, year, , , , method, target, status, ua] = m;
    if (method !== 'GET' || !/^[23]/.test(status ?? '')) return;
    const path = (target ?? '').split('?')[0] ?? '';
    const ext = /\.([a-z0-9]+)$/.exec(path)?.[1];
    if (ext !== undefined && PEER_ASSETS.has(ext)) return;
    const agent = createHash('sha256').update(ua ?? '').digest('base64');
    // The padding of long generated agents is not what makes a bot, so isbot reads the agent without it (and once).
    const padded = (ua ?? '').indexOf(' Ext/');
    const base = padded === -1 ? ua ?? '' : (ua ?? '').slice(0, padded);
    let bot = botAgents.get(base);
    // Keys as fresh strings: a regex capture is a slice of its line, and a kept slice keeps the whole line.
    if (bot === undefined) botAgents.set(` ${base}`.slice(1), bot = isbot(base));
    if (bot) {
      bots += 1;
      return;
    }
    total += 1;
    pageviews.set(` ${path}`.slice(1), (pageviews.get(path) ?? 0) + 1);
    const date = `${year}-${String(MONTHS.indexOf(mon ?? '') + 1).padStart(2, '0')}-${day}`;
    const set = visitors.get(date) ?? new Set<string>();
    set.add(createHash('sha256').update(`${ip ?? ''}\u0000${agent}`).digest('base64'));
    visitors.set(date, set);
  };
  // Read in chunks: a log with 8 KB agents is gigabytes, more than one string can hold.
  const fd = fs.openSync(file, 'r');
  const chunk = Buffer.alloc(1 << 22);
  const decoder = new StringDecoder('utf8');
  let rest = '';
  try {
    for (let read = fs.readSync(fd, chunk); read > 0; read = fs.readSync(fd, chunk)) {
      const lines = (rest + decoder.write(chunk.subarray(0, read))).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) count(line);
    }
    count(rest + decoder.end());
  } finally {
    fs.closeSync(fd);
  }
  return { pageviews, dailyVisitors: new Map([...visitors].map(([d, s]) => [d, s.size])), total, bots };
}
