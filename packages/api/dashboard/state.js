// @ts-check
/* global location, history, URLSearchParams */
// The whole view lives in the URL (site, range, filters, comparison, funnel steps, property key), so a link
// reproduces it and back/forward move between views. Nothing else is kept except language and theme (localStorage)
// and the token (sessionStorage).

/** @typedef {'is' | 'is_not' | 'contains' | 'contains_not'} Op */
/**
 * A filter as the viewer set it. `goal` is a goal's display name (its condition is made from the goal's definition
 * when a query is built); every other filter is a v2 filter on a v2 dimension.
 * @typedef {{ op: Op | 'goal', dim: string, values: string[] }} Filter
 */
/** @typedef {'none' | 'previous' | 'year'} Compare */
/**
 * @typedef {{ site: string, from: string, to: string, filters: Filter[], compare: Compare, steps: string[], prop: string }} State
 */

const DAY = 86_400_000;
const OPS = ['is', 'is_not', 'contains', 'contains_not', 'goal'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** @param {number} ms */
export const utcDay = (ms) => new Date(ms).toISOString().slice(0, 10);

/** The last `days` UTC days ending today. @param {number} days @param {number} [now] */
export function lastDays(days, now = Date.now()) {
  const to = utcDay(now);
  return { from: utcDay(Date.parse(to) - (days - 1) * DAY), to };
}

/** Days in a range, both ends included. @param {{ from: string, to: string }} range */
export const spanDays = (range) => Math.round((Date.parse(range.to) - Date.parse(range.from)) / DAY) + 1;

/**
 * The range compared with: the same number of days just before, or the same dates a year earlier.
 * @param {{ from: string, to: string }} range @param {Compare} compare
 */
export function comparedRange(range, compare) {
  if (compare === 'previous') {
    const days = spanDays(range);
    return { from: utcDay(Date.parse(range.from) - days * DAY), to: utcDay(Date.parse(range.from) - DAY) };
  }
  /** @param {string} d */
  const yearBack = (d) => { const date = new Date(`${d}T00:00:00Z`); date.setUTCFullYear(date.getUTCFullYear() - 1); return utcDay(date.getTime()); };
  return { from: yearBack(range.from), to: yearBack(range.to) };
}

/** `op|dim|value|value`, each part URI-encoded so a | or , in a value survives. @param {Filter} f */
const encodeFilter = (f) => [f.op, f.dim, ...f.values].map(encodeURIComponent).join('|');
/** @param {string} text @returns {Filter | undefined} */
function decodeFilter(text) {
  const [op, dim, ...values] = text.split('|').map((p) => { try { return decodeURIComponent(p); } catch { return ''; } });
  if (op === undefined || !OPS.includes(op) || !dim || values.length === 0) return undefined;
  return { op: /** @type {Filter['op']} */ (op), dim, values };
}

/** @param {string} search @returns {State} */
export function parse(search) {
  const q = new URLSearchParams(search);
  const preset = lastDays(7);
  const from = q.get('from') ?? '';
  const to = q.get('to') ?? '';
  const compare = q.get('compare');
  return {
    site: q.get('site') ?? '',
    from: DATE.test(from) ? from : preset.from,
    to: DATE.test(to) ? to : preset.to,
    filters: q.getAll('f').map(decodeFilter).filter((f) => f !== undefined),
    compare: compare === 'previous' || compare === 'year' ? compare : 'none',
    steps: q.getAll('step').filter((s) => s !== ''),
    prop: q.get('prop') ?? '',
  };
}

/** @param {State} state */
export function serialize(state) {
  const q = new URLSearchParams();
  if (state.site) q.set('site', state.site);
  q.set('from', state.from);
  q.set('to', state.to);
  if (state.compare !== 'none') q.set('compare', state.compare);
  for (const f of state.filters) q.append('f', encodeFilter(f));
  for (const s of state.steps) q.append('step', s);
  if (state.prop) q.set('prop', state.prop);
  return `?${q}`;
}

/** The state of the page's current URL. */
export const current = () => parse(location.search);

/**
 * Moves to a new state: a new history entry (back returns), or replacing this one (corrections such as the site the
 * picker chose by default). @param {State} state @param {boolean} push
 */
export function go(state, push) {
  // The fragment stays: a shared link's token lives there (#share=…), never in what is sent to a server.
  const url = `${location.pathname}${serialize(state)}${location.hash}`;
  if (url === `${location.pathname}${location.search}${location.hash}`) return;
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}

/**
 * Adds a filter; an `is` on a dimension that already has one replaces it (clicking another row of a table moves the
 * filter, as in Plausible). @param {Filter[]} filters @param {Filter} filter
 */
export function withFilter(filters, filter) {
  const kept = filters.filter((f) => !(f.dim === filter.dim && f.op === filter.op));
  return [...kept, filter];
}
