// Rewrites the configuration table in README.md from packages/config's declared settings: `npm run docs:settings`.
import fs from 'node:fs';
import { renderSettingsTable } from '@tokumei/config';

const README = new URL('../README.md', import.meta.url);
const text = fs.readFileSync(README, 'utf8');
const updated = text.replace(/<!-- settings-table:start -->[\s\S]*<!-- settings-table:end -->/,
  `<!-- settings-table:start -->\n${renderSettingsTable()}\n<!-- settings-table:end -->`);
fs.writeFileSync(README, updated);
