import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';

const DASHBOARD_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dashboard');
const require = createRequire(import.meta.url);

interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

/** URL path → file. Read once at start: a handful of small files, and no path from a request ever reaches the disk. */
function loadAssets(): Map<string, Asset> {
  const files: [string, string, string][] = [
    ['/', path.join(DASHBOARD_DIR, 'index.html'), 'text/html; charset=utf-8'],
    ['/dashboard/app.js', path.join(DASHBOARD_DIR, 'app.js'), 'application/javascript; charset=utf-8'],
    ['/dashboard/style.css', path.join(DASHBOARD_DIR, 'style.css'), 'text/css; charset=utf-8'],
    // uPlot (MIT) straight from node_modules: no bundler, no copy to keep in step.
    ['/dashboard/uPlot.iife.min.js', require.resolve('uplot/dist/uPlot.iife.min.js'), 'application/javascript; charset=utf-8'],
    ['/dashboard/uPlot.min.css', require.resolve('uplot/dist/uPlot.min.css'), 'text/css; charset=utf-8'],
  ];
  return new Map(files.map(([url, file, type]) => [url, { body: fs.readFileSync(file), type }]));
}

/** Only same-origin scripts and API calls; uPlot sets element styles from script, hence 'unsafe-inline' for styles. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The built-in dashboard at GET /: static files only; every number on it comes from the stats API. */
export const dashboardRoutes: FastifyPluginAsync = (app) => {
  const assets = loadAssets();
  for (const [url, asset] of assets) {
    app.get(url, (_request, reply) => reply
      .header('content-type', asset.type)
      .header('cache-control', url === '/' ? 'no-cache' : 'public, max-age=300')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(asset.body));
  }
  // Browsers ask for it on every page; an empty answer keeps 404s out of the console and the logs.
  app.get('/favicon.ico', (_request, reply) => reply.code(204).header('cache-control', 'public, max-age=86400').send());
  return Promise.resolve();
};
