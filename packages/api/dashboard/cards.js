// @ts-check
/* global HTMLElement */
// The summary cards: v2's metrics without dimensions for the view's range and filters, and, when comparing, the same
// question for the compared range.
import { query } from './api.js';
import { $, make } from './dom.js';
import { change, metricValue } from './format.js';
import { t } from './i18n.js';

export const CARD_METRICS = /** @type {const} */ (['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration']);
/** @typedef {(typeof CARD_METRICS)[number]} CardMetric */
/** @typedef {Partial<Record<CardMetric, number | null>>} Numbers */

/** v2 refuses views_per_visit with a page filter (a visit's other pages would be in it): that card shows why instead. @param {unknown[]} filters */
const pageFiltered = (filters) => JSON.stringify(filters).includes('"event:page"');

/** @param {{ site: string, from: string, to: string }} range @param {unknown[]} filters @returns {Promise<Numbers>} */
export async function loadCards(range, filters) {
  const metrics = CARD_METRICS.filter((m) => m !== 'views_per_visit' || !pageFiltered(filters));
  const answer = await query(range, { metrics: [...metrics], filters });
  const row = answer.results[0];
  /** @type {Numbers} */
  const numbers = {};
  metrics.forEach((m, i) => { numbers[m] = row ? row.metrics[i] ?? null : null; });
  return numbers;
}

function ensureCards() {
  const section = $('#cards', HTMLElement);
  if (section.querySelector('[data-metric="visitors"]')) return;
  for (const metric of CARD_METRICS) {
    const card = make('div', undefined, { class: 'card' });
    card.append(make('h2', t(`metric.${metric}`), { 'data-i18n': `metric.${metric}` }), make('p', '–', { 'data-metric': metric, 'data-value': '' }),
      make('small', '', { 'data-change': metric }));
    section.append(card);
  }
}

/**
 * @param {Numbers} numbers @param {Numbers | undefined} compared @param {'previous' | 'year' | 'none'} compare @param {number} k
 */
export function showCards(numbers, compared, compare, k) {
  ensureCards();
  for (const metric of CARD_METRICS) {
    const el = $(`[data-metric="${metric}"]`, HTMLElement);
    const value = numbers[metric];
    el.dataset.value = value === undefined || value === null ? '' : String(value);
    el.textContent = metricValue(metric, value);
    el.title = value === undefined ? t('card.notWithFilter') : value === null ? t('card.withheld', { k }) : '';
    const note = $(`[data-change="${metric}"]`, HTMLElement);
    note.className = '';
    if (compare === 'none' || compared === undefined) { note.textContent = ''; continue; }
    const before = compared[metric];
    if (value === null || value === undefined || before === null || before === undefined || before === 0) {
      note.textContent = t('change.none');
      note.dataset.previous = before === null || before === undefined ? '' : String(before);
      continue;
    }
    const delta = (value - before) / before;
    note.dataset.previous = String(before);
    note.textContent = t(compare === 'year' ? 'change.vs.year' : 'change.vs.previous', { delta: change(delta) });
    note.title = metricValue(metric, before);
    // A higher bounce rate is worse; everything else is better when higher.
    const good = metric === 'bounce_rate' ? delta < 0 : delta > 0;
    note.className = delta === 0 ? '' : good ? 'up' : 'down';
  }
}

/** @param {number} visitors */
export function showRealtime(visitors) {
  const live = $('[data-metric="realtime"]', HTMLElement);
  live.dataset.value = String(visitors);
  live.textContent = metricValue('visitors', visitors);
}
