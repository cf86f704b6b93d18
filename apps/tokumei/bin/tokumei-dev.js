#!/usr/bin/env node
// The CLI from its TypeScript sources, for development (`npm run dev -- <command>`) and the tests: tsx compiles on
// the fly, and the `source` export condition makes every @tokumei/* package resolve to its src/ instead of dist/.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

register('./source-condition.js', import.meta.url);
registerTsx();
await import('../src/main.ts');
