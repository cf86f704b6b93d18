import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseUmamiWebsites } from '@tokumei/config';

const ID = '7F3C1D2E-0A4B-4C5D-8E9F-0123456789AB';

describe('TOKUMEI_UMAMI_WEBSITES', () => {
  it('maps lower-cased website ids to sites in their stored form, inline or from a file; unset maps none', () => {
    expect(loadConfig({}).umamiWebsites).toEqual(new Map());
    expect(loadConfig({ TOKUMEI_UMAMI_WEBSITES: JSON.stringify({ [ID]: 'Example.COM' }) }).umamiWebsites).toEqual(new Map([[ID.toLowerCase(), 'example.com']]));
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tokumei-umami-')), 'websites.json');
    fs.writeFileSync(file, JSON.stringify({ [ID]: 'bücher.example' }));
    expect(loadConfig({ TOKUMEI_UMAMI_WEBSITES: file }).umamiWebsites).toEqual(new Map([[ID.toLowerCase(), 'xn--bcher-kva.example']]));
  });

  it('refuses what could never match a request, naming the setting', () => {
    const cases: [string, string][] = [
      ['{"example.com": "example.com"}', 'TOKUMEI_UMAMI_WEBSITES a key must be an Umami website id (a UUID such as 7f3c1d2e-0a4b-4c5d-8e9f-0123456789ab)'],
      [JSON.stringify({ [ID]: 'a', [ID.toLowerCase()]: 'b' }), `TOKUMEI_UMAMI_WEBSITES website ${ID.toLowerCase()} is listed twice`],
      [JSON.stringify({ [ID]: 1 }), `TOKUMEI_UMAMI_WEBSITES website ${ID.toLowerCase()}: the site must be a string`],
      [JSON.stringify({ [ID]: 'jane doe@example.com' }), `TOKUMEI_UMAMI_WEBSITES website ${ID.toLowerCase()}: the site must be a host name of at most 100 characters`],
      ['{"a":', 'TOKUMEI_UMAMI_WEBSITES is not valid JSON'],
      ['/nonexistent/websites.json', 'TOKUMEI_UMAMI_WEBSITES cannot read the websites file (ENOENT)'],
    ];
    for (const [value, message] of cases) expect(() => loadConfig({ TOKUMEI_UMAMI_WEBSITES: value }), value).toThrow(message);
    expect(() => parseUmamiWebsites(['x'])).toThrow('must be a JSON object {"<website id>": "<site>"}');
  });
});
