// @ts-check
/* global uPlot, document, sessionStorage, URLSearchParams, fetch, history, location, clearInterval, setInterval, Option,
   HTMLElement, HTMLInputElement, HTMLSelectElement, HTMLTableElement */
// Tokumei's built-in dashboard: plain script, no framework. Every number shown comes from the stats API, and the
// breakdowns shown are the ones GET /api/dimensions lists; the page keeps nothing but the chosen site and range (in
// the URL) and, when the API needs one, the token (sessionStorage). Type-checked (tsconfig.json here), not compiled.
'use strict';

/** @typedef {'visitors' | 'pageviews' | 'sessions' | 'viewsPerSession' | 'bounceRate' | 'avgDuration'} Metric */
/** @typedef {Record<Metric, number> & { previous?: Record<Metric, number> }} Summary */
/** @typedef {{ time: string, visitors: number, pageviews: number }} Bucket */
/** @typedef {{ value: string, visitors: number, pageviews: number, sessions: number, other?: true }} BreakdownRow */
/** @typedef {{ rows: BreakdownRow[], minVisitors: number }} Breakdown */
/** @typedef {{ name: string, kind: 'event' | 'session', label: string, title: string }} DimensionInfo */
/** @typedef {{ site: string, from: string, to: string }} Period */

const DAY = 86_400_000;
const REFRESH_MS = 60_000;

/**
 * The element the page must have, of the kind the code needs (checked, so a changed page fails loudly).
 * @template {Element} T
 * @param {string} selector
 * @param {{ new (): T, prototype: T }} type
 * @returns {T}
 */
function $(selector, type) {
  const element = document.querySelector(selector);
  if (!(element instanceof type)) throw new Error(`the page has no ${selector}`);
  return element;
}
/** @param {string} selector */
const input = (selector) => $(selector, HTMLInputElement);

const int = new Intl.NumberFormat('en-US');
/** @type {[Metric, (n: number) => string][]} */
const FORMAT = [
  ['visitors', (n) => int.format(n)],
  ['pageviews', (n) => int.format(n)],
  ['sessions', (n) => int.format(n)],
  ['viewsPerSession', (n) => n.toFixed(2)],
  ['bounceRate', (n) => `${(n * 100).toFixed(1)}%`],
  ['avgDuration', (n) => (n >= 60 ? `${Math.floor(n / 60)}m ${Math.round(n % 60)}s` : `${Math.round(n)}s`)],
];
/** @param {number} ms */
const utcDay = (ms) => new Date(ms).toISOString().slice(0, 10);

/** @type {uPlot | undefined} */
let chart;
let generation = 0;
/** @type {number | undefined} */
let timer;
/** Asked once; forgotten on failure, so the next refresh asks again. @type {Promise<DimensionInfo[]> | undefined} */
let dimensionList;

function token() { return sessionStorage.getItem('tokumei.token'); }

/**
 * GET an API route. The answer is JSON of the route's documented shape; the typed helpers below name it.
 * @param {string} path
 * @param {Record<string, string>} [params]
 * @returns {Promise<any>}
 */
async function api(path, params = {}) {
  const query = new URLSearchParams(params).toString();
  const auth = token();
  const response = await fetch(query === '' ? path : `${path}?${query}`, { headers: auth ? { authorization: `Bearer ${auth}` } : {} });
  if (response.status === 401) {
    $('#login', HTMLElement).hidden = false;
    throw new Error('The API needs a token.');
  }
  /** @type {{ error?: { code: string, message: string } }} */
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${response.status}`);
  return body;
}

/** @param {Period} range @returns {Promise<Summary>} */
const getSummary = (range) => api('/api/stats/summary', { ...range, compare: 'previous' });
/** @param {Period} range @param {'hour' | 'day'} interval @returns {Promise<{ series: Bucket[] }>} */
const getSeries = (range, interval) => api('/api/stats/timeseries', { ...range, interval });
/** @param {string} site @returns {Promise<{ visitors: number }>} */
const getRealtime = (site) => api('/api/stats/realtime', { site });
/** @param {Period} range @param {string} dimension @returns {Promise<Breakdown>} */
const getBreakdown = (range, dimension) => api('/api/stats/breakdown', { ...range, dimension, limit: '10' });
/** @returns {Promise<{ sites: string[] }>} */
const getSites = () => api('/api/stats/sites');

/** @returns {Promise<DimensionInfo[]>} */
function dimensions() {
  dimensionList ??= api('/api/dimensions').then((/** @type {{ dimensions: DimensionInfo[] }} */ body) => body.dimensions, (error) => {
    dimensionList = undefined;
    throw error;
  });
  return dimensionList;
}

/** @param {unknown} error */
function showError(error) {
  const box = $('#error', HTMLElement);
  box.textContent = error instanceof Error ? error.message : String(error);
  box.hidden = false;
}

/** @returns {Period} */
function state() {
  return { site: $('#site', HTMLSelectElement).value, from: input('#from').value, to: input('#to').value };
}

/** @param {number} days */
function setRange(days) {
  const today = utcDay(Date.now());
  input('#to').value = today;
  input('#from').value = utcDay(Date.parse(today) - (days - 1) * DAY);
}

/** @param {Summary} summary */
function showCards(summary) {
  for (const [metric, format] of FORMAT) {
    const el = $(`[data-metric="${metric}"]`, HTMLElement);
    el.dataset.value = String(summary[metric]);
    el.textContent = format(summary[metric]);
    const change = $(`[data-change="${metric}"]`, HTMLElement);
    const before = summary.previous ? summary.previous[metric] : 0;
    const delta = before === 0 ? null : (summary[metric] - before) / before;
    change.textContent = delta === null ? 'no previous data' : `${delta >= 0 ? '+' : ''}${(delta * 100).toFixed(0)}% vs previous period`;
    // A higher bounce rate is worse; everything else is better when higher.
    const good = metric === 'bounceRate' ? delta !== null && delta < 0 : delta !== null && delta > 0;
    change.className = delta === null || delta === 0 ? '' : good ? 'up' : 'down';
  }
}

/** @param {Bucket[]} series @param {'hour' | 'day'} interval */
function showChart(series, interval) {
  const xs = series.map((b) => Date.parse(b.time) / 1000);
  /** @type {uPlot.AlignedData} */
  const data = [xs, series.map((b) => b.visitors), series.map((b) => b.pageviews)];
  const target = $('#chart', HTMLElement);
  const width = Math.max(320, target.clientWidth || 800);
  if (chart) chart.destroy();
  chart = new uPlot({
    width, height: 280, tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    series: [
      { label: interval === 'hour' ? 'Hour (UTC)' : 'Day (UTC)' },
      { label: 'Visitors', stroke: '#3d5afe', fill: 'rgba(61,90,254,0.08)', width: 2 },
      { label: 'Page views', stroke: '#12b76a', width: 2 },
    ],
    axes: [{}, { size: 60 }],
  }, data, target);
  target.dataset.points = String(xs.length);
}

/** The dimension's table, made (caption, head, body) the first time it is shown. @param {DimensionInfo} dimension */
function tableFor(dimension) {
  const found = document.querySelector(`table[data-dimension="${dimension.name}"]`);
  if (found instanceof HTMLTableElement) return found;
  const table = document.createElement('table');
  table.dataset.dimension = dimension.name;
  table.createCaption().textContent = dimension.title;
  const head = table.createTHead().insertRow();
  for (const text of [dimension.label, 'Visitors', 'Views']) {
    const th = document.createElement('th');
    th.textContent = text;
    head.append(th);
  }
  table.createTBody();
  $('#tables', HTMLElement).append(table);
  return table;
}

/** @param {DimensionInfo} dimension @param {Breakdown} result */
function showTable(dimension, result) {
  const table = tableFor(dimension);
  const body = table.tBodies.item(0) ?? table.createTBody();
  body.replaceChildren(...result.rows.map((row) => {
    const tr = document.createElement('tr');
    if (row.other) {
      tr.className = 'other';
      tr.title = `values seen by fewer than ${result.minVisitors} visitors on a day`;
    }
    /** @type {[string, string | number][]} */
    const cells = [[row.value === '' ? '(none)' : row.value, row.value], [int.format(row.visitors), row.visitors], [int.format(row.pageviews), row.pageviews]];
    for (const [text, value] of cells) {
      const td = document.createElement('td');
      td.textContent = text;
      td.dataset.value = String(value);
      tr.append(td);
    }
    return tr;
  }));
  if (result.rows.length === 0) body.innerHTML = '<tr><td colspan="3">No data</td></tr>';
  $('#k', HTMLElement).textContent = String(result.minVisitors);
}

async function refresh() {
  const mine = ++generation;
  const params = state();
  if (!params.site || !params.from || !params.to) return;
  history.replaceState(null, '', `?${new URLSearchParams(params)}`);
  const days = (Date.parse(params.to) - Date.parse(params.from)) / DAY + 1;
  const interval = days <= 2 ? 'hour' : 'day';
  try {
    const shown = await dimensions();
    const [summary, series, realtime, tables] = await Promise.all([
      getSummary(params),
      getSeries(params, interval),
      getRealtime(params.site),
      Promise.all(shown.map((d) => getBreakdown(params, d.name))),
    ]);
    if (mine !== generation) return; // a newer refresh started meanwhile
    showCards(summary);
    showChart(series.series, interval);
    const live = $('[data-metric="realtime"]', HTMLElement);
    live.dataset.value = String(realtime.visitors);
    live.textContent = int.format(realtime.visitors);
    shown.forEach((dimension, i) => {
      const result = tables[i];
      if (result) showTable(dimension, result);
    });
    $('#error', HTMLElement).hidden = true;
    document.body.dataset.loaded = `${params.site}|${params.from}|${params.to}`;
  } catch (error) {
    showError(error);
  }
}

function schedule() {
  clearInterval(timer);
  if (input('#auto').checked) timer = setInterval(refresh, REFRESH_MS);
}

/** @param {URLSearchParams} query */
async function loadSites(query) {
  try {
    const { sites } = await getSites();
    const picker = $('#site', HTMLSelectElement);
    const wanted = query.get('site') || picker.value;
    const choices = wanted && !sites.includes(wanted) ? [wanted, ...sites] : sites;
    picker.replaceChildren(...choices.map((s) => new Option(s, s)));
    if (wanted) picker.value = wanted;
  } catch (error) {
    showError(error);
  }
}

function start() {
  const query = new URLSearchParams(location.search);
  setRange(7);
  const from = query.get('from');
  const to = query.get('to');
  if (from) input('#from').value = from;
  if (to) input('#to').value = to;
  $('#controls', HTMLElement).addEventListener('change', () => { schedule(); void refresh(); });
  for (const button of document.querySelectorAll('[data-days]')) {
    if (!(button instanceof HTMLElement)) continue;
    button.addEventListener('click', () => { setRange(Number(button.dataset.days)); void refresh(); });
  }
  $('#login', HTMLElement).addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem('tokumei.token', input('#token').value);
    $('#login', HTMLElement).hidden = true;
    void loadSites(query).then(refresh);
  });
  schedule();
  void loadSites(query).then(refresh);
}

start();
