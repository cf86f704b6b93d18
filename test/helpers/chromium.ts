import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, driven by playwright-core (no downloaded browser). */
const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic'];

export interface Chromium {
  readonly browser: Browser;
  /** Chromium's own user agent without "Headless": the worker rightly counts HeadlessChrome as a bot and stores none of it. */
  readonly userAgent: string;
}

/**
 * Launches Chromium, or fails with how to install it. Call it from the first test that needs it, not from a hook: a
 * failing hook reports the tests as skipped, and a skip would pass while testing nothing.
 */
export async function launchChromium(): Promise<Chromium> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}. The browser tests need it: install it with \`apt-get install chromium\` (.ci/run does).`);
  }
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  } catch (error) {
    throw new Error(`Chromium at ${CHROMIUM} did not start (reinstall with \`apt-get install chromium\`): ${String(error)}`, { cause: error });
  }
  const probe = await browser.newContext();
  const userAgent = String(await (await probe.newPage()).evaluate('navigator.userAgent')).replace('HeadlessChrome', 'Chrome');
  await probe.close();
  return { browser, userAgent };
}

export interface TestSite {
  readonly url: string;
  close(): Promise<void>;
}

/** A test site on a free loopback port: `routes` maps a path to a script body; every other path gets `page(pathname)`. */
export function startSite(routes: Readonly<Record<string, () => string>>, page: (pathname: string) => string): Promise<TestSite> {
  const server = http.createServer((request, response) => {
    const pathname = new URL(request.url ?? '/', 'http://site.invalid').pathname;
    const script = routes[pathname];
    if (script !== undefined) {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script());
    } else if (pathname === '/favicon.ico') {
      response.writeHead(404).end();
    } else {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page(pathname));
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}
