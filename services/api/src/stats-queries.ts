import type { ClickHouseClient } from '@clickhouse/client';
import { chDateTime, type TimeRange } from './time-range.js';

export interface Summary {
  pageviews: number;
  visitors: number;
  sessions: number;
}

export interface Bucket extends Summary {
  time: string;
}

export type Interval = 'hour' | 'day';

/**
 * Statistics come from aggregates only; no query here reads the events table. Values are passed as query
 * parameters, never spliced into SQL. Visitor and session counts use `uniq` (approximate above ~65k distinct values).
 */
export class StatsQueries {
  constructor(private readonly client: ClickHouseClient) {}

  async summary(site: string, range: TimeRange): Promise<Summary> {
    const result = await this.client.query({
      query: `SELECT toUInt64(sum(pageviews)) AS pageviews, toUInt64(uniqMerge(visitors)) AS visitors, toUInt64(uniqMerge(sessions)) AS sessions
              FROM agg_pages_hourly
              WHERE site = {site:String} AND hour >= toStartOfHour({from:DateTime('UTC')}) AND hour < {to:DateTime('UTC')}`,
      query_params: { site, from: chDateTime(range.from), to: chDateTime(range.to) },
      format: 'JSONEachRow',
    });
    const row = (await result.json<Record<keyof Summary, string | number>>())[0];
    return { pageviews: Number(row?.pageviews ?? 0), visitors: Number(row?.visitors ?? 0), sessions: Number(row?.sessions ?? 0) };
  }

  async timeseries(site: string, range: TimeRange, interval: Interval): Promise<Bucket[]> {
    const bucket = interval === 'hour' ? 'toStartOfHour(hour)' : 'toStartOfDay(hour)';
    const step = interval === 'hour' ? 'INTERVAL 1 HOUR' : 'INTERVAL 1 DAY';
    const start = interval === 'hour' ? "toStartOfHour({from:DateTime('UTC')})" : "toStartOfDay({from:DateTime('UTC')})";
    const result = await this.client.query({
      query: `SELECT ${bucket} AS t, toUInt64(sum(pageviews)) AS pageviews, toUInt64(uniqMerge(visitors)) AS visitors,
                     toUInt64(uniqMerge(sessions)) AS sessions
              FROM agg_pages_hourly
              WHERE site = {site:String} AND hour >= toStartOfHour({from:DateTime('UTC')}) AND hour < {to:DateTime('UTC')}
              GROUP BY t
              ORDER BY t WITH FILL FROM ${start} TO {to:DateTime('UTC')} STEP ${step}`,
      query_params: { site, from: chDateTime(range.from), to: chDateTime(range.to) },
      format: 'JSONEachRow',
    });
    return (await result.json<{ t: string; pageviews: string | number; visitors: string | number; sessions: string | number }>())
      .map((r) => ({
        time: `${r.t.replace(' ', 'T')}Z`,
        pageviews: Number(r.pageviews),
        visitors: Number(r.visitors),
        sessions: Number(r.sessions),
      }));
  }
}
