import { TokumeiError, isTokumeiError } from '@tokumei/errors';
import type { Cell } from './csv.js';

/**
 * The export's tables, after Plausible's dashboard export (file names, columns, the v2 question of each), each
 * answered by `POST /api/v2/query`'s own model with the view's filters added. `fallback` is the metrics kept when the
 * view's filters make v2 refuse the full list (visit metrics with an `event:name` filter): v2's rules stay v2's.
 */
export interface TableSpec {
  readonly name: string;
  /** Header cells of the dimension columns, in the order of `dimensions`. */
  readonly columns: readonly string[];
  readonly dimensions: readonly string[];
  readonly metrics: readonly string[];
  readonly fallback: readonly string[];
  /** Filters always added (Plausible leaves out visits without a UTM value). */
  readonly filters?: readonly unknown[];
}

const VISIT_METRICS = ['visitors', 'bounce_rate', 'visit_duration'] as const;
const utm = (name: string, dimension: string): TableSpec => ({
  name, columns: ['name'], dimensions: [dimension], metrics: VISIT_METRICS, fallback: ['visitors'], filters: [['is_not', dimension, ['']]],
});
const visitorsOnly = (name: string, dimensions: readonly string[], columns: readonly string[] = ['name']): TableSpec => ({
  name, columns, dimensions, metrics: ['visitors'], fallback: ['visitors'],
});

export const TABLES: readonly TableSpec[] = [
  { name: 'visitors', columns: ['date'], dimensions: ['time'], metrics: ['visitors', 'pageviews', 'visits', 'bounce_rate', 'visit_duration'], fallback: ['visitors', 'pageviews'] },
  { name: 'pages', columns: ['name'], dimensions: ['event:page'], metrics: ['visitors', 'pageviews', 'bounce_rate', 'time_on_page', 'scroll_depth'], fallback: ['visitors', 'pageviews'] },
  { name: 'entry_pages', columns: ['name'], dimensions: ['visit:entry_page'], metrics: ['visitors', 'visits', 'bounce_rate', 'visit_duration'], fallback: ['visitors'] },
  { name: 'exit_pages', columns: ['name'], dimensions: ['visit:exit_page'], metrics: ['visitors', 'visits'], fallback: ['visitors'] },
  { name: 'sources', columns: ['name'], dimensions: ['visit:source'], metrics: VISIT_METRICS, fallback: ['visitors'] },
  { name: 'referrers', columns: ['name'], dimensions: ['visit:referrer'], metrics: VISIT_METRICS, fallback: ['visitors'] },
  utm('utm_mediums', 'visit:utm_medium'),
  utm('utm_sources', 'visit:utm_source'),
  utm('utm_campaigns', 'visit:utm_campaign'),
  utm('utm_contents', 'visit:utm_content'),
  utm('utm_terms', 'visit:utm_term'),
  visitorsOnly('countries', ['visit:country']),
  visitorsOnly('browsers', ['visit:browser']),
  visitorsOnly('browser_versions', ['visit:browser', 'visit:browser_version'], ['name', 'version']),
  visitorsOnly('operating_systems', ['visit:os']),
  visitorsOnly('operating_system_versions', ['visit:os', 'visit:os_version'], ['name', 'version']),
  visitorsOnly('devices', ['visit:device']),
  { name: 'conversions', columns: ['name'], dimensions: ['event:goal'], metrics: ['visitors', 'events', 'conversion_rate'], fallback: ['visitors', 'events'] },
];
/** `custom_props.csv`: one question per allow-listed key, rows concatenated, the key as the first column. */
export const CUSTOM_PROPS = { name: 'custom_props', columns: ['property', 'value'], metrics: ['visitors', 'events', 'percentage'], fallback: ['visitors', 'events'] } as const;
export const TABLE_NAMES: readonly string[] = [...TABLES.map((t) => t.name), CUSTOM_PROPS.name];

/** Rows per table: v2's page limit. */
export const ROWS_PER_TABLE = 1000;

export interface V2Row { metrics: (number | null)[]; dimensions: string[] }
export interface V2Answer { results: V2Row[]; meta: Record<string, unknown>; query?: Record<string, unknown> }
/** Answers a v2 body as `POST /api/v2/query` does. */
export type AskV2 = (body: Record<string, unknown>) => Promise<V2Answer>;

/** The view: the site, range and filters every table is asked with. */
export interface ExportView { readonly siteId: string; readonly dateRange: unknown; readonly filters: readonly unknown[] }

export interface CsvTable { readonly name: string; readonly header: string[]; readonly rows: Cell[][] }

const isRefusal = (error: unknown) => isTokumeiError(error) && error.code === 'TKM_INVALID_QUERY';

/** The v2 body of one table, with the view's filters. */
export function tableBody(view: ExportView, dimensions: readonly string[], metrics: readonly string[], filters: readonly unknown[] = []): Record<string, unknown> {
  const body: Record<string, unknown> = {
    site_id: view.siteId, date_range: view.dateRange, metrics: [...metrics], dimensions: [...dimensions], filters: [...view.filters, ...filters],
  };
  // The goals' model answers every goal in one list and takes no pagination (routes/goals.ts).
  if (!dimensions.includes('event:goal')) body.pagination = { limit: ROWS_PER_TABLE };
  return body;
}

/** The rows of an answer, then the `(other)` row of `meta.other` when v2 shows one. */
function answerRows(answer: V2Answer, prefix: readonly Cell[] = []): Cell[][] {
  const rows: Cell[][] = answer.results.map((r) => [...prefix, ...r.dimensions, ...r.metrics]);
  const other = answer.meta.other as V2Row | undefined;
  if (other !== undefined) rows.push([...prefix, ...other.dimensions, ...other.metrics]);
  return rows;
}

/** Asks the full metric list, then the fallback if v2 refuses it; a refusal of the fallback is the caller's. */
async function askWithFallback(ask: AskV2, view: ExportView, dimensions: readonly string[], spec: { metrics: readonly string[]; fallback: readonly string[]; filters?: readonly unknown[] }) {
  try {
    return { metrics: spec.metrics, answer: await ask(tableBody(view, dimensions, spec.metrics, spec.filters)) };
  } catch (error) {
    if (!isRefusal(error) || spec.fallback.length === spec.metrics.length) throw error;
    return { metrics: spec.fallback, answer: await ask(tableBody(view, dimensions, spec.fallback, spec.filters)) };
  }
}

export async function exportTable(ask: AskV2, view: ExportView, spec: TableSpec): Promise<CsvTable> {
  const { metrics, answer } = await askWithFallback(ask, view, spec.dimensions, spec);
  return { name: spec.name, header: [...spec.columns, ...metrics], rows: answerRows(answer) };
}

export async function exportCustomProps(ask: AskV2, view: ExportView, keys: readonly string[]): Promise<CsvTable> {
  let header: string[] = [...CUSTOM_PROPS.columns, ...CUSTOM_PROPS.metrics];
  const rows: Cell[][] = [];
  for (const key of keys) {
    const { metrics, answer } = await askWithFallback(ask, view, [`event:props:${key}`], CUSTOM_PROPS);
    header = [...CUSTOM_PROPS.columns, ...metrics];
    rows.push(...answerRows(answer, [key]));
  }
  return { name: CUSTOM_PROPS.name, header, rows };
}

/** A table by name, for `format=csv&table=…`. */
export function tableSpec(name: string): TableSpec | typeof CUSTOM_PROPS {
  const spec = name === CUSTOM_PROPS.name ? CUSTOM_PROPS : TABLES.find((t) => t.name === name);
  if (spec === undefined) throw new TokumeiError('TKM_INVALID_QUERY', `table: must be one of ${TABLE_NAMES.join(', ')}`);
  return spec;
}

/**
 * Every table of the view. The first (visitors) takes any filter v2 takes, so its refusal is the view's and is
 * answered as the 400 it is; a later table v2 refuses even with its fallback (conversions take visit filters only)
 * is left out and named in `omitted`.
 */
export async function exportAll(ask: AskV2, view: ExportView, propKeys: readonly string[]): Promise<{ tables: CsvTable[]; omitted: string[]; dateRange: unknown }> {
  const tables: CsvTable[] = [];
  const omitted: string[] = [];
  let dateRange: unknown;
  // The range as v2 resolved it (its answer's `query.date_range`), for the file name.
  const first: AskV2 = async (body) => {
    const answer = await ask(body);
    dateRange ??= answer.query?.date_range;
    return answer;
  };
  for (const [i, spec] of TABLES.entries()) {
    try {
      tables.push(await exportTable(i === 0 ? first : ask, view, spec));
    } catch (error) {
      if (i === 0 || !isRefusal(error)) throw error;
      omitted.push(spec.name);
    }
  }
  if (propKeys.length > 0) {
    try {
      tables.push(await exportCustomProps(ask, view, propKeys));
    } catch (error) {
      if (!isRefusal(error)) throw error;
      omitted.push(CUSTOM_PROPS.name);
    }
  }
  return { tables, omitted, dateRange };
}
