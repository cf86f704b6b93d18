import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS, renderSettingsTable } from '@tokumei/config';

const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('documents every setting exactly as declared (npm run docs:settings)', () => {
    expect(readme).toContain(renderSettingsTable());
    for (const setting of SETTINGS) expect(readme).toContain(`\`${setting.env}\``);
  });

  it('gives the two commands users run', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
  });
});
