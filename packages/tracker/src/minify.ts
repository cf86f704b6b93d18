import type { transformSync } from 'esbuild';
import type { ConsentPolicy } from '@tokumei/config';

export const CONSENT_POLICIES: readonly ConsentPolicy[] = ['count', 'drop', 'ignore'];

/** The file `npm run build` writes for a policy, next to the compiled build.js in dist/. */
export function minifiedName(policy: ConsentPolicy): string {
  return `tracker.${policy}.min.js`;
}

/**
 * The readable source minified with esbuild, the consent policy baked in: the browser then decides what not to
 * send, before anything leaves it. `transform` is esbuild's, passed in so that only the build (and development
 * from the sources) needs esbuild.
 */
export function minifyTracker(source: string, policy: ConsentPolicy, transform: typeof transformSync): string {
  return transform(source, {
    loader: 'js',
    minify: true,
    // Browsers with sendBeacon and fetch keepalive all read ES2019 (optional catch binding); nothing newer is used.
    target: 'es2019',
    legalComments: 'none',
    define: { __TOKUMEI_CONSENT__: JSON.stringify(policy) },
  }).code;
}
