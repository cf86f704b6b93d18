import type { ClickHouseClient } from '@clickhouse/client';
import { TokumeiError } from '@tokumei/errors';

/** What one API request may cost ClickHouse. Embedded mode shares one chDB session with the worker (see README). */
export interface QueryLimits {
  /** Wall-clock time all queries of one request may take together, in ms. */
  readonly requestMs: number;
  /** Memory one query may use, in bytes (ClickHouse's max_memory_usage). */
  readonly memoryBytes: number;
  /** Rows one query may answer; the largest legitimate answer is a 1,001-row breakdown. */
  readonly resultRows: number;
}

export const DEFAULT_LIMITS: QueryLimits = { requestMs: 4000, memoryBytes: 256 * 1024 * 1024, resultRows: 5000 };

/** The only way API routes read ClickHouse: every query carries the limits, every failure leaves as a known code. */
export interface StatsDb {
  rows<T>(query: string, params: Record<string, unknown>): Promise<T[]>;
}

/** ClickHouse stopped the query because of one of its limits (ours, or the server's own). */
const LIMIT_TYPES = new Set(['TIMEOUT_EXCEEDED', 'MEMORY_LIMIT_EXCEEDED', 'TOO_MANY_ROWS_OR_BYTES', 'QUERY_WAS_CANCELLED']);
/** ClickHouse answered, but cannot run a query now. */
const BUSY_TYPES = new Set(['TOO_MANY_SIMULTANEOUS_QUERIES', 'ABORTED', 'SOCKET_TIMEOUT', 'NETWORK_ERROR', 'ALL_CONNECTION_TRIES_FAILED']);
/** Node's and undici's codes for a transport that did not get an answer. */
const TRANSPORT_CODE = /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/;
/** @clickhouse/client (request_timeout, closed socket) and chDB (session closed at shutdown) say so only in words. */
const TRANSPORT_MESSAGE = /^(Timeout error\.|socket hang up|.*connection (is )?(closed|refused).*|Client is closed)$/i;

/**
 * Sorts a failed query into what the client should do: 503 TKM_QUERY_LIMIT (the query was stopped by a limit),
 * 503 TKM_STORE_UNAVAILABLE (ClickHouse did not answer or cannot run queries now), or the error itself (a bug, so
 * a logged 500). ClickHouse errors are recognised by shape: chDB carries its own copy of the error class.
 */
export function storeError(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof TokumeiError) return error;
  const { code, type } = error as { code?: unknown; type?: unknown };
  if (typeof type === 'string' && LIMIT_TYPES.has(type)) return new TokumeiError('TKM_QUERY_LIMIT', undefined, { cause: error });
  if (typeof type === 'string' && BUSY_TYPES.has(type)) return new TokumeiError('TKM_STORE_UNAVAILABLE', undefined, { cause: error });
  if (typeof type !== 'string' && ((typeof code === 'string' && TRANSPORT_CODE.test(code)) || TRANSPORT_MESSAGE.test(error.message))) {
    return new TokumeiError('TKM_STORE_UNAVAILABLE', undefined, { cause: error });
  }
  return error;
}

/**
 * A StatsDb for one request: the limits go into each query's own SETTINGS clause, not `clickhouse_settings`,
 * because chDB's connection turns those into session-wide `SET`s that would then bind the worker's inserts and
 * rollups in the same session (checked with chdb 3.4.0). Values here are numbers from code, never input.
 */
export function limitedDb(client: ClickHouseClient, limits: QueryLimits, now: () => number = Date.now): StatsDb {
  const deadline = now() + limits.requestMs;
  return {
    async rows<T>(query: string, params: Record<string, unknown>): Promise<T[]> {
      const left = deadline - now();
      if (left <= 0) throw new TokumeiError('TKM_QUERY_LIMIT');
      // In whole milliseconds, at least one: ClickHouse reads 0 as "no limit".
      const settings = `SETTINGS max_execution_time = ${(Math.max(1, Math.ceil(left)) / 1000).toFixed(3)}, timeout_overflow_mode = 'throw',
        max_memory_usage = ${Math.floor(limits.memoryBytes)}, max_result_rows = ${Math.floor(limits.resultRows)}, result_overflow_mode = 'throw'`;
      try {
        const result = await client.query({ query: `${query}\n${settings}`, query_params: params, format: 'JSONEachRow' });
        return await result.json<T>();
      } catch (error) {
        throw storeError(error);
      }
    },
  };
}
