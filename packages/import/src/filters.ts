import { isbot } from 'isbot';
import type { ParsedLine } from './formats.js';
import { agentKey, detach } from './keys.js';

/** Why a parsed line is not a page view. `bot` lines still go to the worker, which counts them per day (bots_daily). */
export type Skip = 'status' | 'method' | 'asset' | 'bot';

/**
 * Extensions of files that are not pages: styles, scripts, images, fonts, media, downloads, feeds and well-known
 * machine files. GoAccess and the like call these "static"; counting them would multiply page views.
 */
const ASSET_EXTENSIONS = new Set([
  'css', 'js', 'mjs', 'cjs', 'map', 'json', 'xml', 'txt', 'csv', 'webmanifest', 'wasm',
  'png', 'jpg', 'jpeg', 'gif', 'svg', 'svgz', 'webp', 'avif', 'ico', 'bmp', 'tif', 'tiff', 'heic', 'apng',
  'woff', 'woff2', 'ttf', 'otf', 'eot',
  'mp4', 'webm', 'm4v', 'mov', 'avi', 'mkv', 'mp3', 'ogg', 'oga', 'wav', 'flac', 'm4a', 'aac', 'opus', 'vtt',
  'pdf', 'zip', 'gz', 'tgz', 'bz2', 'xz', '7z', 'rar', 'tar', 'dmg', 'exe', 'msi', 'deb', 'rpm', 'apk', 'iso',
  'rss', 'atom', 'swf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'odt', 'ods',
]);

/** Content types of pages; a line whose content type is known and not one of these is an asset. */
const PAGE_TYPES = /^(?:text\/html|application\/xhtml\+xml)\b/i;

/** The extension of the target's last path segment, lower case ('' when none). */
export function extensionOf(target: string): string {
  let end = target.length;
  const query = target.indexOf('?');
  if (query !== -1) end = query;
  const hash = target.indexOf('#');
  if (hash !== -1 && hash < end) end = hash;
  const slash = target.lastIndexOf('/', end - 1);
  const dot = target.lastIndexOf('.', end - 1);
  if (dot <= slash || end - dot > 12) return '';
  return target.slice(dot + 1, end).toLowerCase();
}

export function isAsset(line: Pick<ParsedLine, 'target' | 'contentType'>): boolean {
  if (line.contentType !== undefined) return !PAGE_TYPES.test(line.contentType);
  const extension = extensionOf(line.target);
  return extension !== '' && ASSET_EXTENSIONS.has(extension);
}

/** Agents whose bot verdict is remembered: a few thousand repeat in real logs; a flood of new ones clears it. */
export const BOT_CACHE_ENTRIES = 10_000;

/**
 * isbot per distinct agent: logs repeat a few thousand agents, so the cache makes detection nearly free. Keyed by
 * agentKey (at most 256 characters, or a hash), never by a whole agent, and holding no part of a line.
 */
export class BotDetector {
  private readonly cache = new Map<string, boolean>();

  constructor(private readonly maxEntries = BOT_CACHE_ENTRIES) {}

  isBot(ua: string): boolean {
    const key = agentKey(ua);
    let bot = this.cache.get(key);
    if (bot === undefined) {
      bot = isbot(ua);
      // Bounded: a log full of unique agents (an attack, a scanner) must not grow memory without end.
      if (this.cache.size >= this.maxEntries) this.cache.clear();
      this.cache.set(detach(key), bot);
    }
    return bot;
  }

  /** Agents remembered (for tests). */
  get size(): number {
    return this.cache.size;
  }

  /** Total characters of the keys held (for tests: what the cache costs, whatever the agents' length). */
  get keyChars(): number {
    let chars = 0;
    for (const key of this.cache.keys()) chars += key.length;
    return chars;
  }
}

/** The first reason a line is not a page view, or undefined for a page view. */
export function classify(line: ParsedLine, bots: BotDetector): Skip | undefined {
  if (line.status < 200 || line.status >= 400) return 'status';
  if (line.method !== 'GET') return 'method';
  if (isAsset(line)) return 'asset';
  if (bots.isBot(line.ua)) return 'bot';
  return undefined;
}
