#!/usr/bin/env node
// The compiled CLI. `npm install` builds it (the root package's `prepare` runs `npm run build`); development and the
// tests run the TypeScript sources instead, through bin/tokumei-dev.js.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('tokumei: not built (apps/tokumei/dist/main.js is missing): run `npm run build` in the repository\n');
  process.exit(1);
}
await import(main.href);
