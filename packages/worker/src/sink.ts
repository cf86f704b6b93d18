import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import type { EventRow, SaltRecord } from '@tokumei/privacy';

export interface BotCount {
  readonly site: string;
  /** UTC day, YYYY-MM-DD. */
  readonly day: string;
  readonly bots: number;
}
import type { OffsetRange } from './chunks.js';

/** An insert ClickHouse drops if it saw the same token: in the table and in every materialized view it feeds. */
const DEDUPLICATED = { insert_deduplicate: 1, deduplicate_blocks_in_dependent_materialized_views: 1 } as const;

/** The worker's writes to ClickHouse. Every insert of event rows carries a deduplication token. */
export class ClickHouseSink {
  constructor(private readonly client: ClickHouseClient) {}

  async recordedRanges(topic: string, partition: number, from: bigint): Promise<OffsetRange[]> {
    const result = await this.client.query({
      query: `SELECT toString(first_offset) AS first, toString(last_offset) AS last, max(done) AS done FROM ingest_ranges
              WHERE topic = {topic:String} AND partition = {partition:UInt32} AND last_offset >= {from:UInt64}
              GROUP BY first_offset, last_offset ORDER BY first_offset`,
      query_params: { topic, partition, from: from.toString() },
      format: 'JSONEachRow',
    });
    return (await result.json<{ first: string; last: string; done: number }>())
      .map((r) => ({ first: BigInt(r.first), last: BigInt(r.last), done: Number(r.done) === 1 }));
  }

  async recordRange(topic: string, partition: number, range: Pick<OffsetRange, 'first' | 'last'>, done: boolean): Promise<void> {
    await this.client.insert({
      table: 'ingest_ranges',
      values: [{ topic, partition, first_offset: range.first.toString(), last_offset: range.last.toString(), done: done ? 1 : 0 }],
      format: 'JSONEachRow',
    });
  }

  insertEvents(rows: readonly EventRow[], token: string): Promise<void> {
    return this.insertOnce('events', rows, token);
  }

  /**
   * Event rows already encoded as JSONEachRow (a TransformPool's output), under the same token and settings as
   * insertEvents: sent as the body of the INSERT, so this thread neither decodes nor encodes them again.
   */
  async insertEncodedEvents(body: Uint8Array, token: string): Promise<void> {
    if (body.byteLength === 0) return;
    const result = await this.client.exec({
      query: 'INSERT INTO events FORMAT JSONEachRow',
      values: Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)], { objectMode: false }),
      clickhouse_settings: { ...DEDUPLICATED, insert_deduplication_token: token },
    });
    // The answer of an INSERT is empty, but over HTTP the socket is free only once it is read.
    for await (const chunk of result.stream) void chunk;
  }

  insertBots(rows: readonly BotCount[], token: string): Promise<void> {
    return this.insertOnce('bots_daily', rows, token);
  }

  async recordSalt(record: SaltRecord): Promise<void> {
    await this.client.insert({
      table: 'salt_log',
      values: [{
        day: record.day, commitment: record.commitment, created: Math.floor(record.created / 1000),
        destroyed: record.destroyed === undefined ? null : Math.floor(record.destroyed / 1000), version: record.destroyed ?? record.created,
      }],
      format: 'JSONEachRow',
    });
  }

  /** An insert ClickHouse drops if it saw the same token: in the table and in every materialized view it feeds. */
  private async insertOnce(table: string, rows: readonly object[], token: string): Promise<void> {
    if (rows.length === 0) return;
    await this.client.insert({
      table,
      values: rows,
      format: 'JSONEachRow',
      clickhouse_settings: { ...DEDUPLICATED, insert_deduplication_token: token },
    });
  }
}
