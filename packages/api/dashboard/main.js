// @ts-check
/* global document, location, window, setInterval, clearInterval, HTMLElement, HTMLInputElement, HTMLSelectElement, Option */
// Tokumei's built-in dashboard: plain ES modules, no framework, no build step. Every number shown is an API answer
// for the view in the URL (state.js); this module wires the controls and asks for everything when the view changes.
import { call, goalsOf, setToken, siteZones, v2Filters, whenUnauthorized } from './api.js';
import { CARD_METRICS, loadCards, showCards, showRealtime } from './cards.js';
import { intervalOf, loadSeries, resizeChart, showChart } from './chart.js';
import { $ } from './dom.js';
import { EXPORT_TABLE, addCsvButton, download, exportUrl, showExportError } from './export.js';
import { openDialog, setUpDialog, showChips } from './filters.js';
import { GOAL_METRICS, loadFunnel, loadGoals, showFunnel, showFunnelPicker, showGoalEditor, showGoals } from './goals.js';
import { applyStatic, language, setLanguage, t } from './i18n.js';
import { utcMidnightLocally } from './format.js';
import { enterShare, shareToken } from './share.js';
import { comparedRange, current, go, lastDays, withFilter } from './state.js';
import { V2_DIMENSION, fillTable, labelOf, loadTable, queryTable, tableFor, tablesSection, titleOf } from './tables.js';
import { setUpTheme } from './theme.js';

/** @typedef {import('./state.js').State} State */
/** @typedef {import('./tables.js').DimensionInfo} DimensionInfo */

const REFRESH_MS = 60_000;
const REALTIME_MS = 30_000;
const PROP_KEY = /^[A-Za-z][A-Za-z0-9_]{0,39}$/;

let generation = 0;
/** @type {number | undefined} */
let timer;
/** @type {DimensionInfo[]} */
let dimensions = [];
/** @type {{ site: string, goals: Promise<import('./api.js').Goal[]> } | undefined} */
let goalCache;
/** The site of a shared link: the only one the page asks for. @type {string | undefined} */
let sharedSite;
let k = 5;

/** @param {unknown} error */
function showError(error) {
  const box = $('#error', HTMLElement);
  box.textContent = error instanceof Error ? error.message : String(error);
  box.hidden = false;
}

/** @param {string} site */
function goals(site) {
  if (goalCache?.site !== site) goalCache = { site, goals: goalsOf(site).catch(() => []) };
  return goalCache.goals;
}

/** A filter's dimension as the page names it. @param {string} dim */
function dimLabel(dim) {
  if (dim === 'event:goal') return t('dim.goal');
  if (dim.startsWith('event:props:')) return t('dim.props', { key: dim.slice('event:props:'.length) });
  const d = dimensions.find((x) => V2_DIMENSION[x.name] === dim);
  return d ? labelOf(d) : dim;
}

/** @param {State} next */
function navigate(next) { go(next, true); void render(); }

/** @param {string} dim @param {string} value @param {'is' | 'goal'} [op] */
function filterBy(dim, value, op = 'is') {
  const state = current();
  navigate({ ...state, filters: withFilter(state.filters, { op, dim, values: [value] }) });
}

/** The controls show the state (after back/forward too). @param {State} state */
function showControls(state) {
  const picker = $('#site', HTMLSelectElement);
  if (state.site && ![...picker.options].some((o) => o.value === state.site)) picker.append(new Option(state.site, state.site));
  picker.value = state.site;
  $('#from', HTMLInputElement).value = state.from;
  $('#to', HTMLInputElement).value = state.to;
  $('#compare', HTMLSelectElement).value = state.compare;
  $('#prop-key', HTMLInputElement).value = state.prop;
  showChips(state.filters, dimLabel, (i) => navigate({ ...state, filters: state.filters.filter((_, j) => j !== i) }));
}

/** Asks for everything the view in the URL shows, and shows it. */
async function render() {
  const mine = ++generation;
  const state = current();
  showControls(state);
  if (!state.site) return;
  const range = { site: state.site, from: state.from, to: state.to };
  const compared = state.compare === 'none' ? undefined : { site: state.site, ...comparedRange(state, state.compare) };
  const interval = intervalOf(state);
  try {
    if (dimensions.length === 0) {
      dimensions = (/** @type {{ dimensions: DimensionInfo[] }} */ (await call('/api/dimensions'))).dimensions;
      showControls(state); // the chips name their dimensions now
    }
    const siteGoals = await goals(state.site);
    const filters = v2Filters(state.filters);
    const settle = (/** @type {Promise<any>} */ p) => p.then((v) => v, (e) => (e instanceof Error ? e : new Error(String(e))));
    const prop = PROP_KEY.test(state.prop) ? state.prop : '';
    const [cards, cardsBefore, series, seriesBefore, live, tables, goalAnswer, funnel, props] = await Promise.all([
      loadCards(range, filters),
      compared ? loadCards(compared, filters) : undefined,
      loadSeries(range, filters, interval),
      compared ? settle(loadSeries(compared, filters, interval)) : undefined,
      settle(call('/api/stats/realtime', { query: { site: state.site } })),
      Promise.all(dimensions.map((d) => settle(loadTable(range, d, filters)))),
      // A site without goals has no goal question to ask.
      siteGoals.length > 0 ? settle(loadGoals(range, filters)) : { rows: [], metrics: GOAL_METRICS, k, more: 0 },
      state.steps.length >= 2 ? settle(loadFunnel(range, state.steps, state.filters)) : undefined,
      prop ? settle(queryTable(range, [`event:props:${prop}`], ['visitors', 'events'], filters)) : undefined,
    ]);
    if (mine !== generation) return; // a newer view started meanwhile
    const firstTable = tables.find((x) => !(x instanceof Error) && x !== 'not-filterable');
    if (firstTable) k = firstTable.k;
    showCards(cards, cardsBefore, state.compare, k);
    showChart(series, seriesBefore instanceof Error ? undefined : seriesBefore, interval, filters.length > 0, k);
    if (!(live instanceof Error)) showRealtime(live.visitors);
    dimensions.forEach((d, i) => {
      const table = tableFor(tablesSection(), d.name, titleOf(d));
      const dim = V2_DIMENSION[d.name];
      fillTable(table, labelOf(d), tables[i], dim ? (value) => filterBy(dim, value) : undefined);
      const exported = EXPORT_TABLE[d.name];
      if (exported && table.caption) addCsvButton(table.caption, exported, () => exportUrl(current(), v2Filters(current().filters), exported));
    });
    showGoals(goalAnswer, siteGoals, (name) => filterBy('event:goal', name, 'goal'));
    const goalsCaption = $('#goals', HTMLElement).querySelector('caption') ?? $('#goals', HTMLElement).appendChild(document.createElement('caption'));
    addCsvButton(/** @type {HTMLElement} */ (goalsCaption), 'conversions', () => exportUrl(current(), v2Filters(current().filters), 'conversions'));
    showFunnelPicker(siteGoals, state.steps);
    showFunnel(funnel, state.steps, state.filters);
    if (!sharedSite) showGoalEditor(state.site, siteGoals, () => { goalCache = undefined; void render(); });
    const propsBox = $('#props', HTMLElement);
    if (prop && props) {
      const table = tableFor(propsBox, 'props', t('dim.props', { key: prop }));
      fillTable(table, prop, props, (value) => filterBy(`event:props:${prop}`, value));
    } else propsBox.replaceChildren();
    $('#export-zip', HTMLElement).hidden = false;
    $('#note-k', HTMLElement).textContent = t('note.k', { k });
    const zone = siteZones.get(state.site) ?? 'UTC';
    $('#note-utc', HTMLElement).textContent = [t('note.utc', { local: utcMidnightLocally() }), ...(zone === 'UTC' ? [] : [t('note.zone', { zone })])].join(' ');
    $('#error', HTMLElement).hidden = true;
    document.body.dataset.loaded = location.search;
  } catch (error) {
    if (mine === generation) showError(error);
  }
}

/** The state the controls show now. @returns {State} */
function fromControls() {
  const state = current();
  const compare = $('#compare', HTMLSelectElement).value;
  return {
    ...state, site: $('#site', HTMLSelectElement).value, from: $('#from', HTMLInputElement).value, to: $('#to', HTMLInputElement).value,
    compare: compare === 'previous' || compare === 'year' ? compare : 'none',
  };
}

function schedule() {
  clearInterval(timer);
  if ($('#auto', HTMLInputElement).checked) timer = setInterval(() => { void render(); }, REFRESH_MS);
}

/** The site picker: a shared link's one site, or the API's list; the URL's site stays chosen. */
async function loadSites() {
  const state = current();
  const sites = sharedSite ? [sharedSite] : (/** @type {{ sites: string[] }} */ (await call('/api/stats/sites'))).sites;
  const wanted = sharedSite ?? (state.site || sites[0] || '');
  const picker = $('#site', HTMLSelectElement);
  picker.replaceChildren(...(wanted && !sites.includes(wanted) ? [wanted, ...sites] : sites).map((s) => new Option(s, s)));
  if (wanted !== state.site) go({ ...state, site: wanted }, false);
}

function wire() {
  $('#controls', HTMLElement).addEventListener('change', () => { schedule(); navigate(fromControls()); });
  for (const button of document.querySelectorAll('[data-days]')) {
    if (button instanceof HTMLElement) button.addEventListener('click', () => navigate({ ...fromControls(), ...lastDays(Number(button.dataset.days)) }));
  }
  window.addEventListener('popstate', () => { void render(); });
  window.addEventListener('resize', resizeChart);
  const lang = $('#lang', HTMLSelectElement);
  lang.value = language();
  lang.addEventListener('change', () => { setLanguage(lang.value === 'ja' ? 'ja' : 'en'); void render(); });
  setUpTheme(() => { void render(); });
  setUpDialog();
  $('#add-filter', HTMLElement).addEventListener('click', () => {
    const state = current();
    const choices = dimensions.flatMap((d) => { const dim = V2_DIMENSION[d.name]; return dim ? [{ dim, label: labelOf(d) }] : []; });
    if (PROP_KEY.test(state.prop)) choices.push({ dim: `event:props:${state.prop}`, label: dimLabel(`event:props:${state.prop}`) });
    openDialog(choices, (filter) => navigate({ ...state, filters: withFilter(state.filters, filter) }));
  });
  $('#clear-filters', HTMLElement).addEventListener('click', () => navigate({ ...current(), filters: [] }));
  $('#export-zip', HTMLElement).addEventListener('click', () => {
    const state = current();
    void download(exportUrl(state, v2Filters(state.filters)), `${state.site}.zip`).catch(showExportError);
  });
  $('#funnel-form', HTMLElement).addEventListener('submit', (event) => {
    event.preventDefault();
    const state = current();
    const step = $('#funnel-goal', HTMLSelectElement).value;
    if (step && state.steps.length < 8) navigate({ ...state, steps: [...state.steps, step] });
  });
  $('#funnel-clear', HTMLElement).addEventListener('click', () => navigate({ ...current(), steps: [] }));
  $('#prop-form', HTMLElement).addEventListener('submit', (event) => {
    event.preventDefault();
    const key = $('#prop-key', HTMLInputElement).value.trim();
    if (key === '' || PROP_KEY.test(key)) navigate({ ...current(), prop: key });
  });
  $('#login', HTMLElement).addEventListener('submit', (event) => {
    event.preventDefault();
    setToken($('#token', HTMLInputElement).value);
    $('#login', HTMLElement).hidden = true;
    void loadSites().then(render, showError);
  });
  whenUnauthorized((error) => {
    if (error.code.startsWith('TKM_SHARE')) return;
    $('#login', HTMLElement).hidden = false;
  });
  setInterval(() => {
    const site = current().site;
    if (site) void call('/api/stats/realtime', { query: { site } }).then((b) => showRealtime(b.visitors), () => undefined);
  }, REALTIME_MS);
}

async function start() {
  applyStatic();
  wire();
  schedule();
  try {
    const token = shareToken();
    if (token !== undefined) sharedSite = await enterShare(token);
    await loadSites();
  } catch (error) {
    showError(error);
    return;
  }
  await render();
}

void start();
// Cards are made on the first answer; CARD_METRICS is their order (exported for the tests' reading of the page).
export { CARD_METRICS };
