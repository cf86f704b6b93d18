import { TokumeiError } from '@tokumei/config';

export interface TimeRange {
  /** Inclusive start. */
  readonly from: Date;
  /** Exclusive end. */
  readonly to: Date;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/;
const DAY = 86_400_000;
const MAX_RANGE_DAYS = 800;

function parse(name: string, value: string, endOfDay: boolean): Date {
  if (DATE_ONLY.test(value)) {
    const date = new Date(`${value}T00:00:00Z`);
    if (!Number.isNaN(date.getTime()) && date.toISOString().startsWith(value)) {
      // A date as `to` means "through that day", as in every analytics date picker.
      return endOfDay ? new Date(date.getTime() + DAY) : date;
    }
  } else if (DATETIME.test(value)) {
    const date = new Date(/Z|[+-]\d{2}:\d{2}$/.test(value) ? value : `${value}Z`);
    // JavaScript rolls 2026-02-30 over to March; a date that does not exist is an error, as for plain dates.
    const day = new Date(`${value.slice(0, 10)}T00:00:00Z`);
    if (!Number.isNaN(date.getTime()) && !Number.isNaN(day.getTime()) && day.toISOString().startsWith(value.slice(0, 10))) return date;
  }
  throw new TokumeiError('TKM_INVALID_QUERY', `${name} must be an ISO date (YYYY-MM-DD) or datetime in UTC`);
}

/** Default: the last 7 days up to now. Dates are UTC days; `to` as a date includes that whole day. */
export function parseRange(query: { from?: string; to?: string }, now: number): TimeRange {
  const to = query.to === undefined ? new Date(now) : parse('to', query.to, true);
  // Seven whole days ending with the day that holds the last instant before `to`.
  const from = query.from === undefined ? new Date(Math.floor((to.getTime() - 1) / DAY) * DAY - 6 * DAY) : parse('from', query.from, false);
  if (from.getTime() >= to.getTime()) throw new TokumeiError('TKM_INVALID_QUERY', 'from must be before to');
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY) throw new TokumeiError('TKM_INVALID_QUERY', `the range may span at most ${MAX_RANGE_DAYS} days`);
  return { from, to };
}

/** ClickHouse DateTime parameter text (UTC, second precision). */
export function chDateTime(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/** The period of the same length that ends where `range` starts, for "compared with the previous period". */
export function previousRange(range: TimeRange): TimeRange {
  const length = range.to.getTime() - range.from.getTime();
  return { from: new Date(range.from.getTime() - length), to: range.from };
}
