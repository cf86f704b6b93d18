import { classify } from './pii-patterns.js';

/**
 * The small fields of a record: each reduced to a closed shape, so that free text has nowhere to go.
 */

const languages = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });
const regions = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
const langCache = new Map<string, string>();

function reduceTag(tag: string): string {
  let locale: Intl.Locale;
  try {
    locale = new Intl.Locale(tag);
  } catch {
    return '';
  }
  const { language, region } = locale;
  if (!/^[a-z]{2,3}$/.test(language) || languages.of(language) === undefined) return '';
  const known = region !== undefined && /^([A-Z]{2}|[0-9]{3})$/.test(region) && regions.of(region) !== undefined;
  return known ? `${language}-${region.toLowerCase()}` : language;
}

/**
 * A language tag reduced to a known language and region (`ja-JP-x-yamada` → `ja-jp`), lower-case; anything that is
 * not a valid BCP 47 tag of a known language is empty. Private-use and extension subtags are where free text hides.
 */
export function reduceLang(tag: string | undefined): string {
  if (tag === undefined || tag === '' || tag.length > 64) return '';
  const known = langCache.get(tag);
  if (known !== undefined) return known;
  const reduced = reduceTag(tag);
  if (langCache.size >= 1000) langCache.clear();
  langCache.set(tag, reduced);
  return reduced;
}

/**
 * A version as stored: its leading integer, at most four digits (`131.0.6778` → `131`, `yamada12.0` → ''). A
 * longer number is not a version anyone ships, and could be a phone number.
 */
export function leadingInteger(version: string | undefined): string {
  const digits = /^[0-9]{1,4}(?![0-9])/.exec(version ?? '')?.[0];
  return digits === undefined ? '' : String(Number(digits));
}

/** Browser and OS names come from ua-parser-js's own table; anything else that looks like a name is dropped. */
export function productName(name: string | undefined): string {
  if (name === undefined || !/^[A-Za-z][A-Za-z0-9 ._!()-]{0,39}$/.test(name)) return '';
  return classify(name) === undefined ? name : '';
}

/** Custom event names: event-name.ts (the pattern rules in every reading and the short-label rule). */
export { scrubEvent } from './event-name.js';
