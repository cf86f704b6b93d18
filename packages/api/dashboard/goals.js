// @ts-check
/* global HTMLElement, HTMLFormElement, HTMLInputElement, HTMLSelectElement, HTMLTableElement, Option */
// Goals (conversions and conversion rate per goal: v2's event:goal with every filter of the view), the funnel
// (visitors and drop-off per step; its route takes visit filters only, and the page says when it left others out) and
// the goal editor.
import { call, funnelFilters, hasNonVisitFilter, query, saveGoals } from './api.js';
import { $, make } from './dom.js';
import { metricValue, number, percent } from './format.js';
import { t } from './i18n.js';
import { fillTable } from './tables.js';

/** @typedef {import('./api.js').Goal} Goal */
/** @typedef {import('./state.js').Filter} Filter */
/** @typedef {{ label: string, visitors: number | null, suppressed: boolean, dropoff: number | null, dropoff_percentage: number | null, conversion_rate: number | null }} Step */

export const GOAL_METRICS = ['visitors', 'events', 'conversion_rate'];

/** @param {{ site: string, from: string, to: string }} range @param {unknown[]} filters v2 filters @returns {Promise<import('./tables.js').TableAnswer>} */
export async function loadGoals(range, filters) {
  const a = await query(range, { metrics: GOAL_METRICS, dimensions: ['event:goal'], filters });
  /** @type {import('./tables.js').TableRow[]} */
  const rows = a.results.map((r) => ({ value: r.dimensions[0] ?? '', metrics: r.metrics }));
  if (a.meta.other) rows.push({ value: '(other)', metrics: a.meta.other.metrics, other: true });
  return { rows, metrics: GOAL_METRICS, k: a.meta.min_visitors, more: 0 };
}

/**
 * @param {import('./tables.js').TableAnswer | Error} answer @param {Goal[]} goals @param {(name: string) => void} filterBy
 */
export function showGoals(answer, goals, filterBy) {
  const table = $('#goals', HTMLTableElement);
  fillTable(table, t('dim.goal'), answer, filterBy);
  if (goals.length === 0 && !(answer instanceof Error)) {
    const body = table.tBodies.item(0);
    const cell = body?.querySelector('td');
    if (cell) cell.textContent = t('goals.none');
  }
}

/** @param {{ site: string, from: string, to: string }} range @param {string[]} steps @param {Filter[]} filters @returns {Promise<{ steps: Step[], k: number }>} */
export async function loadFunnel(range, steps, filters) {
  const f = funnelFilters(filters);
  /** @type {{ steps: Step[], meta: { min_visitors: number } }} */
  const a = await call('/api/v2/funnel', { body: { site_id: range.site, date_range: [range.from, range.to], steps, ...(f.length > 0 ? { filters: f } : {}) } });
  return { steps: a.steps, k: a.meta.min_visitors };
}

/** @param {{ steps: Step[], k: number } | Error | undefined} answer @param {string[]} chosen @param {Filter[]} filters */
export function showFunnel(answer, chosen, filters) {
  const note = $('#funnel-note', HTMLElement);
  note.hidden = chosen.length < 2 || !hasNonVisitFilter(filters);
  note.textContent = t('goals.visitFiltersOnly');
  const list = $('#funnel', HTMLElement);
  if (answer === undefined) {
    list.replaceChildren(...chosen.map((s) => make('li', s)));
    return;
  }
  if (answer instanceof Error) { list.replaceChildren(make('li', t('table.error', { message: answer.message }), { class: 'error-row' })); return; }
  const first = answer.steps[0]?.visitors ?? 0;
  list.replaceChildren(...answer.steps.map((step, i) => {
    const li = make('li', undefined, { 'data-step': step.label, 'data-visitors': step.visitors === null ? '' : String(step.visitors) });
    li.style.setProperty('--share', `${first > 0 && step.visitors !== null ? Math.round((step.visitors / first) * 100) : 0}%`);
    const numbers = step.suppressed ? t('funnel.suppressed', { k: answer.k })
      : `${number(step.visitors ?? 0)} ${t('metric.visitors')} · ${percent(step.conversion_rate ?? 0)}${i > 0 ? ` · ${t('funnel.dropoff')} ${metricValue('visitors', step.dropoff)} (${percent(step.dropoff_percentage ?? 0)})` : ''}`;
    li.append(make('strong', step.label), make('span', numbers, { class: 'numbers' }));
    return li;
  }));
}

/** @param {Goal[]} goals @param {string[]} steps */
export function showFunnelPicker(goals, steps) {
  const select = $('#funnel-goal', HTMLSelectElement);
  select.replaceChildren(...goals.map((g) => new Option(g.display_name, g.display_name)));
  $('#funnel-form', HTMLFormElement).hidden = goals.length < 2;
  select.disabled = steps.length >= 8;
}

/**
 * The editor: the site's goals with a remove button each, and a form that adds one (PUT replaces the whole list).
 * @param {string} site @param {Goal[]} goals @param {() => void} changed
 */
export function showGoalEditor(site, goals, changed) {
  /** @param {Goal} g */
  const plain = (g) => ({ display_name: g.display_name, ...(g.goal_type === 'page' ? { page_path: g.page_path } : { event_name: g.event_name }) });
  $('#goal-list', HTMLElement).replaceChildren(...goals.map((g) => {
    const li = make('li', `${g.display_name} — ${g.goal_type === 'page' ? g.page_path : g.event_name}`);
    const remove = make('button', '×', { type: 'button', 'aria-label': t('goals.removeGoal', { name: g.display_name }) });
    remove.addEventListener('click', () => { void saveGoals(site, goals.filter((x) => x !== g).map(plain)).then(changed); });
    li.append(remove);
    return li;
  }));
  const form = $('#goal-form', HTMLFormElement);
  form.onsubmit = (event) => {
    event.preventDefault();
    const page = $('#goal-page', HTMLInputElement).value.trim();
    const name = $('#goal-event', HTMLInputElement).value.trim();
    const display = $('#goal-name', HTMLInputElement).value.trim();
    if (page === '' && name === '') return;
    const goal = { ...(page !== '' ? { page_path: page } : { event_name: name }), ...(display !== '' ? { display_name: display } : {}) };
    void saveGoals(site, [...goals.map(plain), goal]).then(() => { form.reset(); changed(); }, (error) => {
      $('#error', HTMLElement).textContent = error instanceof Error ? error.message : String(error);
      $('#error', HTMLElement).hidden = false;
    });
  };
}
