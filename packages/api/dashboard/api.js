// @ts-check
/* global fetch, sessionStorage, URLSearchParams */
// The API client: every number on the page is one of these answers. Requests carry the admin token
// (sessionStorage) or, in a shared view, the shared link's credentials (share.js sets them with useShare()).

/** @typedef {import('./state.js').Filter} Filter */
/** @typedef {{ goal_type: 'page' | 'event', page_path?: string, event_name?: string, display_name: string }} Goal */
/** @typedef {{ metrics: (number | null)[], dimensions: string[] }} Row */
/** @typedef {{ results: Row[], meta: { min_visitors: number, folded?: boolean, other?: Row, total_rows?: number, warnings?: string[], time_zone?: string, site_time_zone?: string } }} Answer */

export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(code ? `${code}: ${message}` : message);
    this.status = status;
    this.code = code;
  }
}

const TOKEN = 'tokumei.token';
/** @type {Record<string, string>} */
let shareHeaders = {};
/** @type {((error: ApiError) => void) | undefined} */
let onUnauthorized;

/** @param {string} token */
export const setToken = (token) => sessionStorage.setItem(TOKEN, token);
/** A shared view's request headers (the link's token, a password's session). @param {Record<string, string>} headers */
export const useShare = (headers) => { shareHeaders = headers; };
/** @param {(error: ApiError) => void} handler */
export const whenUnauthorized = (handler) => { onUnauthorized = handler; };

/** @returns {Record<string, string>} */
export function authHeaders() {
  if (Object.keys(shareHeaders).length > 0) return { ...shareHeaders };
  const token = sessionStorage.getItem(TOKEN);
  return token ? { authorization: `Bearer ${token}` } : {};
}

/**
 * One API call; the answer is the route's documented JSON.
 * @param {string} path @param {{ method?: string, query?: Record<string, string>, body?: unknown }} [options]
 * @returns {Promise<any>}
 */
export async function call(path, options = {}) {
  const query = options.query ? `?${new URLSearchParams(options.query)}` : '';
  /** @type {Record<string, string>} */
  const headers = authHeaders();
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${path}${query}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  /** @type {any} */
  let body = {};
  try { body = text === '' ? {} : JSON.parse(text); } catch { body = {}; }
  if (!response.ok) {
    const error = new ApiError(response.status, body.error?.code ?? '', body.error?.message ?? `HTTP ${response.status}`);
    if (response.status === 401) onUnauthorized?.(error);
    throw error;
  }
  return body;
}

/**
 * The dashboard's filters as v2 filters; a goal filter is v2's own `event:goal` (the events that complete the goal:
 * a page goal's path pattern, or the event's name). @param {Filter[]} filters @returns {unknown[]}
 */
export function v2Filters(filters) {
  return filters.map((f) => (f.op === 'goal' ? ['is', 'event:goal', f.values] : [f.op, f.dim, f.values]));
}

/** Filters the funnel route takes: visit properties only; the rest is left out (the page says so). @param {Filter[]} filters */
export function funnelFilters(filters) {
  return filters.flatMap((f) => (f.op !== 'goal' && f.dim.startsWith('visit:') ? [[f.op, f.dim, f.values]] : []));
}

/** @param {Filter[]} filters */
export const hasNonVisitFilter = (filters) => filters.some((f) => f.op === 'goal' || !f.dim.startsWith('visit:'));

/**
 * @param {{ site: string, from: string, to: string }} range
 * @param {{ metrics: string[], dimensions?: string[], filters?: unknown[], limit?: number, totalRows?: boolean }} question
 * @returns {Promise<Answer>}
 */
export function query(range, question) {
  const asked = call('/api/v2/query', {
    body: {
      site_id: range.site, date_range: [range.from, range.to], metrics: question.metrics,
      ...(question.dimensions ? { dimensions: question.dimensions } : {}),
      ...(question.filters && question.filters.length > 0 ? { filters: question.filters } : {}),
      ...(question.limit ? { pagination: { limit: question.limit } } : {}),
      ...(question.totalRows ? { include: { total_rows: true } } : {}),
    },
  });
  return asked.then((/** @type {Answer} */ answer) => {
    const zone = answer.meta.site_time_zone;
    if (typeof zone === 'string') siteZones.set(range.site, zone);
    return answer;
  });
}

/** A site's reporting zone (TOKUMEI_SITE_TIMEZONES) as its last v2 answer named it (meta.site_time_zone). @type {Map<string, string>} */
export const siteZones = new Map();

/** @param {string} site @returns {Promise<Goal[]>} */
export const goalsOf = (site) => call(`/api/sites/${encodeURIComponent(site)}/goals`).then((/** @type {{ goals: Goal[] }} */ b) => b.goals);
/** @param {string} site @param {object[]} goals Goals as PUT takes them (no goal_type) */
export const saveGoals = (site, goals) => call(`/api/sites/${encodeURIComponent(site)}/goals`, { method: 'PUT', body: { goals } });
