// @ts-check
/* global document, URL, URLSearchParams, fetch, setTimeout, HTMLElement */
// Downloads through GET /api/v2/export: one table as CSV, or every table of the view as a ZIP. A fetch with the
// view's credentials (a shared view's header cannot ride on a plain link), then a Blob saved by the browser.
import { authHeaders } from './api.js';

/** The dashboard's tables as the export's file names (language and screen have no export table). */
export const EXPORT_TABLE = /** @type {Record<string, string>} */ ({
  page: 'pages', entry_page: 'entry_pages', exit_page: 'exit_pages', referrer: 'sources', utm_source: 'utm_sources',
  utm_medium: 'utm_mediums', utm_campaign: 'utm_campaigns', browser: 'browsers', os: 'operating_systems', device: 'devices',
  country: 'countries', 'event:goal': 'conversions', props: 'custom_props',
});

/**
 * The export's URL for a view. @param {{ site: string, from: string, to: string }} range @param {unknown[]} filters
 * @param {string} [table] one table as CSV; without, the ZIP
 */
export function exportUrl(range, filters, table) {
  const q = new URLSearchParams({ site_id: range.site, date_range: `${range.from},${range.to}` });
  if (filters.length > 0) q.set('filters', JSON.stringify(filters));
  if (table) { q.set('format', 'csv'); q.set('table', table); }
  return `/api/v2/export?${q}`;
}

/** @param {string} url @param {string} fallbackName */
export async function download(url, fallbackName) {
  const response = await fetch(url, { headers: authHeaders() });
  if (!response.ok) {
    /** @type {any} */
    const body = await response.json().catch(() => ({}));
    throw new Error(body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${response.status}`);
  }
  const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const href = URL.createObjectURL(await response.blob());
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}

/** @param {HTMLElement} caption @param {string} table @param {() => string} url */
export function addCsvButton(caption, table, url) {
  if (caption.querySelector('button.csv')) return;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'csv';
  button.dataset.export = table;
  button.dataset.i18n = 'export.csv';
  button.dataset.i18nTitle = 'export.csvTitle';
  button.textContent = 'CSV';
  button.addEventListener('click', () => { void download(url(), `${table}.csv`).catch(showExportError); });
  caption.append(button);
}

/** @param {unknown} error */
export function showExportError(error) {
  const box = document.querySelector('#error');
  if (!(box instanceof HTMLElement)) return;
  box.textContent = error instanceof Error ? error.message : String(error);
  box.hidden = false;
}
