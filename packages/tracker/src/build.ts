import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants, gzipSync } from 'node:zlib';
import type * as Esbuild from 'esbuild';
import type { ConsentPolicy } from '@tokumei/config';
import { minifiedName, minifyTracker } from './minify.js';

/**
 * Every site's every page loads the script: the gzipped size is a budget a test enforces. 1,536 until the automatic
 * events (outbound links, downloads with Plausible's extension list, 404: about 300 bytes); they are opt-in
 * attributes of one script rather than separate builds, so a site turns them on without a new script URL, cache
 * entry or build per feature combination (three consent policies already make three). For scale: Plausible's npm
 * tracker (minified, with these and more: forms, tagged events, revenue) is 2,694 bytes gzipped.
 */
export const TRACKER_GZIP_BUDGET = 1792;

export interface TrackerOptions {
  /** Baked into the script: the browser then decides what not to send, before anything leaves it. */
  readonly consentPolicy: ConsentPolicy;
}

export interface TrackerScript {
  /** The minified script. */
  readonly body: Buffer;
  /** `body`, gzipped once here rather than per request. */
  readonly gzipped: Buffer;
  /** A weak ETag: the same validator stands for both encodings, as RFC 9110 allows only for weak ones. */
  readonly etag: string;
}

const built = new Map<ConsentPolicy, TrackerScript>();

/**
 * Compiled (dist/), the script was minified by `npm run build` and is read from disk; run from the TypeScript
 * sources (development, tests) there is no build, so it is minified here with esbuild, a development dependency.
 */
function minified(policy: ConsentPolicy): string {
  const prebuilt = new URL(`./${minifiedName(policy)}`, import.meta.url);
  if (existsSync(prebuilt)) return readFileSync(prebuilt, 'utf8');
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof Esbuild;
  return minifyTracker(readFileSync(new URL('./tracker.js', import.meta.url), 'utf8'), policy, esbuild.transformSync);
}

/** The script for a policy: built once per policy and process, at ingest start-up. */
export function buildTracker(options: TrackerOptions): TrackerScript {
  const cached = built.get(options.consentPolicy);
  if (cached !== undefined) return cached;
  const body = Buffer.from(minified(options.consentPolicy), 'utf8');
  const script: TrackerScript = {
    body,
    gzipped: gzipSync(body, { level: constants.Z_BEST_COMPRESSION }),
    etag: `W/"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  };
  built.set(options.consentPolicy, script);
  return script;
}
