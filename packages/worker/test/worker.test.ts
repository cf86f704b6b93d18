import { describe, it, expect, vi } from 'vitest';
import { MemoryBus, type BatchHandler, type ConsumedMessage, type PartitionBatch, type Subscriber } from '@tokumei/bus';
import { MemorySaltStore, Pseudonymizer, type EventRow } from '@tokumei/privacy';
import { RAW_RECORD_VERSION, encodeRawRecord, type RawRecord } from '@tokumei/schema';
import { Worker, createWorkerMetrics, type ClickHouseSink, type OffsetRange } from '@tokumei/worker';
import { Registry } from 'prom-client';
import { captureLogs } from '../../../test/helpers/logs.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const IP = '203.0.113.7';
const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0 TkmCanary/1.0';
const SID = 'sid-secret-123';
const TOPIC = 'raw';

function record(i: number, overrides: Partial<RawRecord> = {}): RawRecord {
  return {
    v: RAW_RECORD_VERSION, src: 'beacon', ts: NOW + i, site: 'example.com', url: `https://example.com/p${i}?email=x`,
    sid: SID, event: 'pageview', ip: IP, ua: UA, dnt: false, gpc: false, ...overrides,
  };
}

type SinkEvent =
  | { kind: 'lookup'; from: bigint }
  | { kind: 'range'; first: bigint; last: bigint; done: boolean }
  | { kind: 'insert'; token: string; paths: string[] }
  | { kind: 'insert-failed'; token: string }
  | { kind: 'commit'; next: bigint };

/** Stands in for ClickHouseSink: remembers ranges, records every call in one timeline shared with commits. */
class FakeSink {
  readonly events: SinkEvent[] = [];
  readonly ranges: OffsetRange[] = [];
  readonly rows: EventRow[] = [];
  /** Inserts to fail; `landed` simulates an insert that ClickHouse stored although the client saw an error. */
  failures: { landed: boolean }[] = [];

  recordedRanges(_topic: string, _partition: number, from: bigint): Promise<OffsetRange[]> {
    this.events.push({ kind: 'lookup', from });
    return Promise.resolve(this.ranges.filter((r) => r.last >= from));
  }

  recordRange(_topic: string, _partition: number, range: Pick<OffsetRange, 'first' | 'last'>, done: boolean): Promise<void> {
    this.events.push({ kind: 'range', first: range.first, last: range.last, done });
    const known = this.ranges.findIndex((r) => r.first === range.first && r.last === range.last);
    const entry = { first: range.first, last: range.last, done: done || (this.ranges[known]?.done ?? false) };
    if (known === -1) this.ranges.push(entry);
    else this.ranges[known] = entry;
    return Promise.resolve();
  }

  insertEvents(rows: readonly EventRow[], token: string): Promise<void> {
    const failure = this.failures.shift();
    const duplicate = this.events.some((e) => e.kind === 'insert' && e.token === token);
    if (failure === undefined || failure.landed) {
      // ClickHouse drops a block whose token it has seen: model that, so double counting shows up in `rows`.
      if (!duplicate) this.rows.push(...rows);
      this.events.push({ kind: 'insert', token, paths: rows.map((r) => r.path) });
    }
    if (failure !== undefined) {
      this.events.push({ kind: 'insert-failed', token });
      return Promise.reject(new Error('clickhouse timeout'));
    }
    return Promise.resolve();
  }

  readonly bots: { site: string; day: string; bots: number }[] = [];

  insertBots(rows: readonly { site: string; day: string; bots: number }[], _token: string): Promise<void> {
    this.bots.push(...rows);
    return Promise.resolve();
  }

  asSink(): ClickHouseSink {
    return this as unknown as ClickHouseSink;
  }
}

/** Wraps a subscriber so that every commit lands in the sink's timeline. */
function tracingSubscriber(inner: Subscriber, sink: FakeSink): Subscriber {
  return {
    run: (handler: BatchHandler) => inner.run((batch) => handler({
      ...batch,
      commit: async (next) => {
        sink.events.push({ kind: 'commit', next });
        await batch.commit(next);
      },
      heartbeat: () => batch.heartbeat(),
    })),
    stop: () => inner.stop(),
  };
}

function setup(options: { batchSize?: number; maxBatch?: number } = {}) {
  const bus = new MemoryBus({ topic: TOPIC, maxPending: 1000, maxBatch: options.maxBatch ?? 100 });
  const sink = new FakeSink();
  const registry = new Registry();
  const metrics = createWorkerMetrics(registry);
  const logs = captureLogs();
  const worker = new Worker({
    config: { batchSize: options.batchSize ?? 1000 },
    retry: { baseMs: 10, maxMs: 40 },
    subscriber: tracingSubscriber(bus.subscriber(), sink),
    sink: sink.asSink(),
    pseudonymizer: new Pseudonymizer(new MemorySaltStore(() => NOW), { consentPolicy: 'count' }),
    logger: logs.logger,
    metrics,
  });
  const publish = (values: (RawRecord | Buffer)[]) => bus.publisher().publish(
    values.map((v) => ({ key: 'k', value: Buffer.isBuffer(v) ? v : encodeRawRecord(v) })));
  const counts = async () => Object.fromEntries((await metrics.records.get()).values.map((v) => [String(v.labels.result), v.value]));
  return { bus, sink, worker, logs, publish, counts, metrics };
}

/** A hand-made batch for driving Worker.handle directly. */
function batch(sink: FakeSink, first: number, values: RawRecord[]): PartitionBatch {
  const messages: ConsumedMessage[] = values.map((v, i) => ({ offset: BigInt(first + i), value: encodeRawRecord(v) }));
  return {
    topic: TOPIC, partition: 0, messages,
    commit: (next) => { sink.events.push({ kind: 'commit', next }); return Promise.resolve(); },
    heartbeat: () => Promise.resolve(),
  };
}

describe('Worker over the in-process bus', () => {
  it('records each range, then inserts it, then commits past it', async () => {
    const { sink, worker, publish, bus } = setup({ batchSize: 2 });
    await publish([record(0), record(1), record(2), record(3), record(4)]);
    await worker.start();
    await worker.stop();

    const timeline = sink.events.filter((e) => e.kind !== 'lookup');
    expect(timeline).toEqual([
      { kind: 'range', first: 0n, last: 1n, done: false }, { kind: 'insert', token: 'raw:0:0-1:events', paths: ['/p0', '/p1'] },
      { kind: 'range', first: 0n, last: 1n, done: true }, { kind: 'commit', next: 2n },
      { kind: 'range', first: 2n, last: 3n, done: false }, { kind: 'insert', token: 'raw:0:2-3:events', paths: ['/p2', '/p3'] },
      { kind: 'range', first: 2n, last: 3n, done: true }, { kind: 'commit', next: 4n },
      { kind: 'range', first: 4n, last: 4n, done: false }, { kind: 'insert', token: 'raw:0:4-4:events', paths: ['/p4'] },
      { kind: 'range', first: 4n, last: 4n, done: true }, { kind: 'commit', next: 5n },
    ]);
    expect(bus.publisher().pending()).toBe(0);
  });

  it('looks ranges up only when a batch does not continue the last one', async () => {
    const { sink, worker, publish } = setup({ batchSize: 10, maxBatch: 2 });
    await publish([record(0), record(1), record(2), record(3)]);
    await worker.start();
    await worker.stop();
    expect(sink.events.filter((e) => e.kind === 'lookup')).toEqual([{ kind: 'lookup', from: 0n }]);
    expect(sink.rows).toHaveLength(4);
  });

  it('stores pseudonymized rows only', async () => {
    const { sink, worker, publish } = setup();
    await publish([record(0, { ref: 'https://ref.example/x?y=z' })]);
    await worker.start();
    await worker.stop();
    expect(sink.rows).toHaveLength(1);
    const text = JSON.stringify(sink.rows);
    for (const secret of [IP, UA, SID, 'email=', 'y=z']) expect(text).not.toContain(secret);
    expect(sink.rows[0]).toMatchObject({ site: 'example.com', path: '/p0', referrer_host: 'ref.example', ts: NOW / 1000 });
  });

  it('counts unreadable records as dlq and never logs their bytes', async () => {
    const { sink, worker, publish, logs, counts } = setup();
    const notJson = Buffer.from(`ip=${IP} ua=${UA} sid=${SID}`);
    const badField = Buffer.from(JSON.stringify({ ...record(1), ip: { value: IP }, ua: UA, sid: SID }));
    await publish([record(0), notJson, badField, record(3)]);
    await worker.start();
    await worker.stop();

    expect(await counts()).toEqual({ ok: 2, dlq: 2 });
    expect(sink.rows.map((r) => r.path)).toEqual(['/p0', '/p3']);
    const text = logs.text();
    expect(text).toContain('unreadable raw record');
    expect(text).toContain('"offset":"1"');
    expect(text).toContain('"offset":"2"');
    for (const secret of [IP, UA, 'TkmCanary', SID, 'email=']) expect(text).not.toContain(secret);
    // Still committed: an unreadable record must not block the partition.
    expect(sink.events.at(-1)).toEqual({ kind: 'commit', next: 4n });
  });

  it('counts consent drops and bad URLs separately from rows', async () => {
    const { worker, publish, counts } = setup();
    await publish([record(0), record(1, { dnt: true }), record(2, { url: 'ftp://example.com/' })]);
    await worker.start();
    await worker.stop();
    // consentPolicy 'count' keeps the DNT page view (without hashes).
    expect(await counts()).toEqual({ ok: 2, drop_bad_url: 1 });
  });

  it('retries a failed insert under the same token and commits only after it succeeded', async () => {
    const { sink, worker, publish, bus } = setup({ batchSize: 10 });
    sink.failures = [{ landed: false }, { landed: false }];
    await publish([record(0), record(1)]);
    await worker.start();

    await vi.waitFor(() => expect(sink.events.some((e) => e.kind === 'commit')).toBe(true), { timeout: 3000 });
    await worker.stop();

    const failedAt = sink.events.findIndex((e) => e.kind === 'insert-failed');
    expect(failedAt).toBeGreaterThanOrEqual(0);
    // After the failures: no new range, no lookup, the same token again, then the commit.
    expect(sink.events.slice(failedAt).filter((e) => e.kind !== 'insert-failed')).toEqual([
      { kind: 'insert', token: 'raw:0:0-1:events', paths: ['/p0', '/p1'] },
      { kind: 'range', first: 0n, last: 1n, done: true },
      { kind: 'commit', next: 2n },
    ]);
    expect(sink.events.filter((e) => e.kind === 'insert-failed')).toHaveLength(2);
    expect(sink.ranges).toEqual([{ first: 0n, last: 1n, done: true }]);
    expect(bus.publisher().pending()).toBe(0);
  });

  it('reports the store unhealthy from the first failed write until one succeeds', async () => {
    const { sink, worker, publish, metrics } = setup({ batchSize: 10 });
    sink.failures = Array.from({ length: 5 }, () => ({ landed: false }));
    const health: boolean[] = [];
    const original = sink.insertEvents.bind(sink);
    sink.insertEvents = (rows, token) => {
      health.push(worker.storeHealthy());
      return original(rows, token);
    };
    expect(worker.storeHealthy()).toBe(true);
    await publish([record(0)]);
    await worker.start();
    await vi.waitFor(() => expect(sink.rows).toHaveLength(1), { timeout: 3000 });
    expect(worker.storeHealthy()).toBe(true);
    await worker.stop();
    // Healthy before the first attempt, unhealthy during the four retries and the last (successful) attempt.
    expect(health).toEqual([true, false, false, false, false, false]);
    expect((await metrics.storeRetries.get()).values[0]?.value).toBe(5);
  });

  it('lets other callbacks run while it pseudonymizes a large chunk', async () => {
    const { sink, worker } = setup({ batchSize: 1000 });
    let ticks = 0;
    let ticksAtInsert = -1;
    const original = sink.insertEvents.bind(sink);
    sink.insertEvents = (rows, token) => {
      ticksAtInsert = ticks;
      return original(rows, token);
    };
    const values = Array.from({ length: 1000 }, (_, i) => record(i, { url: `https://example.com/p${i}?q=${'x'.repeat(2000)}` }));
    let running = true;
    const tick = () => {
      ticks += 1;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const started = performance.now();
    await worker.handle({ ...batch(sink, 0, values) });
    running = false;
    const elapsed = performance.now() - started;
    // The chunk took many slices of a few milliseconds; an event loop blocked throughout would show no tick at all.
    expect(ticksAtInsert).toBeGreaterThanOrEqual(Math.min(3, Math.floor(elapsed / 20)));
    expect(ticksAtInsert).toBeGreaterThan(0);
  }, 20_000);
});

describe('Worker.handle with redelivered batches', () => {
  // A failed write is retried in place until the worker stops; these tests are about what follows a write given up
  // (a stopping worker) or a crash: the redelivery. So their worker is stopping from the start.
  function direct(batchSize = 10) {
    const sink = new FakeSink();
    const worker = new Worker({
      config: { batchSize }, subscriber: new MemoryBus({ topic: TOPIC, maxPending: 1 }).subscriber(),
      sink: sink.asSink(), pseudonymizer: new Pseudonymizer(new MemorySaltStore(() => NOW), { consentPolicy: 'count' }), logger: captureLogs().logger,
      metrics: createWorkerMetrics(new Registry()),
    });
    void worker.stop();
    return { sink, worker };
  }

  it('re-cuts a recorded range after a restart and does not record it twice', async () => {
    const { sink, worker } = direct(10);
    sink.ranges.push({ first: 0n, last: 2n, done: false });
    await worker.handle(batch(sink, 0, [record(0), record(1), record(2), record(3), record(4)]));
    expect(sink.events).toEqual([
      { kind: 'lookup', from: 0n },
      { kind: 'insert', token: 'raw:0:0-2:events', paths: ['/p0', '/p1', '/p2'] },
      { kind: 'range', first: 0n, last: 2n, done: true }, { kind: 'commit', next: 3n },
      { kind: 'range', first: 3n, last: 4n, done: false },
      { kind: 'insert', token: 'raw:0:3-4:events', paths: ['/p3', '/p4'] },
      { kind: 'range', first: 3n, last: 4n, done: true }, { kind: 'commit', next: 5n },
    ]);
  });

  it('gives a failing write up after giveUpAfterMs when asked to (imports), without committing', async () => {
    const sink = new FakeSink();
    const worker = new Worker({
      config: { batchSize: 10 }, retry: { baseMs: 10, maxMs: 20 }, subscriber: new MemoryBus({ topic: TOPIC, maxPending: 1 }).subscriber(),
      sink: sink.asSink(), pseudonymizer: new Pseudonymizer(new MemorySaltStore(() => NOW), { consentPolicy: 'count' }), logger: captureLogs().logger,
      metrics: createWorkerMetrics(new Registry()),
    });
    sink.failures = Array.from({ length: 1000 }, () => ({ landed: false }));
    const started = Date.now();
    await expect(worker.handle(batch(sink, 0, [record(0)]), { giveUpAfterMs: 150 })).rejects.toThrow('clickhouse timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(sink.events.filter((e) => e.kind === 'insert-failed').length).toBeGreaterThan(2);
    expect(sink.events.some((e) => e.kind === 'commit')).toBe(false);
  });

  it('gives a failing write up when stopping, without committing the failed chunk', async () => {
    const { sink, worker } = direct(2);
    sink.failures = [{ landed: false }];
    await expect(worker.handle(batch(sink, 0, [record(0), record(1), record(2)]))).rejects.toThrow('clickhouse timeout');
    expect(sink.events.some((e) => e.kind === 'commit')).toBe(false);
  });

  // After a failed batch whose insert in fact landed, the redelivery (now with more messages) must look the ranges up
  // again and retry the same range under the same token.
  it('looks recorded ranges up again after a failed batch in steady state', async () => {
    const { sink, worker } = direct(10);
    await worker.handle(batch(sink, 0, [record(0), record(1)]));
    sink.failures = [{ landed: true }]; // stored by ClickHouse, but the client saw a timeout
    await expect(worker.handle(batch(sink, 2, [record(2), record(3)]))).rejects.toThrow();
    await worker.handle(batch(sink, 2, [record(2), record(3), record(4), record(5)]));
    expect(sink.rows.map((r) => r.path)).toEqual(['/p0', '/p1', '/p2', '/p3', '/p4', '/p5']);
  });

  // A redelivered batch holding only part of a pending range is held back until the rest arrives, then the whole
  // range is retried under its original token.
  it('stores a recorded range once even when its redelivery arrives in smaller batches', async () => {
    const { sink, worker } = direct(10);
    sink.failures = [{ landed: true }];
    const all = [record(0), record(1), record(2), record(3), record(4)];
    await expect(worker.handle(batch(sink, 0, all))).rejects.toThrow();
    await worker.handle(batch(sink, 0, all.slice(0, 3)));
    await worker.handle(batch(sink, 3, all.slice(3)));
    expect(sink.rows.map((r) => r.path)).toEqual(['/p0', '/p1', '/p2', '/p3', '/p4']);
  });
});
