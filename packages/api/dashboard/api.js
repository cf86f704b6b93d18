// @ts-check
/* global fetch, sessionStorage, URLSearchParams */
// The API client: every number on the page is one of these answers. Requests carry the admin token
// (sessionStorage) or, in a shared view, the shared link's credentials (share.js sets them with useShare()).

/** @typedef {import('./state.js').Filter} Filter */
/** @typedef {{ goal_type: 'page' | 'event', page_path?: string, event_name?: string, display_name: string }} Goal */
/** @typedef {{ metrics: (number | null)[], dimensions: string[] }} Row */
/** @typedef {{ results: Row[], meta: { min_visitors: number, folded?: boolean, other?: Row, total_rows?: number, warnings?: string[] } }} Answer */

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

/** A page goal's pattern as RE2, the goals model's rule: `*` within one segment, `**` across, the whole path. @param {string} pattern */
export function goalPattern(pattern) {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  return `^${escaped.replace(/\*\*|\*/g, (m) => (m === '**' ? '.*' : '[^/]*'))}$`;
}

/**
 * The dashboard's filters as v2 filters. A goal filter becomes its condition (a page pattern, or the event's name),
 * so every card and table can be filtered by it. @param {Filter[]} filters @param {Goal[]} goals
 * @returns {unknown[]}
 */
export function v2Filters(filters, goals) {
  return filters.flatMap((f) => /** @type {unknown[]} */ (v2Filter(f, goals)));
}

/** @param {Filter} f @param {Goal[]} goals @returns {unknown[]} */
function v2Filter(f, goals) {
  if (f.op !== 'goal') return [[f.op, f.dim, f.values]];
  /** @type {unknown[]} */
  const conditions = f.values.map((name) => goals.find((g) => g.display_name === name)).flatMap((goal) => {
    if (goal === undefined) return [];
    return goal.goal_type === 'page' ? [['matches', 'event:page', [goalPattern(goal.page_path ?? '')]]] : [['is', 'event:name', [goal.event_name ?? '']]];
  });
  // A goal the site no longer has matches nothing, rather than silently dropping the filter.
  if (conditions.length === 0) return [['is', 'event:name', ['(unknown goal)']]];
  return conditions.length === 1 ? conditions : [['or', conditions]];
}

/** Filters the goal routes take: visit properties and goal names; the rest is left out (the page says so). @param {Filter[]} filters */
export function goalRouteFilters(filters) {
  return filters.flatMap((f) => {
    if (f.op === 'goal') return [['is', 'event:goal', f.values]];
    return f.dim.startsWith('visit:') ? [[f.op, f.dim, f.values]] : [];
  });
}

/** @param {Filter[]} filters */
export const hasNonVisitFilter = (filters) => filters.some((f) => f.op !== 'goal' && !f.dim.startsWith('visit:'));

/**
 * @param {{ site: string, from: string, to: string }} range
 * @param {{ metrics: string[], dimensions?: string[], filters?: unknown[], limit?: number, totalRows?: boolean }} question
 * @returns {Promise<Answer>}
 */
export function query(range, question) {
  return call('/api/v2/query', {
    body: {
      site_id: range.site, date_range: [range.from, range.to], metrics: question.metrics,
      ...(question.dimensions ? { dimensions: question.dimensions } : {}),
      ...(question.filters && question.filters.length > 0 ? { filters: question.filters } : {}),
      ...(question.limit ? { pagination: { limit: question.limit } } : {}),
      ...(question.totalRows ? { include: { total_rows: true } } : {}),
    },
  });
}

/** @param {string} site @returns {Promise<Goal[]>} */
export const goalsOf = (site) => call(`/api/sites/${encodeURIComponent(site)}/goals`).then((/** @type {{ goals: Goal[] }} */ b) => b.goals);
/** @param {string} site @param {object[]} goals Goals as PUT takes them (no goal_type) */
export const saveGoals = (site, goals) => call(`/api/sites/${encodeURIComponent(site)}/goals`, { method: 'PUT', body: { goals } });
