import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseSiteTimeZones } from '@tokumei/config';

describe('TOKUMEI_SITE_TIMEZONES', () => {
  it('maps sites in their stored form to IANA zones in their canonical spelling, inline or from a file; unset maps none (UTC)', () => {
    expect(loadConfig({}).siteTimeZones).toEqual(new Map());
    expect(loadConfig({ TOKUMEI_SITE_TIMEZONES: '{"Example.JP": "asia/tokyo", "example.com": "UTC"}' }).siteTimeZones)
      .toEqual(new Map([['example.jp', 'Asia/Tokyo'], ['example.com', 'UTC']]));
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tokumei-zones-')), 'zones.json');
    fs.writeFileSync(file, JSON.stringify({ 'bücher.example': 'Europe/Berlin' }));
    expect(loadConfig({ TOKUMEI_SITE_TIMEZONES: file }).siteTimeZones).toEqual(new Map([['xn--bcher-kva.example', 'Europe/Berlin']]));
  });

  it('refuses a zone Intl does not know, an offset, or a malformed map at start, naming the setting', () => {
    const cases: [string, string][] = [
      ['{"example.jp": "Asia/Tokio"}', 'TOKUMEI_SITE_TIMEZONES site example.jp: "Asia/Tokio" is not an IANA time zone (such as Asia/Tokyo or UTC)'],
      ['{"example.jp": "+09:00"}', 'TOKUMEI_SITE_TIMEZONES site example.jp: "+09:00" is not an IANA time zone'],
      ['{"example.jp": 9}', 'TOKUMEI_SITE_TIMEZONES site example.jp: the time zone must be a string'],
      ['{"example.jp": "UTC", "EXAMPLE.jp": "UTC"}', 'TOKUMEI_SITE_TIMEZONES site example.jp is listed twice'],
      ['{"jane doe@example.com": "UTC"}', 'TOKUMEI_SITE_TIMEZONES "jane doe@example.com": a key must be a site'],
      ['{"a":', 'TOKUMEI_SITE_TIMEZONES is not valid JSON'],
      ['/nonexistent/zones.json', 'TOKUMEI_SITE_TIMEZONES cannot read the time zones file (ENOENT)'],
    ];
    for (const [value, message] of cases) expect(() => loadConfig({ TOKUMEI_SITE_TIMEZONES: value }), value).toThrow(message);
    expect(() => parseSiteTimeZones(['UTC'])).toThrow('must be a JSON object {"<site>": "<IANA time zone>"}');
  });
});
