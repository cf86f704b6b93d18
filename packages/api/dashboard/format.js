// @ts-check
// Numbers, durations and dates for the chosen locale (Intl). Days and hours are formatted as UTC: the days visitors are
// counted in, or a site's reporting zone that chart.js hands over as its wall clock; nothing here knows the viewer's
// time zone except the note that says what UTC midnight is locally.
import { locale, t } from './i18n.js';

/** @param {number} n */
export const number = (n) => new Intl.NumberFormat(locale()).format(n);
/** v2 answers percentages as numbers of percent (bounce_rate 42, conversion_rate 12.5). @param {number} n */
export const percent = (n) => new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 2 }).format(n / 100);
/** @param {number} seconds */
export function duration(seconds) {
  const s = Math.round(seconds);
  return s >= 60 ? t('duration.ms', { m: number(Math.floor(s / 60)), s: s % 60 }) : t('duration.s', { s });
}
/** A signed relative change, +12% / −3%. @param {number} fraction */
export const change = (fraction) => new Intl.NumberFormat(locale(), { style: 'percent', signDisplay: 'exceptZero', maximumFractionDigits: 0 }).format(fraction);

/** @param {number} ms @param {'hour' | 'day'} interval */
export function bucket(ms, interval) {
  const options = interval === 'hour' ? { hour: 'numeric', minute: '2-digit' } : { month: 'short', day: 'numeric' };
  return new Intl.DateTimeFormat(locale(), { timeZone: 'UTC', .../** @type {Intl.DateTimeFormatOptions} */ (options) }).format(ms);
}
/**
 * The hover label: the whole date, and the hour for an hourly chart. `zone` names the clock `ms` is on (a site's
 * reporting zone, chart.js draws its wall clock as if it were UTC). @param {number} ms @param {'hour' | 'day'} interval @param {string} [zone]
 */
export function bucketLong(ms, interval, zone = 'UTC') {
  /** @type {Intl.DateTimeFormatOptions} */
  const options = interval === 'hour' ? { dateStyle: 'medium', timeStyle: 'short' } : { dateStyle: 'full' };
  return `${new Intl.DateTimeFormat(locale(), { timeZone: 'UTC', ...options }).format(ms)} ${zone}`;
}
/** What 00:00 UTC is on the viewer's clock, for the note ("09:00 in Tokyo"). */
export function utcMidnightLocally() {
  return new Intl.DateTimeFormat(locale(), { hour: 'numeric', minute: '2-digit', timeZoneName: 'short' }).format(Date.UTC(2026, 0, 1));
}

/** Formats one v2 metric's value; null (withheld below k) is a dash. @param {string} metric @param {number | null | undefined} value */
export function metricValue(metric, value) {
  if (value === null || value === undefined) return '–';
  if (metric === 'bounce_rate' || metric === 'conversion_rate' || metric === 'scroll_depth') return percent(value);
  if (metric === 'visit_duration' || metric === 'time_on_page') return duration(value);
  if (metric === 'views_per_visit') return new Intl.NumberFormat(locale(), { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value);
  return number(value);
}
