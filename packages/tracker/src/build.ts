import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { constants, gzipSync } from 'node:zlib';
import { transformSync } from 'esbuild';
import type { ConsentPolicy } from '@tokumei/config';

/** Every site's every page loads the script: the gzipped size is a budget a test enforces. */
export const TRACKER_GZIP_BUDGET = 1536;

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

const SOURCE = new URL('./tracker.js', import.meta.url);
const built = new Map<ConsentPolicy, TrackerScript>();

/**
 * Minifies the readable source with esbuild (no build step, no checked-in bundle). Runs once per policy and
 * process, at ingest start-up; esbuild's sync API starts its binary, which takes a few milliseconds.
 */
export function buildTracker(options: TrackerOptions): TrackerScript {
  const cached = built.get(options.consentPolicy);
  if (cached !== undefined) return cached;
  const { code } = transformSync(readFileSync(SOURCE, 'utf8'), {
    loader: 'js',
    minify: true,
    // Browsers with sendBeacon and fetch keepalive all read ES2019 (optional catch binding); nothing newer is used.
    target: 'es2019',
    legalComments: 'none',
    define: { __TOKUMEI_CONSENT__: JSON.stringify(options.consentPolicy) },
  });
  const body = Buffer.from(code, 'utf8');
  const script: TrackerScript = {
    body,
    gzipped: gzipSync(body, { level: constants.Z_BEST_COMPRESSION }),
    etag: `W/"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  };
  built.set(options.consentPolicy, script);
  return script;
}
