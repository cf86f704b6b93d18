export { Worker, type WorkerDeps, type RetryPolicy } from './worker.js';
export { ClickHouseSink } from './sink.js';
export { cutChunks, dedupToken, type Chunk, type OffsetRange } from './chunks.js';
export { createWorkerMetrics, type WorkerMetrics } from './metrics.js';
export { handleDirect, IMPORT_CHUNK_RECORDS } from './direct.js';
export { TransformPool, defaultThreads, type TransformPoolOptions } from './transform-pool.js';
export type { TransformOutput } from './transform-batch.js';
