// @ts-check
/* global HTMLElement, HTMLTableElement, KeyboardEvent */
// The breakdown tables: one per entry of GET /api/dimensions, each a v2 query by its dimension with the view's filters.
// A row is a button: click or Enter filters the whole view by its value.
import { ApiError, call, query } from './api.js';
import { $, make } from './dom.js';
import { metricValue } from './format.js';
import { isKey, t } from './i18n.js';

/** @typedef {{ name: string, kind: 'event' | 'session', label: string, title: string }} DimensionInfo */
/** @typedef {{ value: string, metrics: (number | null)[], other?: boolean }} TableRow */
/** @typedef {{ rows: TableRow[], metrics: string[], k: number, more: number }} TableAnswer */

/** The breakdown route's names as v2 dimensions; `language` has none (v2 cannot filter it, so neither can the page). */
export const V2_DIMENSION = /** @type {Record<string, string | null>} */ ({
  page: 'event:page', entry_page: 'visit:entry_page', exit_page: 'visit:exit_page', referrer: 'visit:source',
  utm_source: 'visit:utm_source', utm_medium: 'visit:utm_medium', utm_campaign: 'visit:utm_campaign', browser: 'visit:browser',
  os: 'visit:os', device: 'visit:device', country: 'visit:country', language: null, screen: 'visit:screen',
});
const ROWS = 10;
/** Whether the API answered the engagement metrics once; when it refuses them the pages table goes on without. */
let engagement = true;

/** @param {DimensionInfo} d */
export const titleOf = (d) => { const key = `dimTitle.${d.name}`; return isKey(key) ? t(key) : d.title; };
/** @param {DimensionInfo} d */
export const labelOf = (d) => { const key = `dimLabel.${d.name}`; return isKey(key) ? t(key) : d.label; };

/**
 * @param {{ site: string, from: string, to: string }} range @param {DimensionInfo} d @param {unknown[]} filters
 * @returns {Promise<TableAnswer | 'not-filterable'>}
 */
export async function loadTable(range, d, filters) {
  const dimension = V2_DIMENSION[d.name];
  if (dimension === undefined || dimension === null) {
    if (filters.length > 0) return 'not-filterable';
    /** @type {{ rows: { value: string, visitors: number, pageviews: number, other?: true }[], minVisitors: number, more?: number }} */
    const b = await call('/api/stats/breakdown', { query: { ...range, dimension: d.name, limit: String(ROWS) } });
    return { rows: b.rows.map((r) => /** @type {TableRow} */ ({ value: r.value, metrics: [r.visitors, r.pageviews], ...(r.other ? { other: true } : {}) })), metrics: ['visitors', 'pageviews'], k: b.minVisitors, more: b.more ?? 0 };
  }
  // Engagement beacons are a page's: v2 refuses their metrics beside an event name, goal or property filter.
  const byEvent = /"event:(name|goal|props:)/.test(JSON.stringify(filters));
  const metrics = ['visitors', 'pageviews', ...(dimension === 'event:page' && engagement && !byEvent ? ['time_on_page', 'scroll_depth'] : [])];
  return queryTable(range, [dimension], metrics, filters);
}

/**
 * @param {{ site: string, from: string, to: string }} range @param {string[]} dimensions @param {string[]} metrics @param {unknown[]} filters
 * @returns {Promise<TableAnswer>}
 */
export async function queryTable(range, dimensions, metrics, filters) {
  try {
    const a = await query(range, { metrics, dimensions, filters, limit: ROWS, totalRows: true });
    /** @type {TableRow[]} */
    const rows = a.results.map((r) => ({ value: r.dimensions[0] ?? '', metrics: r.metrics }));
    if (a.meta.other) rows.push({ value: '(other)', metrics: a.meta.other.metrics, other: true });
    return { rows, metrics, k: a.meta.min_visitors, more: Math.max(0, (a.meta.total_rows ?? rows.length) - a.results.length) };
  } catch (error) {
    if (error instanceof ApiError && error.status === 400 && metrics.includes('time_on_page')) {
      engagement = false;
      return queryTable(range, dimensions, metrics.filter((m) => m !== 'time_on_page' && m !== 'scroll_depth'), filters);
    }
    throw error;
  }
}

/**
 * The table for a key (made the first time): caption with the title, a head row.
 * @param {HTMLElement} container @param {string} key @param {string} title
 */
export function tableFor(container, key, title) {
  const found = container.querySelector(`table[data-dimension="${key}"]`);
  if (found instanceof HTMLTableElement) { const c = found.caption?.querySelector('.title'); if (c) c.textContent = title; return found; }
  const table = make('table', undefined, { 'data-dimension': key });
  const caption = table.createCaption();
  caption.append(make('span', title, { class: 'title' }));
  table.createTHead();
  table.createTBody();
  container.append(table);
  return table;
}

/**
 * Fills a table. `filterBy` is what a row's click filters (undefined: rows are not clickable).
 * @param {HTMLTableElement} table @param {string} label @param {TableAnswer | 'not-filterable' | Error} answer
 * @param {((value: string) => void) | undefined} filterBy
 */
export function fillTable(table, label, answer, filterBy) {
  const head = table.tHead ?? table.createTHead();
  const body = table.tBodies.item(0) ?? table.createTBody();
  if (answer === 'not-filterable' || answer instanceof Error) {
    const text = answer === 'not-filterable' ? t('table.notFilterable') : t('table.error', { message: answer.message });
    body.replaceChildren(make('tr', undefined, { class: 'empty' }));
    body.rows[0]?.append(make('td', text, { colspan: '3' }));
    table.dataset.state = answer === 'not-filterable' ? 'not-filterable' : 'error';
    return;
  }
  table.dataset.state = 'ok';
  const headRow = make('tr');
  headRow.append(make('th', label, { scope: 'col' }), ...answer.metrics.map((m) => make('th', t(/** @type {any} */ (`metric.${m}`)), { scope: 'col', 'data-column': m })));
  head.replaceChildren(headRow);
  const top = Math.max(1, ...answer.rows.map((r) => r.metrics[0] ?? 0));
  body.replaceChildren(...answer.rows.map((row) => {
    const tr = make('tr');
    tr.style.setProperty('--share', `${Math.round(((row.metrics[0] ?? 0) / top) * 100)}%`);
    const shown = row.other ? t('table.other') : row.value === '' ? t('table.none') : row.value;
    tr.append(make('td', shown, { 'data-value': row.value, title: shown }), ...row.metrics.map((v, i) => make('td', metricValue(answer.metrics[i] ?? '', v), { 'data-value': v === null ? '' : String(v) })));
    if (row.other) {
      tr.className = 'other';
      tr.title = t('table.otherTitle', { k: answer.k });
    } else if (filterBy) {
      tr.tabIndex = 0;
      tr.className = 'filterable';
      tr.setAttribute('aria-label', `${shown}: ${t('table.filterHint', { value: shown })}`);
      tr.addEventListener('click', () => filterBy(row.value));
      tr.addEventListener('keydown', (event) => { if (event instanceof KeyboardEvent && event.key === 'Enter') filterBy(row.value); });
    }
    return tr;
  }));
  if (answer.rows.length === 0) {
    body.replaceChildren(make('tr', undefined, { class: 'empty' }));
    body.rows[0]?.append(make('td', t('table.noData'), { colspan: String(answer.metrics.length + 1) }));
  }
}

/** @returns {HTMLElement} */
export const tablesSection = () => $('#tables', HTMLElement);
