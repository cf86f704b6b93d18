import { TokumeiError } from '@tokumei/errors';

export interface TimeRange {
  /** Inclusive start. */
  readonly from: Date;
  /** Exclusive end. */
  readonly to: Date;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const MAX_RANGE_DAYS = 800;
/**
 * ClickHouse's DateTime ends at 2106-02-07 06:28:15 and saturates beyond it, so a later bound would not be refused
 * there but silently clamped: a WITH FILL that steps past the end wraps to 1970 and never stops (measured: 146 s,
 * 17 GB). Every bound of a range is kept inside [1970-01-01, 2106-02-07], where step and day arithmetic stay exact.
 */
const EARLIEST = Date.parse('1970-01-01T00:00:00Z');
const LATEST = Date.parse('2106-02-07T00:00:00Z');
/**
 * Most buckets a timeseries answers: hourly for up to 32 days (a month at any start hour), daily for the longest
 * range (800 days can touch 801 UTC days).
 */
export const MAX_BUCKETS = { hour: 32 * 24, day: MAX_RANGE_DAYS + 1 } as const;

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

function inBounds(name: string, date: Date): Date {
  if (date.getTime() < EARLIEST || date.getTime() > LATEST) {
    throw new TokumeiError('TKM_INVALID_QUERY', `${name} must lie between 1970-01-01 and 2106-02-07 00:00 UTC (the range of ClickHouse's DateTime)`);
  }
  return date;
}

/** Default: the last 7 days up to now. Dates are UTC days; `to` as a date includes that whole day. */
export function parseRange(query: { from?: string; to?: string }, now: number): TimeRange {
  const to = inBounds('to', query.to === undefined ? new Date(now) : parse('to', query.to, true));
  // Seven whole days ending with the day that holds the last instant before `to`.
  const from = inBounds('from', query.from === undefined ? new Date(Math.max(EARLIEST, Math.floor((to.getTime() - 1) / DAY) * DAY - 6 * DAY))
    : parse('from', query.from, false));
  if (from.getTime() >= to.getTime()) throw new TokumeiError('TKM_INVALID_QUERY', 'from must be before to');
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY) throw new TokumeiError('TKM_INVALID_QUERY', `the range may span at most ${MAX_RANGE_DAYS} days`);
  return { from, to };
}

/** Refuses a timeseries with more buckets than MAX_BUCKETS, before any query: its answer and its fill would be unbounded. */
export function assertBuckets(range: TimeRange, interval: 'hour' | 'day'): void {
  const step = interval === 'hour' ? HOUR : DAY;
  const buckets = Math.ceil((range.to.getTime() - Math.floor(range.from.getTime() / step) * step) / step);
  if (buckets > MAX_BUCKETS[interval]) {
    const advice = interval === 'hour' ? 'a shorter range or interval=day' : 'a shorter range';
    throw new TokumeiError('TKM_INVALID_QUERY', `interval=${interval} allows at most ${MAX_BUCKETS[interval]} buckets, this range has ${buckets}: ask for ${advice}`);
  }
}

/** ClickHouse DateTime parameter text (UTC, second precision). */
export function chDateTime(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/** The period of the same length that ends where `range` starts, for "compared with the previous period". */
export function previousRange(range: TimeRange): TimeRange {
  const length = range.to.getTime() - range.from.getTime();
  // Nothing was stored before 1970, and ClickHouse's DateTime cannot say it: the period just before stops there.
  return { from: new Date(Math.max(EARLIEST, range.from.getTime() - length)), to: range.from };
}
