import { Counter, Histogram, type Registry } from 'prom-client';

export interface WorkerMetrics {
  readonly records: Counter<'result'>;
  readonly rows: Counter;
  readonly chunkSeconds: Histogram;
  readonly storeRetries: Counter;
  /** Custom properties by outcome: kept, dropped (key not allow-listed), replaced (value held personal data). */
  readonly props: Counter<'result'>;
}

export function createWorkerMetrics(registry: Registry): WorkerMetrics {
  return {
    records: new Counter({ name: 'tokumei_worker_records_total', help: 'Raw records consumed, by outcome', labelNames: ['result'], registers: [registry] }),
    props: new Counter({ name: 'tokumei_worker_props_total', help: 'Custom properties of stored records, by outcome (kept, dropped, replaced)', labelNames: ['result'], registers: [registry] }),
    storeRetries: new Counter({ name: 'tokumei_worker_store_retries_total', help: 'ClickHouse writes that failed and were retried', registers: [registry] }),
    rows: new Counter({ name: 'tokumei_worker_rows_inserted_total', help: 'Event rows inserted into ClickHouse', registers: [registry] }),
    chunkSeconds: new Histogram({
      name: 'tokumei_worker_chunk_seconds', help: 'Time to pseudonymize and insert one chunk', registers: [registry],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
  };
}
