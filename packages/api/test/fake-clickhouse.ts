import type { ClickHouseClient } from '@clickhouse/client';

export interface Call { query: string; query_params: Record<string, unknown>; clickhouse_settings?: unknown }

/**
 * A fake ClickHouse for the API's wiring tests (answers are tested on real chDB): query() records each call and
 * runs `answer` (rows, a thrown error, or a delay); insert() records what it is given.
 */
export function fakeClickHouse(answer: (call: Call, index: number) => Promise<unknown[]> = () => Promise.resolve([])) {
  const calls: Call[] = [];
  const inserts: unknown[] = [];
  const client = {
    ping: () => Promise.resolve({ success: true }),
    query: async (call: Call) => {
      calls.push(call);
      const rows = await answer(call, calls.length - 1);
      return { json: () => Promise.resolve(rows) };
    },
    insert: (params: unknown) => {
      inserts.push(params);
      return Promise.resolve({});
    },
  };
  return { client: client as unknown as ClickHouseClient, calls, inserts };
}
