import type { TimeRange } from '../time-range.js';

const DAY = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export interface EventsWindow {
  /** Whole UTC days inside events retention; `from >= to` when nothing of the range is kept. */
  readonly range: TimeRange;
  readonly warnings: string[];
  /** The window's bounds as ClickHouse DateTime parameters. */
  readonly params: { from: string; to: string };
}

/**
 * Goals are evaluated on `events`, so an answer covers whole UTC days (k is judged per day and salt domain) that
 * events retention still holds; the same rule, and the same warnings, as the v2 query's events answers.
 */
export function eventsWindow(asked: TimeRange, all: boolean, now: number, eventsTtlDays: number): EventsWindow {
  const warnings: string[] = [];
  const retained = Math.ceil((now - eventsTtlDays * DAY) / DAY) * DAY;
  let from = Math.floor(asked.from.getTime() / DAY) * DAY;
  const to = Math.ceil(asked.to.getTime() / DAY) * DAY;
  if (from !== asked.from.getTime() || to !== asked.to.getTime()) {
    warnings.push('date_range was widened to whole UTC days: k-anonymity is judged per day and salt domain');
  }
  if (from < retained) {
    from = retained;
    if (!all) warnings.push(`date_range starts before ${day(retained)}: events are kept ${eventsTtlDays} days (TOKUMEI_EVENTS_TTL_DAYS), so this answer covers ${day(retained)} onwards only`);
  }
  const range = { from: new Date(Math.min(from, to)), to: new Date(to) };
  const param = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');
  return { range, warnings, params: { from: param(range.from), to: param(range.to) } };
}

export const EVENTS_IN_RANGE = "site = {site:String} AND ts >= {from:DateTime('UTC')} AND ts < {to:DateTime('UTC')}";
