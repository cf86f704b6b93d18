import { domainToASCII } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkSite, judgeExtension, judgeTargetHost, pageHost, referrerHost, scrubHost } from '@tokumei/privacy';

/** Hosts seen as referrers, outbound targets and sites, in the ASCII form a browser's URL parser writes. */
const REAL_HOSTS = ['www.example.com', 'blog.example.co.jp', 'news.yahoo.co.jp', 't.co', 'l.facebook.com', 'm.youtube.com',
  'xn--eckwd4c7c.xn--zckzah', '1drv.ms', 's3.amazonaws.com', 'www.google.com', 'www.google.co.jp', 'google.co.jp', 'b.hatena.ne.jp',
  'search.yahoo.co.jp', 'detail.chiebukuro.yahoo.co.jp', 'mail.google.com', 'outlook.live.com', 'login.live.com', 'www.bing.com',
  'duckduckgo.com', 'github.com', 'gist.github.com', 'news.ycombinator.com', 'www.reddit.com', 'old.reddit.com', 'x.com',
  'twitter.com', 'mobile.twitter.com', 'lm.facebook.com', 'www.instagram.com', 'l.instagram.com', 'www.linkedin.com', 'lnkd.in',
  'www.youtube.com', 'youtu.be', 'note.com', 'qiita.com', 'zenn.dev', 'ameblo.jp', 'www.amazon.co.jp', 'www.rakuten.co.jp',
  'item.rakuten.co.jp', 'www.nikkei.com', 'www3.nhk.or.jp', 'www.city.chiyoda.lg.jp', 'www.u-tokyo.ac.jp', 'www.wikipedia.org',
  'ja.wikipedia.org', 'en.m.wikipedia.org', 'stackoverflow.com', 'docs.google.com', 'drive.google.com', 'www.googleadservices.com',
  'googleads.g.doubleclick.net', 'cdn.jsdelivr.net', 'www.notion.so', 'slack.com', 'app.slack.com',
  'teams.microsoft.com', 'www.gmail.com', 'gmail.com', 'www.docomo.ne.jp', 'yahoo.com', 'finance.yahoo.com', 'www.msn.com',
  's3.us-east-1.amazonaws.com', 'bucket.s3.ap-northeast-1.amazonaws.com', 'web.archive.org', 'www.pixiv.net', 'nicovideo.jp',
  'www.mercari.com', 'jp.mercari.com', 'tabelog.com', 'xn--r8jz45g.jp', 'www.name.com', 'san-diego.example.com', 'ku.edu',
  'www.123rf.com', 'web2.example.com', 'api-v2.example.com', 'shop.example.co.jp', 'static.xx.fbcdn.net', 'i.ytimg.com',
  'fonts.gstatic.com', 'pagead2.googlesyndication.com', 'www-example-com.translate.goog', 'accounts.google.com', 'www.baidu.com',
  'search.naver.com', 'yandex.ru', 'www.ecosia.org', 'search.brave.com', 'kagi.com', 'chatgpt.com', 'perplexity.ai'];

describe('hosts: real hosts stay, in every role', () => {
  it.each(REAL_HOSTS)('%s', (host) => {
    expect(scrubHost(host)).toBe(host);
    expect(judgeTargetHost(host)).toBe(host);
    expect(checkSite(host)).toEqual({ ok: true, site: host });
    expect(referrerHost(`https://${host}/path`, 'example.org')).toBe(host.replace(/^www\./, ''));
  });
  it('the list is long enough to mean something', () => {
    expect(REAL_HOSTS.length).toBeGreaterThan(50);
  });
});

const ascii = (host: string): string => domainToASCII(host);

/** Every class, in the roles that share the judge: referrer, outbound target, site, page host under a site. */
function expectRefused(host: string, stored: string | RegExp): void {
  const h = ascii(host);
  const check = (value: string): void => {
    if (typeof stored === 'string') expect(value, host).toBe(stored);
    else expect(value, host).toMatch(stored);
  };
  check(scrubHost(h));
  check(judgeTargetHost(h));
  check(referrerHost(`https://${h}/`, 'example.org'));
  expect(checkSite(h), host).toEqual({ ok: false, reason: 'personal_data' });
  if (h.endsWith('.example.com')) expect(pageHost(h, 'example.com'), host).toBe('example.com');
}

describe('hosts: each class of the red team, in every role', () => {
  it.each([
    ['romaji honorifics', ['yamada-san', 'tanaka-sama', 'sato-san', 'suzuki-kun', 'yamada-san-blog'], ':name.example.com'],
    ['Western titles', ['mr-tanaka', 'dr-watanabe', 'mrs-sato'], ':name.example.com'],
    ['romanised addresses', ['chiyoda-ku', 'minato-ku-tokyo', 'roppongi-6-chome'], ':address.example.com'],
    ['kanji names (punycode)', ['山田太郎', '佐藤花子', '鈴木一郎', '山田', '田中'], ':value.example.com'],
    ['kana names (punycode)', ['やまだ', 'ヤマダ', 'すずき', 'やまだたろう'], ':value.example.com'],
    ['Japanese municipalities', ['千代田区', '横浜市'], ':address.example.com'],
    ['numbers cut by words or wide separators', ['090----1234----5678', '4758tel4620tel7935', '475846-and-207935'], ':phone.example.com'],
    ['more than three numerals in a label', ['roppongi-6-10-1', 'n4758', 'pin-1234'], ':value.example.com'],
    ['random letters', ['ogktp-isumz-vmocx', 'x7kq9zvwpl3m'], ':token.example.com'],
    ['letters one or two at a time', ['t-a-r-o-y-a-m-a-d-a', 'ta-ro-ya-ma-da'], ':value.example.com'],
  ] as const)('%s', (_class, labels, stored) => {
    for (const label of labels) expectRefused(`${label}.example.com`, stored);
  });

  it('a local part in front of a mailbox provider, or a provider named in a label', () => {
    expectRefused('janedoe.gmail.com', ':email.gmail.com');
    expectRefused('jane.doe.docomo.ne.jp', ':email.:email.docomo.ne.jp');
    expectRefused('taro.ezweb.ne.jp', ':email.ezweb.ne.jp');
    expectRefused('jane-doe-gmail.com', ':email.com');
    expectRefused('jane-at-gmail.example.com', ':email');
    expectRefused('taro-atmark-docomo.example.com', /^:email/);
    expectRefused('jane.doe.outlook.jp', ':email.:email.outlook.jp');
    expectRefused('jane.doe.gmail', ':email.:email.:email');
  });

  it('an honorific, title or unit as a label of its own marks its neighbours', () => {
    expectRefused('yamada.san.example.com', ':name.:name.example.com');
    expectRefused('mr.tanaka.example.com', ':name.:name.example.com');
    expectRefused('chiyoda.ku.example.com', ':address.:address.example.com');
  });

  it('digits spread over labels', () => {
    expectRefused('090.1234.5678.example.com', ':phone.:phone.:phone.example.com');
    // Each label with more than three numerals is refused by itself; what is left has three at most.
    expect(scrubHost('n090.t1234.x5678.example.com')).toBe('n090.:value.:value.example.com');
  });

  it('a site that fails is refused, with TOKUMEI_SITES set too', () => {
    expect(checkSite('yamada-san.example.com').ok).toBe(false);
    expect(checkSite(ascii('山田太郎.example.com')).ok).toBe(false);
    expect(checkSite('janedoe.gmail.com').ok).toBe(false);
    expect(checkSite('yamada-san.example.com', new Set(['example.com'])).ok).toBe(false);
    // The page host under a declared site: the site itself or a clean subdomain, else the site's name.
    expect(pageHost('yamada-san.example.com', 'example.com')).toBe('example.com');
    expect(pageHost('other.example.org', 'example.com')).toBe('example.com');
    expect(pageHost('blog.example.com', 'example.com')).toBe('blog.example.com');
  });

  it('what it still keeps: bare romanised names (README limits)', () => {
    expect(scrubHost('taro-yamada.example.com')).toBe('taro-yamada.example.com');
  });
});

describe('reserved ext: only real file extensions', () => {
  it('real ones stay (mime-db and the tracker list)', () => {
    for (const ext of ['pdf', 'zip', 'jpg', 'png', 'webp', 'avif', 'mkv', 'flac', 'apk', 'iso', 'epub', 'dmg', 'key', 'mp3', 'json',
      'csv', 'xlsx', 'tgz', 'py', 'ipynb', '7z', '001']) expect(judgeExtension(ext), ext).toBe(ext);
  });
  it('any other word of the shape is :other', () => {
    for (const word of ['yamada', 'janedoe', 'watanabe', 'takahash', 'tanaka', 'jdoe', 'taro', 'n475', 't090', 'sato']) {
      expect(judgeExtension(word), word).toBe(':other');
    }
  });
});
