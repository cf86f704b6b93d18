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

const TYPES: Record<string, string> = { '.js': 'application/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/**
 * URL path → file. Read once at start: the page, its modules (dashboard/*.js, dashboard/i18n/*.js) and style, and
 * uPlot; no path from a request ever reaches the disk. tsconfig.json stays unserved.
 */
function loadAssets(): Map<string, Asset> {
  const files: [string, string, string][] = [['/', path.join(DASHBOARD_DIR, 'index.html'), 'text/html; charset=utf-8']];
  for (const dir of ['', 'i18n']) {
    for (const name of fs.readdirSync(path.join(DASHBOARD_DIR, dir)).sort()) {
      const type = TYPES[path.extname(name)];
      if (type !== undefined) files.push([`/dashboard/${dir === '' ? '' : `${dir}/`}${name}`, path.join(DASHBOARD_DIR, dir, name), type]);
    }
  }
  // uPlot (MIT) straight from node_modules: no bundler, no copy to keep in step.
  files.push(
    ['/dashboard/uPlot.iife.min.js', require.resolve('uplot/dist/uPlot.iife.min.js'), 'application/javascript; charset=utf-8'],
    ['/dashboard/uPlot.min.css', require.resolve('uplot/dist/uPlot.min.css'), 'text/css; charset=utf-8'],
  );
  return new Map(files.map(([url, file, type]) => [url, { body: fs.readFileSync(file), type }]));
}

/** Only same-origin scripts and API calls; uPlot sets element styles from script, hence 'unsafe-inline' for styles. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The built-in dashboard at GET / (a shared link is /#share=<token>, the same page): static files only; every number on it comes from the stats API. */
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
