/**
 * Deterministic inputs for bench/worker: raw records as the worker reads them from the raw topic (encodeRawRecord
 * bytes), generated from a seeded PRNG so every run measures the same data. Addresses come only from the
 * documentation ranges (RFC 5737, RFC 3849) and sites only from the documentation domains (RFC 2606).
 */
import { encodeRawRecord, type RawRecord } from '@tokumei/schema';
import { prng } from '../../test/helpers/random.js';

type Rng = () => number;

const int = (rng: Rng, min: number, max: number): number => min + Math.floor(rng() * (max - min + 1));
function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}
const hex = (rng: Rng, digits: number): string => Array.from({ length: digits }, () => '0123456789abcdef'[int(rng, 0, 15)]).join('');

/** Draws indexes 0..n-1 with weight 1/(rank+1)^s: a few items take most of the draws, as in real traffic. */
export function zipf(rng: Rng, n: number, s = 1): () => number {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 0; k < n; k += 1) cdf[k] = total += 1 / (k + 1) ** s;
  return () => {
    const u = rng() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cdf[mid] ?? 0) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// User agents

const ANDROID_MODELS = ['SM-S918B', 'SM-A546B', 'SM-G991B', 'SM-A155F', 'Pixel 8', 'Pixel 7a', 'Pixel 6', 'M2101K6G', '2201116SG', 'CPH2449', 'moto g54 5G', 'K'];
const SAMSUNG_MODELS = ['SM-S918B', 'SM-S911B', 'SM-A546B', 'SM-A346B', 'SM-G991B', 'SM-X710', 'SM-A155F', 'SM-F946B'];
const MAC_TOKEN = 'Macintosh; Intel Mac OS X 10_15_7';
const WINDOWS_TOKEN = 'Windows NT 10.0; Win64; x64';
const LINUX_TOKENS = ['X11; Linux x86_64', 'X11; Ubuntu; Linux x86_64', 'X11; Fedora; Linux x86_64'];

/**
 * One browser user agent in the shape real browsers send. `unique`, when given, becomes the build/patch number, so
 * every call yields a string no other call does (the all-distinct input).
 */
export function browserAgent(rng: Rng, unique?: number): string {
  const chrome = int(rng, 116, 131);
  const build = unique ?? int(rng, 5000, 6999);
  const patch = int(rng, 40, 220);
  const android = int(rng, 10, 14);
  const ios = `${int(rng, 15, 18)}_${int(rng, 0, 6)}`;
  const firefox = int(rng, 115, 133);
  const safari = `${int(rng, 15, 18)}.${int(rng, 0, 6)}`;
  const webkit = 'AppleWebKit/537.36 (KHTML, like Gecko)';
  const family = rng();
  if (family < 0.38) {
    // Chrome on desktop or Android.
    const where = rng();
    if (where < 0.45) return `Mozilla/5.0 (${WINDOWS_TOKEN}) ${webkit} Chrome/${chrome}.0.${build}.${patch} Safari/537.36`;
    if (where < 0.6) return `Mozilla/5.0 (${MAC_TOKEN}) ${webkit} Chrome/${chrome}.0.${build}.${patch} Safari/537.36`;
    if (where < 0.65) return `Mozilla/5.0 (${pick(rng, LINUX_TOKENS)}) ${webkit} Chrome/${chrome}.0.${build}.${patch} Safari/537.36`;
    return `Mozilla/5.0 (Linux; Android ${android}; ${pick(rng, ANDROID_MODELS)}) ${webkit} Chrome/${chrome}.0.${build}.${patch} Mobile Safari/537.36`;
  }
  if (family < 0.62) {
    // Safari on iPhone, iPad or Mac; Chrome on iOS is WebKit too.
    const where = rng();
    const version = unique === undefined ? safari : `${safari}.${unique}`;
    if (where < 0.6) return `Mozilla/5.0 (iPhone; CPU iPhone OS ${ios} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${version} Mobile/15E148 Safari/604.1`;
    if (where < 0.7) return `Mozilla/5.0 (iPad; CPU OS ${ios} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${version} Mobile/15E148 Safari/604.1`;
    if (where < 0.85) return `Mozilla/5.0 (${MAC_TOKEN}) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${version} Safari/605.1.15`;
    return `Mozilla/5.0 (iPhone; CPU iPhone OS ${ios} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/${chrome}.0.${build}.${patch} Mobile/15E148 Safari/604.1`;
  }
  if (family < 0.77) {
    // Edge: Chromium with an Edg/ token.
    const where = rng();
    const token = where < 0.85 ? WINDOWS_TOKEN : MAC_TOKEN;
    return `Mozilla/5.0 (${token}) ${webkit} Chrome/${chrome}.0.0.0 Safari/537.36 Edg/${chrome}.0.${build}.${patch}`;
  }
  if (family < 0.91) {
    // Firefox: the rv: token and the Firefox/ token carry the same major version.
    const where = rng();
    const version = unique === undefined ? `${firefox}.0` : `${firefox}.0.${unique}`;
    if (where < 0.55) return `Mozilla/5.0 (${WINDOWS_TOKEN}; rv:${firefox}.0) Gecko/20100101 Firefox/${version}`;
    if (where < 0.7) return `Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:${firefox}.0) Gecko/20100101 Firefox/${version}`;
    if (where < 0.9) return `Mozilla/5.0 (${pick(rng, LINUX_TOKENS)}; rv:${firefox}.0) Gecko/20100101 Firefox/${version}`;
    return `Mozilla/5.0 (Android ${android}; Mobile; rv:${firefox}.0) Gecko/${firefox}.0 Firefox/${version}`;
  }
  // Samsung Internet on Galaxy phones and tablets.
  const samsung = unique === undefined ? `${int(rng, 21, 26)}.0` : `${int(rng, 21, 26)}.0.${unique}`;
  const model = pick(rng, SAMSUNG_MODELS);
  const mobile = model.startsWith('SM-X') ? '' : 'Mobile ';
  return `Mozilla/5.0 (Linux; Android ${android}; SAMSUNG ${model}) ${webkit} SamsungBrowser/${samsung} Chrome/${chrome}.0.0.0 ${mobile}Safari/537.36`;
}

/** Crawlers and scripts; isbot() recognises each of these shapes. */
export function botAgent(rng: Rng, unique?: number): string {
  const n = unique ?? int(rng, 0, 12);
  // The classic Googlebot string has no number to vary, so the all-distinct input leaves it out.
  switch (int(rng, unique === undefined ? 0 : 1, 4)) {
    case 0: return 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
    case 1: return `Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${int(rng, 120, 131)}.0.${6000 + n}.${int(rng, 0, 200)} Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)`;
    case 2: return `Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/${int(rng, 116, 131)}.0.${n}.0 Safari/537.36`;
    case 3: return `curl/8.${int(rng, 0, 11)}.${n}`;
    default: return `python-requests/2.${int(rng, 25, 32)}.${n}`;
  }
}

/** `count` distinct agents, about `botShare` of them bots, in a shuffled order (rank in the Zipf draw = index). */
function distinctAgents(rng: Rng, count: number, botShare: number): { browsers: string[]; bots: string[] } {
  const bots = new Set<string>();
  const wantBots = Math.round(count * botShare);
  while (bots.size < wantBots) bots.add(botAgent(rng));
  const browsers = new Set<string>();
  while (browsers.size < count - wantBots) browsers.add(browserAgent(rng));
  return { browsers: [...browsers], bots: [...bots] };
}

// ---------------------------------------------------------------------------------------------------------------
// Pages, referrers, addresses

const SITES = ['example.com', 'example.org', 'example.net'];
const SECTIONS = ['blog', 'docs', 'products', 'guides', 'news', 'help', 'careers', 'events'];
const WORDS = ['privacy', 'analytics', 'getting', 'started', 'pricing', 'install', 'kafka', 'clickhouse', 'release', 'notes',
  'dashboard', 'export', 'import', 'logs', 'tracker', 'consent', 'cookies', 'gdpr', 'faq', 'team', 'roadmap', 'api',
  'webhooks', 'sessions', 'visitors', 'retention', 'migration', 'security', 'audit', 'salts'];
const TOP_PAGES = ['/', '/pricing', '/about', '/contact', '/login', '/signup', '/blog', '/docs', '/products', '/search'];

function slug(rng: Rng): string {
  const words = Array.from({ length: int(rng, 2, 5) }, () => pick(rng, WORDS));
  if (rng() < 0.2) words.push(String(int(rng, 2019, 2026)));
  return words.join('-');
}

/** ~500 distinct page paths; a few carry personal data (e-mail, UUID) the way real sites leak it into URLs. */
function pagePaths(rng: Rng, count: number): string[] {
  const pages = new Set<string>(TOP_PAGES);
  while (pages.size < count) {
    const roll = rng();
    const section = pick(rng, SECTIONS);
    if (roll < 0.03) pages.add(`/unsubscribe/${pick(rng, ['jane.doe', 'j.smith', 'max.mustermann', 'info'])}%40example.${pick(rng, ['com', 'org'])}`);
    else if (roll < 0.08) pages.add(`/orders/${hex(rng, 8)}-${hex(rng, 4)}-4${hex(rng, 3)}-a${hex(rng, 3)}-${hex(rng, 12)}/receipt`);
    else if (roll < 0.12) pages.add(`/${section}/page/${int(rng, 2, 40)}`);
    else if (roll < 0.5) pages.add(`/${section}/${slug(rng)}`);
    else pages.add(`/${section}/${pick(rng, WORDS)}/${slug(rng)}`);
  }
  return [...pages];
}

const CAMPAIGNS = ['spring_sale', 'newsletter-2026-03', 'launch', 'retargeting', 'brand'];
function query(rng: Rng): string {
  const roll = rng();
  if (roll < 0.12) {
    const parts = [`utm_source=${pick(rng, ['newsletter', 'google', 'twitter', 'linkedin', 'partner'])}`,
      `utm_medium=${pick(rng, ['email', 'cpc', 'social', 'referral'])}`, `utm_campaign=${pick(rng, CAMPAIGNS)}`];
    if (rng() < 0.3) parts.push(`utm_content=${pick(rng, ['hero', 'footer', 'sidebar'])}`);
    if (rng() < 0.1) parts.push('utm_term=web%20analytics');
    return `?${parts.join('&')}`;
  }
  if (roll < 0.16) return `?gclid=${hex(rng, 24)}`;
  if (roll < 0.19) return `?fbclid=IwAR${hex(rng, 28)}`;
  if (roll < 0.24) return `?page=${int(rng, 2, 9)}&sort=${pick(rng, ['new', 'top'])}`;
  if (roll < 0.25) return `?email=jane.doe%40example.com&ref=mail`;
  return '';
}

const SEARCH = ['https://www.google.com/', 'https://www.google.de/', 'https://www.bing.com/search?q=web+analytics', 'https://duckduckgo.com/', 'https://search.yahoo.com/', 'https://www.ecosia.org/'];
const SOCIAL = ['https://t.co/', 'https://www.facebook.com/', 'https://l.facebook.com/', 'https://www.reddit.com/r/selfhosted/', 'https://news.ycombinator.com/', 'https://www.linkedin.com/', 'https://mastodon.social/'];

function referrer(rng: Rng, host: string, pages: readonly string[]): string | undefined {
  const roll = rng();
  if (roll < 0.38) return undefined;
  if (roll < 0.63) return `https://${host}${pick(rng, pages)}`;
  if (roll < 0.83) return pick(rng, SEARCH);
  if (roll < 0.95) return `${pick(rng, SOCIAL)}${rng() < 0.5 ? hex(rng, 10) : ''}`;
  return `https://blog.example.net/${slug(rng)}`;
}

/** IPv4 from the three documentation /24s (some as dual-stack ::ffff:), IPv6 from 2001:db8::/32. */
function address(rng: Rng): string {
  const roll = rng();
  if (roll < 0.55) {
    const v4 = `${pick(rng, ['192.0.2', '198.51.100', '203.0.113'])}.${int(rng, 1, 254)}`;
    return roll < 0.1 ? `::ffff:${v4}` : v4;
  }
  return `2001:db8:${hex(rng, 4)}:${hex(rng, 4)}:${hex(rng, 4)}:${hex(rng, 4)}:${hex(rng, 4)}:${hex(rng, 4)}`.replace(/:0{1,3}/g, ':');
}

const LANGS = ['en-US', 'en-GB', 'de-DE', 'de', 'fr-FR', 'es-ES', 'nl-NL', 'ja', 'pt-BR', 'it-IT', 'pl-PL', 'sv-SE'];
const WIDTHS = [360, 375, 390, 412, 414, 768, 820, 1024, 1280, 1366, 1440, 1536, 1920, 2560];
const EVENTS = ['signup', 'download', 'outbound', 'newsletter', 'video:play'];

export interface Inputs {
  /** The encoded records, realistic user-agent mix. */
  readonly realistic: readonly Buffer[];
  /** The same records, each with a user agent no other record has. */
  readonly distinct: readonly Buffer[];
  /** How many distinct user agents the realistic mix uses. */
  readonly agents: number;
  readonly now: number;
}

/**
 * `count` records between `now` − 36 h and `now` (yesterday and today, both inside the salt window). Independent
 * draws per field: page (Zipf over ~500), referrer, address, agent (Zipf over ~2,000, of them 2 % bots), sid.
 */
export function generate(count: number, now: number, seed = 20_260_311): Inputs {
  const rng = prng(seed);
  const pages = pagePaths(rng, 500);
  const pageOf = zipf(rng, pages.length, 1.1);
  const { browsers, bots } = distinctAgents(rng, 2_000, 0.02);
  const browserOf = zipf(rng, browsers.length, 1);
  const botOf = zipf(rng, bots.length, 1);
  const sessions = Array.from({ length: Math.max(1, Math.floor(count / 4)) }, () => `${hex(rng, 8)}${hex(rng, 8)}`);
  const realistic: Buffer[] = [];
  const distinct: Buffer[] = [];
  const used = new Set<string>();
  for (let i = 0; i < count; i += 1) {
    const site = pick(rng, SITES);
    const host = rng() < 0.7 ? site : `www.${site}`;
    const bot = rng() < 0.02;
    const ua = bot ? bots[botOf()] ?? '' : browsers[browserOf()] ?? '';
    used.add(ua);
    const beacon = rng() < 0.8;
    const fragment = rng() < 0.1 ? `#${pick(rng, ['top', 'comments', 'section-2', 'pricing-table', 'access_token=abc123def456ghi789jkl0'])}` : '';
    const record: RawRecord = {
      v: 1,
      src: beacon ? 'beacon' : 'log',
      ts: now - int(rng, 0, 36 * 3_600_000),
      site,
      url: `https://${host}${pages[pageOf()] ?? '/'}${query(rng)}${fragment}`,
      event: beacon && rng() < 0.08 ? pick(rng, EVENTS) : 'pageview',
      ip: address(rng),
      ua,
      dnt: rng() < 0.05,
      gpc: false,
    };
    const ref = referrer(rng, host, pages);
    if (ref !== undefined) record.ref = ref;
    if (beacon) {
      record.sid = pick(rng, sessions);
      record.w = pick(rng, WIDTHS);
      record.lang = pick(rng, LANGS);
    }
    realistic.push(encodeRawRecord(record));
    distinct.push(encodeRawRecord({ ...record, ua: bot ? botAgent(rng, i) : browserAgent(rng, 10_000 + i) }));
  }
  return { realistic, distinct, agents: used.size, now };
}
