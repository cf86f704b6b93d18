// @ts-check
/* global uPlot, getComputedStyle, document, HTMLElement */
// The chart: visitors and page views per hour (a range of up to two days) or per day, ticks on whole hours or days,
// values on hover (uPlot's legend), and the compared period drawn dashed on the same buckets. Buckets are UTC, or the
// site's reporting zone where the answer says so (a filtered chart: v2's meta.time_zone); a zone's wall clock is drawn
// as if it were UTC, so the axis and the labels need no zone of their own.
import { call, query } from './api.js';
import { $ } from './dom.js';
import { bucket, bucketLong, metricValue } from './format.js';
import { t } from './i18n.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** @typedef {'hour' | 'day'} Interval */
/** @typedef {{ xs: number[], visitors: (number | null)[], pageviews: (number | null)[], zone: string }} Series */

/** @type {uPlot | undefined} */
let chart;

/** @param {{ from: string, to: string }} range @returns {Interval} */
export const intervalOf = (range) => ((Date.parse(range.to) - Date.parse(range.from)) / DAY + 1 <= 2 ? 'hour' : 'day');

/** @type {Map<string, Intl.DateTimeFormat>} */
const clocks = new Map();
/** The wall clock of `ms` in `zone`, to the hour, as a UTC timestamp. @param {number} ms @param {string} zone */
function wallClock(ms, zone) {
  if (zone === 'UTC') return Math.floor(ms / HOUR) * HOUR;
  const clock = clocks.get(zone) ?? new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric' });
  clocks.set(zone, clock);
  const part = (/** @type {string} */ type) => Number(clock.formatToParts(ms).find((p) => p.type === type)?.value);
  return Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'));
}

/**
 * Every bucket's start that the range's UTC days touch (the range is read in UTC days, cells are UTC days): in UTC the
 * range's hours or days; in another zone its hours on that clock, or its local days, one more at an edge where a UTC day
 * runs into the next local day. @param {{ from: string, to: string }} range @param {Interval} interval @param {string} zone
 */
function buckets(range, interval, zone) {
  const out = new Set();
  for (let at = Date.parse(range.from); at < Date.parse(range.to) + DAY; at += HOUR) {
    const wall = wallClock(at, zone);
    out.add(interval === 'hour' ? wall : Math.floor(wall / DAY) * DAY);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * Unfiltered: the site's totals per bucket (GET /api/stats/timeseries, every bucket, like the summary). Filtered:
 * v2's time buckets, each a k-judged group, so a bucket under k is withheld (null: a gap), never a false zero.
 * @param {{ site: string, from: string, to: string }} range @param {unknown[]} filters @param {Interval} interval
 * @returns {Promise<Series>}
 */
export async function loadSeries(range, filters, interval) {
  if (filters.length === 0) {
    const xs = buckets(range, interval, 'UTC');
    /** @type {{ series: { time: string, visitors: number, pageviews: number }[] }} */
    const body = await call('/api/stats/timeseries', { query: { site: range.site, from: range.from, to: range.to, interval } });
    const at = new Map(body.series.map((b) => [Date.parse(b.time), b]));
    return { xs, visitors: xs.map((x) => at.get(x)?.visitors ?? 0), pageviews: xs.map((x) => at.get(x)?.pageviews ?? 0), zone: 'UTC' };
  }
  const answer = await query(range, { metrics: ['visitors', 'pageviews'], dimensions: [interval === 'hour' ? 'time:hour' : 'time:day'], filters });
  // time:day answers 2026-11-29, time:hour 2026-11-29 13:00:00, both on the clock of meta.time_zone.
  const zone = answer.meta.time_zone ?? 'UTC';
  const xs = buckets(range, interval, zone);
  const at = new Map(answer.results.map((r) => [parseBucket(r.dimensions[0] ?? ''), r.metrics]));
  return { xs, visitors: xs.map((x) => at.get(x)?.[0] ?? null), pageviews: xs.map((x) => at.get(x)?.[1] ?? null), zone };
}

/** @param {string} s */
const parseBucket = (s) => Date.parse(s.length === 10 ? `${s}T00:00:00Z` : `${s.replace(' ', 'T')}Z`);

/** @param {string} name */
const cssVar = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/**
 * @param {Series} series @param {Series | undefined} compared @param {Interval} interval @param {boolean} filtered @param {number} k
 */
export function showChart(series, compared, interval, filtered, k) {
  const target = $('#chart', HTMLElement);
  const width = Math.max(300, target.clientWidth || 800);
  const step = interval === 'hour' ? 3600 : 86_400;
  // The compared period on the same buckets, by position (day 1 over day 1); a year's leap day falls off the end.
  /** @param {0 | 1} i */
  const align = (i) => series.xs.map((_, j) => (compared ? (i === 0 ? compared.visitors : compared.pageviews)[j] ?? null : null));
  /** @type {uPlot.AlignedData} */
  const data = [series.xs.map((x) => x / 1000), series.visitors, series.pageviews, ...(compared ? [align(0), align(1)] : [])];
  const fg = cssVar('--fg') || '#1d2330';
  const grid = cssVar('--line') || '#e4e7ec';
  /** @type {uPlot.Series['value']} */
  const hover = (_u, v) => metricValue('visitors', v);
  /** @type {uPlot.Series[]} */
  const lines = [
    { label: t(interval === 'hour' ? 'chart.hour' : 'chart.day', { zone: series.zone }), value: (_u, v) => (v === null ? '–' : bucketLong(v * 1000, interval, series.zone)) },
    { label: t('metric.visitors'), stroke: cssVar('--accent') || '#3d5afe', fill: cssVar('--accent-fill') || 'rgba(61,90,254,0.08)', width: 2, value: hover },
    { label: t('metric.pageviews'), stroke: cssVar('--green') || '#12b76a', width: 2, value: hover },
  ];
  if (compared) {
    lines.push({ label: t('chart.previous', { metric: t('metric.visitors') }), stroke: cssVar('--accent') || '#3d5afe', dash: [6, 4], width: 1, value: hover },
      { label: t('chart.previous', { metric: t('metric.pageviews') }), stroke: cssVar('--green') || '#12b76a', dash: [6, 4], width: 1, value: hover });
  }
  /** @type {uPlot.Axis} */
  const x = {
    stroke: fg, grid: { stroke: grid }, ticks: { stroke: grid },
    // Only whole buckets: hours (every 1, 2, 3, 6 or 12) on an hourly chart, days (every 1, 2, 7, 14) on a daily one.
    incrs: interval === 'hour' ? [3600, 7200, 10_800, 21_600, 43_200] : [86_400, 2 * 86_400, 7 * 86_400, 14 * 86_400, 28 * 86_400],
    values: (_u, splits) => splits.map((s) => bucket(s * 1000, interval)),
    space: interval === 'hour' ? 50 : 60,
  };
  if (chart) chart.destroy();
  chart = new uPlot({
    width, height: 280, tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    series: lines,
    scales: { x: { time: true, range: (_u, min, max) => [min, Math.max(max, min + step)] } },
    axes: [x, { stroke: fg, grid: { stroke: grid }, ticks: { stroke: grid }, size: 60, values: (_u, splits) => splits.map((s) => metricValue('visitors', s)) }],
  }, data, target);
  target.dataset.points = String(series.xs.length);
  target.dataset.interval = interval;
  target.dataset.zone = series.zone;
  const note = $('#chart-note', HTMLElement);
  note.hidden = !filtered;
  note.textContent = filtered ? t('chart.gaps', { k }) : '';
}

/** Redraws at the new width (a rotated phone, a resized window). */
export function resizeChart() {
  const target = document.querySelector('#chart');
  if (chart && target instanceof HTMLElement && target.clientWidth > 0) chart.setSize({ width: Math.max(300, target.clientWidth), height: 280 });
}
