// `npm run build`: writes dist/tracker.<policy>.min.js for every consent policy, so the compiled ingest reads the
// minified script from disk and production needs no esbuild.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { transformSync } from 'esbuild';
import { CONSENT_POLICIES, minifiedName, minifyTracker } from '../src/minify.ts';

const dist = new URL('../dist/', import.meta.url);
mkdirSync(dist, { recursive: true });
const source = readFileSync(new URL('../src/tracker.js', import.meta.url), 'utf8');
for (const policy of CONSENT_POLICIES) {
  writeFileSync(new URL(minifiedName(policy), dist), minifyTracker(source, policy, transformSync));
}
