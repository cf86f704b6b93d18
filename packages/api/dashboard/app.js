/* global uPlot, document, sessionStorage, URLSearchParams, fetch, history, location, clearInterval, setInterval, Option */
// Tokumei's built-in dashboard: plain script, no framework. Every number shown comes from /api/stats/*; the page
// keeps nothing but the chosen site and range (in the URL) and, when the API needs one, the token (sessionStorage).
'use strict';

const DAY = 86_400_000;
const REFRESH_MS = 60_000;
const TABLES = [
  ['page', 'Pages', 'Page'], ['entry_page', 'Entry pages', 'Entry page'], ['exit_page', 'Exit pages', 'Exit page'],
  ['referrer', 'Referrers', 'Referrer'], ['utm_source', 'UTM source', 'Source'], ['utm_medium', 'UTM medium', 'Medium'],
  ['utm_campaign', 'UTM campaign', 'Campaign'], ['browser', 'Browsers', 'Browser'], ['os', 'Operating systems', 'OS'],
  ['device', 'Devices', 'Device'], ['country', 'Countries', 'Country'], ['language', 'Languages', 'Language'],
];

const $ = (selector) => document.querySelector(selector);
const int = new Intl.NumberFormat('en-US');
const FORMAT = {
  visitors: (n) => int.format(n),
  pageviews: (n) => int.format(n),
  sessions: (n) => int.format(n),
  viewsPerSession: (n) => n.toFixed(2),
  bounceRate: (n) => `${(n * 100).toFixed(1)}%`,
  avgDuration: (n) => (n >= 60 ? `${Math.floor(n / 60)}m ${Math.round(n % 60)}s` : `${Math.round(n)}s`),
};
const utcDay = (ms) => new Date(ms).toISOString().slice(0, 10);

let chart;
let generation = 0;
let timer;

function token() { return sessionStorage.getItem('tokumei.token'); }

async function api(path, params) {
  const url = `/api/stats/${path}?${new URLSearchParams(params)}`;
  const headers = token() ? { authorization: `Bearer ${token()}` } : {};
  const response = await fetch(url, { headers });
  if (response.status === 401) {
    $('#login').hidden = false;
    throw new Error('The API needs a token.');
  }
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${response.status}`);
  return body;
}

function state() {
  return { site: $('#site').value, from: $('#from').value, to: $('#to').value };
}

function setRange(days) {
  const today = utcDay(Date.now());
  $('#to').value = today;
  $('#from').value = utcDay(Date.parse(today) - (days - 1) * DAY);
}

function showCards(summary) {
  for (const [metric, format] of Object.entries(FORMAT)) {
    const el = document.querySelector(`[data-metric="${metric}"]`);
    el.dataset.value = String(summary[metric]);
    el.textContent = format(summary[metric]);
    const change = document.querySelector(`[data-change="${metric}"]`);
    const before = summary.previous ? summary.previous[metric] : 0;
    const delta = before === 0 ? null : (summary[metric] - before) / before;
    change.textContent = delta === null ? 'no previous data' : `${delta >= 0 ? '+' : ''}${(delta * 100).toFixed(0)}% vs previous period`;
    // A higher bounce rate is worse; everything else is better when higher.
    const good = metric === 'bounceRate' ? delta !== null && delta < 0 : delta !== null && delta > 0;
    change.className = delta === null || delta === 0 ? '' : good ? 'up' : 'down';
  }
}

function showChart(series, interval) {
  const xs = series.map((b) => Date.parse(b.time) / 1000);
  const data = [xs, series.map((b) => b.visitors), series.map((b) => b.pageviews)];
  const width = Math.max(320, $('#chart').clientWidth || 800);
  if (chart) chart.destroy();
  chart = new uPlot({
    width, height: 280, tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    series: [
      { label: interval === 'hour' ? 'Hour (UTC)' : 'Day (UTC)' },
      { label: 'Visitors', stroke: '#3d5afe', fill: 'rgba(61,90,254,0.08)', width: 2 },
      { label: 'Page views', stroke: '#12b76a', width: 2 },
    ],
    axes: [{}, { size: 60 }],
  }, data, $('#chart'));
  $('#chart').dataset.points = String(xs.length);
}

function showTable(dimension, title, column, result) {
  let table = document.querySelector(`table[data-dimension="${dimension}"]`);
  if (!table) {
    table = document.createElement('table');
    table.dataset.dimension = dimension;
    table.innerHTML = `<caption></caption><thead><tr><th></th><th>Visitors</th><th>Views</th></tr></thead><tbody></tbody>`;
    table.querySelector('caption').textContent = title;
    table.querySelector('th').textContent = column;
    $('#tables').append(table);
  }
  const body = table.querySelector('tbody');
  body.replaceChildren(...result.rows.map((row) => {
    const tr = document.createElement('tr');
    if (row.other) {
      tr.className = 'other';
      tr.title = `values seen by fewer than ${result.minVisitors} visitors on a day`;
    }
    for (const [text, value] of [[row.value === '' ? '(none)' : row.value, row.value], [int.format(row.visitors), row.visitors], [int.format(row.pageviews), row.pageviews]]) {
      const td = document.createElement('td');
      td.textContent = text;
      td.dataset.value = String(value);
      tr.append(td);
    }
    return tr;
  }));
  if (result.rows.length === 0) body.innerHTML = '<tr><td colspan="3">No data</td></tr>';
  $('#k').textContent = String(result.minVisitors);
}

async function refresh() {
  const mine = ++generation;
  const params = state();
  if (!params.site || !params.from || !params.to) return;
  history.replaceState(null, '', `?${new URLSearchParams(params)}`);
  const days = (Date.parse(params.to) - Date.parse(params.from)) / DAY + 1;
  const interval = days <= 2 ? 'hour' : 'day';
  try {
    const [summary, series, realtime, ...tables] = await Promise.all([
      api('summary', { ...params, compare: 'previous' }),
      api('timeseries', { ...params, interval }),
      api('realtime', { site: params.site }),
      ...TABLES.map(([dimension]) => api('breakdown', { ...params, dimension, limit: '10' })),
    ]);
    if (mine !== generation) return; // a newer refresh started meanwhile
    showCards(summary);
    showChart(series.series, interval);
    const live = $('[data-metric="realtime"]');
    live.dataset.value = String(realtime.visitors);
    live.textContent = int.format(realtime.visitors);
    TABLES.forEach(([dimension, title, column], i) => showTable(dimension, title, column, tables[i]));
    $('#error').hidden = true;
    document.body.dataset.loaded = `${params.site}|${params.from}|${params.to}`;
  } catch (error) {
    $('#error').textContent = error.message;
    $('#error').hidden = false;
  }
}

function schedule() {
  clearInterval(timer);
  if ($('#auto').checked) timer = setInterval(refresh, REFRESH_MS);
}

async function loadSites(query) {
  try {
    const { sites } = await api('sites', {});
    const wanted = query.get('site') || $('#site').value;
    const choices = wanted && !sites.includes(wanted) ? [wanted, ...sites] : sites;
    $('#site').replaceChildren(...choices.map((s) => new Option(s, s)));
    if (wanted) $('#site').value = wanted;
  } catch (error) {
    $('#error').textContent = error.message;
    $('#error').hidden = false;
  }
}

function start() {
  const query = new URLSearchParams(location.search);
  setRange(7);
  if (query.get('from')) $('#from').value = query.get('from');
  if (query.get('to')) $('#to').value = query.get('to');
  $('#controls').addEventListener('change', () => { schedule(); void refresh(); });
  for (const button of document.querySelectorAll('[data-days]')) {
    button.addEventListener('click', () => { setRange(Number(button.dataset.days)); void refresh(); });
  }
  $('#login').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem('tokumei.token', $('#token').value);
    $('#login').hidden = true;
    void loadSites(query).then(refresh);
  });
  schedule();
  void loadSites(query).then(refresh);
}

start();
