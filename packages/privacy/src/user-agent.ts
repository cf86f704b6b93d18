import { isbot } from 'isbot';
import { LRUCache } from 'lru-cache';
import UAParser from 'ua-parser-js';
import { leadingInteger, productName } from './fields.js';

export interface ReducedAgent {
  readonly bot: boolean;
  readonly browser: string;
  readonly browserVersion: string;
  readonly os: string;
  /** Major version for mobile systems only: desktop OS versions add little and narrow a visitor down. */
  readonly osVersion: string;
  readonly device: 'desktop' | 'mobile' | 'tablet' | 'other';
}

const MOBILE_OS = new Set(['iOS', 'Android', 'iPadOS', 'HarmonyOS', 'KaiOS']);

function reduce(ua: string): ReducedAgent {
  const result = new UAParser(ua).getResult();
  const type = result.device.type;
  const device = type === undefined ? 'desktop' : type === 'mobile' ? 'mobile' : type === 'tablet' ? 'tablet' : 'other';
  const os = productName(result.os.name);
  return {
    bot: isbot(ua),
    browser: productName(result.browser.name),
    // Versions are free text in a user agent (`Chrome/yamada12.0`): only a leading integer is a version.
    browserVersion: leadingInteger(result.browser.version),
    os,
    osVersion: MOBILE_OS.has(os) ? leadingInteger(result.os.version) : '',
    device,
  };
}

/**
 * User agent → browser family and major version, OS family, device type, bot or not. The raw string is only a
 * cache key in memory; real traffic repeats a few thousand agents, so the cache makes parsing nearly free.
 */
export class UserAgentReducer {
  private readonly cache: LRUCache<string, ReducedAgent>;
  hits = 0;
  misses = 0;

  constructor(size = 10_000) {
    this.cache = new LRUCache({ max: size });
  }

  reduce(ua: string): ReducedAgent {
    const cached = this.cache.get(ua);
    if (cached !== undefined) {
      this.hits += 1;
      return cached;
    }
    this.misses += 1;
    const reduced = reduce(ua);
    this.cache.set(ua, reduced);
    return reduced;
  }
}
