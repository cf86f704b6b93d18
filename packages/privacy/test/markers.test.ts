import { domainToASCII } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_QUERY_ALLOWLIST, checkSite, cleanUrl, judgeTargetHost, pageHost, referrerHost, scrubEvent, scrubHost, scrubProps,
} from '@tokumei/privacy';

/**
 * Red team 3's classes, generated over separators, scripts and spellings and pushed through every field that shares
 * the engine: a path segment, an allow-listed query value, an event name, a property value (and hosts in every role).
 * A variant passes when nothing of the person is left in what is stored.
 */
const options = { queryAllowList: DEFAULT_QUERY_ALLOWLIST, pathIdKeys: new Set<string>() };
const allow = new Map([['*', new Set(['plan', 'note', 'q'])]]);

const path = (text: string): string => cleanUrl(`https://example.com/a/${encodeURIComponent(text)}`, options, 'example.com')?.path ?? '';
const query = (text: string): string => {
  const url = cleanUrl(`https://example.com/?utm_source=${encodeURIComponent(text)}`, options, 'example.com');
  return url?.params.get('utm_source') ?? '';
};
const prop = (text: string): string => scrubProps({ plan: text }, 'example.com', allow).props.plan ?? '';

/** Every field: what it stores for `text`. */
const FIELDS: Record<string, (text: string) => string> = { path, query, event: scrubEvent, prop };

function expectGone(variants: readonly string[], secret: (variant: string) => string): void {
  for (const [field, store] of Object.entries(FIELDS)) {
    for (const variant of variants) {
      const stored = store(variant).toLowerCase();
      expect(stored.includes(secret(variant).toLowerCase()), `${field}: ${variant} → ${stored}`).toBe(false);
    }
  }
}

const cross = (...lists: readonly (readonly string[])[]): string[] =>
  lists.reduce<string[]>((acc, list) => acc.flatMap((a) => list.map((b) => a + b)), ['']);

const LOCALS = ['jane.doe', 'taro.yamada', 'hanako_s'];
const localOf = (variant: string): string => LOCALS.find((l) => variant.startsWith(l))?.replace(/^.*[._]/, '') ?? variant;

describe('e-mail spelled with an at word, in every field', () => {
  const AT = [' at ', '_at_', '-at-', '+at+', ' atmark ', '-atmark-', '【at】', ' ⓐ ', ' atto ', '_atto_', '(at)', '+(at)+', '[at]', '＠'];
  const DOMAINS = ['gmail', 'docomo', 'ezweb.ne.jp', 'gmail.com', 'example.com', 'softbank'];
  const variants = cross(LOCALS, AT, DOMAINS);
  it(`${variants.length} variants × ${Object.keys(FIELDS).length} fields`, () => expectGone(variants, localOf));
});

describe('a local part dotted in front of a mail provider, in every field', () => {
  const PROVIDERS = ['.nifty.com', '.ybb.ne.jp', '.biglobe.ne.jp', '.ocn.ne.jp', '.so-net.ne.jp', '.hotmail.co.jp', '.me.com',
    '.protonmail.com', '.googlemail.com', '.au.com', '.i.softbank.jp', '.softbank.ne.jp', '.gmail.com', '.docomo.ne.jp', '.ezweb.ne.jp'];
  const variants = cross(LOCALS, PROVIDERS);
  it(`${variants.length} variants × ${Object.keys(FIELDS).length} fields`, () => expectGone(variants, localOf));
});

describe('addresses with a separator before the block number, in every field', () => {
  const japanese = cross(['千代田区', '六本木', '千代田区千代田', '千代田', '丸の内'], [' ', '　', '_', '+', ''], ['1-1-1', '6-10-1', '１－１－１', '2-3-4']);
  const blocks = ['6-10-1', '6_10_1', '6 10 1', '1-2-3'];
  const romanised = ['Roppongi', 'roppongi', 'Ginza', 'Marunouchi'].flatMap((place) =>
    [' ', '_', '-', ''].flatMap((sep) => blocks.flatMap((block) => [`${place}${sep}${block}`, `${block}${sep}${place}`])));
  const block = (variant: string): string => variant.match(/[0-9０-９]+[-_ －][0-9０-９]+[-_ －][0-9０-９]+/u)?.[0] ?? variant;
  it(`${japanese.length + romanised.length} variants × ${Object.keys(FIELDS).length} fields`, () => expectGone([...japanese, ...romanised], block));
});

describe('names marked by an honorific, a title or a label, in every field', () => {
  const HONORIFICS = ['san', 'sama', 'kun', 'chan', 'dono', 'sensei', 'senpai', 'samma', 'saan', 'hakase', 'kyouju', 'shachou', 'buchou'];
  const GLUED = ['san', 'sama', 'kun', 'chan', 'dono', 'sensei', 'senpai', 'samma', 'hakase', 'kyouju', 'shachou', 'buchou'];
  const romaji = [...cross(['Yamada', 'Tanaka', 'takahashi'], ['-', '_', ' ', '・', '+', '.'], HONORIFICS), ...cross(['Yamada', 'tanaka', 'Takahashi'], GLUED),
    'Yamada\u00adsan', 'Tanaka\u200bsama'];
  const kanji = [...cross(['山田', '田中'], ['-', '_', ' ', '・', '+', ''], ['様', 'さん', 'sama', 'san', 'くん', '殿']), ...cross(['山田', '田中'], ['社長', '部長', '課長', '御中'])];
  // Glued only by case (`MrTakahashi`): `MRTANAKA` has no boundary left to see (a documented residual).
  const titled = [...cross(['MR', 'Mr', 'Prof', 'PROF', 'Mx', 'Mrs', 'Mister'], ['-', '_', ' ', '.'], ['Tanaka', 'TANAKA', 'Takahashi']),
    ...cross(['Mr', 'MR', 'Prof', 'Mrs'], ['Tanaka', 'Takahashi'])];
  const labelled = ['name: Taro Yamada', 'name:_Taro_Yamada', 'full_name_Taro_Yamada', 'Name - Taro Yamada', 'onamae_yamada', 'onamae-tanaka',
    'namae_tanaka', 'shimei-yamada'];
  const nameOf = (variant: string): string => variant.match(/yamada|tanaka|takahashi|山田|田中/iu)?.[0] ?? variant;
  const all = [...romaji, ...kanji, ...titled, ...labelled];
  it(`${all.length} variants × ${Object.keys(FIELDS).length} fields`, () => expectGone(all, nameOf));
});

describe('hosts: the same classes in every role', () => {
  const roles = (host: string): string[] => {
    const h = domainToASCII(host);
    const site = checkSite(h);
    // The page host under a site it is a subdomain of (a host that is the site itself is judged as the site).
    const labels = h.split('.');
    const page = labels.length > 2 ? [pageHost(h, labels.slice(-2).join('.'))] : [];
    return [scrubHost(h), judgeTargetHost(h), referrerHost(`https://${h}/`, 'example.net'), ...page, site.ok ? site.site : ':refused'];
  };
  const expectHidden = (hosts: readonly string[], secret: string | ((host: string) => string)): void => {
    for (const host of hosts) {
      const hidden = typeof secret === 'string' ? secret : secret(host);
      for (const stored of roles(host)) expect(stored.includes(hidden) || stored.includes(domainToASCII(hidden)), `${host} → ${stored}`).toBe(false);
    }
  };
  const MAILBOXES = ['gmail.com', 'docomo.ne.jp', 'ezweb.ne.jp', 'softbank.ne.jp', 'icloud.com', 'ybb.ne.jp'];
  const inside = cross(['jane.doe.', 'taro.yamada.'], MAILBOXES, ['.example.org', '.example.com', '.example.co.jp']);
  it(`a provider's domain inside the labels: ${inside.length} hosts`, () => expectHidden(inside, (h) => h.split('.')[1] ?? h));
  const dashed = cross(['jane-doe-', 'taro-yamada-', 'mailto-jane-doe-'], ['example-com', 'me-com', 'so-net-ne-jp', 'gmail-com', 'docomo-ne-jp'],
    ['.jp', '.example.org']);
  it(`e-mail spelled with dashes: ${dashed.length} hosts`, () => expectHidden(dashed, (h) => (h.includes('yamada') ? 'yamada' : 'doe')));
  const glued = cross(['yamada', 'tanaka', 'suzuki'], ['san', 'sama', 'kun', 'chan', 'dono', 'sensei', 'senpai'], ['.example.com', '.example.co.jp', '.jp']);
  const spelled = cross(['yamada-', 'tanaka_'.replace('_', '-')], ['samma', 'saan', 'han', 'hakase', 'kyouju', 'shachou', 'buchou', 'ke', 'san', 'sama'],
    ['.example.com', '.jp']);
  const titles = cross(['mx-', 'mr-', 'prof-', 'name-taro-', 'onamae-'], ['tanaka', 'yamada'], ['.example.com', '.jp']);
  const nameOf = (h: string): string => h.match(/yamada|tanaka|suzuki/)?.[0] ?? h;
  it(`names by glued honorifics, other spellings and titles: ${glued.length + spelled.length + titles.length} hosts`, () =>
    expectHidden([...glued, ...spelled, ...titles], nameOf));
  const split = cross(['taro.', 'jane.', 'hanako.'], ['yamada-atmark-docomo', 'doe-at-gmail-com', 'sato_atmark_ezweb'], ['.example.org', '.example.co.jp']);
  it(`the local part's first half in front of a spelled address: ${split.length} hosts`, () => expectHidden(split, (h) => h.split('.')[0] ?? h));
  it('kanji titles', () => expectHidden(['山田社長.jp', '田中部長.example.com', '山田課長.jp'], (h) => h.slice(0, 2)));
});

describe('values read together: order of the keys does not matter, a failed pair loses both parts', () => {
  const PAIRS: readonly (readonly [string, string])[] = [['千代田区', '1-1-1'], ['六本木', '6-10-1'], ['Yamada', 'sama'], ['山田', '様'],
    ['Tanaka', 'san'], ['jane.doe', 'gmail.com'], ['jane.doe', '@gmail.com'], ['taro.yamada', 'docomo.ne.jp'], ['Mr', 'Tanaka']];
  const KEYS = [['plan', 'note'], ['note', 'plan'], ['plan', 'q'], ['q', 'plan']] as const;
  it(`props: ${PAIRS.length * KEYS.length * 2} records`, () => {
    for (const [a, b] of PAIRS) {
      for (const [k1, k2] of KEYS) {
        for (const [x, y] of [[a, b], [b, a]]) {
          const stored = scrubProps({ [k1]: x, [k2]: y } as Record<string, string>, 'example.com', allow).props;
          expect([stored[k1], stored[k2]], `${k1}=${x} ${k2}=${y}`).not.toContain(x);
          expect([stored[k1], stored[k2]], `${k1}=${x} ${k2}=${y}`).not.toContain(y);
        }
      }
    }
  });
  it(`query: ${PAIRS.length * 4} URLs`, () => {
    for (const [a, b] of PAIRS) {
      for (const [n1, n2] of [['utm_source', 'utm_medium'], ['utm_campaign', 'utm_term']]) {
        for (const [x, y] of [[a, b], [b, a]]) {
          const url = cleanUrl(`https://example.com/?${n1}=${encodeURIComponent(x ?? '')}&${n2}=${encodeURIComponent(y ?? '')}`, options, 'example.com');
          const kept = [url?.params.get(n1 ?? ''), url?.params.get(n2 ?? '')];
          expect(kept, `${n1}=${x}&${n2}=${y}`).not.toContain(x);
          expect(kept, `${n1}=${x}&${n2}=${y}`).not.toContain(y);
        }
      }
    }
  });
});

describe('a name or an address split over two path segments', () => {
  const PAIRS: readonly (readonly [string, string])[] = [['千代田区', '1-1-1'], ['六本木', '6-10-1'], ['千代田区千代田', '１－１－１'],
    ['Yamada', 'san'], ['Yamada', 'sama'], ['tanaka', 'sensei'], ['山田', '様'], ['田中', 'さん'], ['MR', 'TANAKA'], ['Prof', 'Tanaka'],
    ['onamae', 'yamada'], ['jane.doe', 'gmail.com'], ['taro.yamada', 'docomo.ne.jp'], ['jane.doe', '@gmail.com'], ['taro.yamada', '＠docomo.ne.jp']];
  const PREFIXES = ['/a', '/u/profile', ''];
  it(`${PAIRS.length * PREFIXES.length} paths`, () => {
    for (const [a, b] of PAIRS) {
      for (const prefix of PREFIXES) {
        const stored = cleanUrl(`https://example.com${prefix}/${encodeURIComponent(a)}/${encodeURIComponent(b)}`, options, 'example.com')?.path ?? '';
        const parts = stored.split('/');
        expect(parts, `${prefix}/${a}/${b} → ${stored}`).not.toContain(a);
        expect(parts, `${prefix}/${a}/${b} → ${stored}`).not.toContain(b);
      }
    }
  });
});

describe('ordinary values stay', () => {
  const PATHS = ['/blog/at-the-beach', '/products/samsung-galaxy', '/help/shipping', '/ja/会社概要', '/news/2026/12/01', '/ja/社長挨拶',
    '/ja/副社長', '/colors/light-tan', '/visit-san-diego', '/ms-office', '/edit-name', '/name-your-price', '/artisan-bread', '/partisan',
    '/news/2026-12-01-launch', '/look-at-me', '/docs/node.js', '/mitsubishi', '/san-francisco', '/meet-us-at-the-expo', '/blog/gmail-tips',
    '/ja/営業部長', '/ja/代表取締役社長', '/tokyo/minato', '/where-we-are-at', '/sushi', '/kimono', '/visit/san-diego', '/ja/会社/社長挨拶',
    '/blog/2026/12/01/at-the-beach', '/docs/v1/getting-started', '/help/name/change', '/en/team/members', '/shop/tokyo/ginza'];
  it.each(PATHS)('path %s', (p) => expect(cleanUrl(`https://example.com${encodeURI(p)}`, options, 'example.com')?.path).toBe(p));
  const VALUES = ['newsletter', 'email', 'spring_sale', 'google', 'cpc', 'twitter', 'line', 'pro', 'Signup', 'add_to_cart'];
  it.each(VALUES)('value %s in every field', (v) => {
    for (const [field, store] of Object.entries(FIELDS)) expect(store(v), field).toBe(field === 'path' ? `/a/${v}` : v);
  });
  // Props are short labels (props-label.ts): four numerals and the word `at` are refused there, not in the others.
  it.each(['black-friday-2026', 'Click at footer', 'meet at the expo'])('event name and campaign value %s', (v) => {
    expect(scrubEvent(v)).toBe(v);
    expect(query(v)).toBe(v);
  });
  it('a campaign of three clean values stays whole', () => {
    const url = cleanUrl('https://example.com/?utm_source=newsletter&utm_medium=email&utm_campaign=spring_sale', options, 'example.com');
    expect(url?.query).toBe('utm_campaign=spring_sale&utm_medium=email&utm_source=newsletter');
  });
});
