import { describe, it, expect, vi } from 'vitest';
import { MemoryBus, type BusMessage, type PartitionBatch } from '@tokumei/bus';
import { TokumeiError } from '@tokumei/errors';

function messages(...values: string[]): BusMessage[] {
  return values.map((value) => ({ key: `k-${value}`, value: Buffer.from(value) }));
}

async function rejection(promise: Promise<unknown>): Promise<TokumeiError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(TokumeiError);
  return error as TokumeiError;
}

interface Seen { offset: bigint; value: string; delivery: number }

/** A handler that records what it sees and commits the whole batch. */
function recorder() {
  const seen: Seen[] = [];
  let deliveries = 0;
  const handler = async (batch: PartitionBatch) => {
    deliveries += 1;
    for (const m of batch.messages) seen.push({ offset: m.offset, value: m.value.toString(), delivery: deliveries });
    const last = batch.messages[batch.messages.length - 1];
    if (last !== undefined) await batch.commit(last.offset + 1n);
  };
  return { seen, handler };
}

describe('MemoryBus publish', () => {
  it('accepts up to maxPending and refuses beyond with TKM_BUS_FULL', async () => {
    const bus = new MemoryBus({ topic: 't', maxPending: 3 });
    const publisher = bus.publisher();
    await publisher.publish(messages('a', 'b'));
    await publisher.publish(messages('c'));
    expect(publisher.pending()).toBe(3);
    const error = await rejection(publisher.publish(messages('d')));
    expect(error.code).toBe('TKM_BUS_FULL');
    expect(error.statusCode).toBe(503);
    expect(publisher.pending()).toBe(3);
  });

  it('refuses a batch that would overflow as a whole, accepting none of it', async () => {
    const bus = new MemoryBus({ topic: 't', maxPending: 3 });
    const publisher = bus.publisher();
    await publisher.publish(messages('a', 'b'));
    expect((await rejection(publisher.publish(messages('c', 'd')))).code).toBe('TKM_BUS_FULL');
    expect(publisher.pending()).toBe(2);
  });

  it('refuses publish after close with TKM_BUS_CLOSED and is no longer ready', async () => {
    const bus = new MemoryBus({ topic: 't', maxPending: 3 });
    expect(await bus.ready()).toBe(true);
    await bus.close();
    expect((await rejection(bus.publisher().publish(messages('a')))).code).toBe('TKM_BUS_CLOSED');
    expect(await bus.ready()).toBe(false);
  });
});

describe('MemoryBus subscriber', () => {
  it('delivers messages in order with increasing offsets, topic and partition', async () => {
    const bus = new MemoryBus({ topic: 'raw', maxPending: 100, maxBatch: 2 });
    const topics = new Set<string>();
    const { seen, handler } = recorder();
    await bus.subscriber().run(async (batch) => {
      topics.add(`${batch.topic}/${batch.partition}`);
      await handler(batch);
    });
    const publisher = bus.publisher();
    await publisher.publish(messages('a', 'b', 'c'));
    await publisher.publish(messages('d', 'e'));
    await vi.waitFor(() => expect(seen).toHaveLength(5));
    expect(seen.map((s) => s.value)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(seen.map((s) => s.offset)).toEqual([0n, 1n, 2n, 3n, 4n]);
    expect([...topics]).toEqual(['raw/0']);
    await bus.subscriber().stop();
  });

  it('hands at most maxBatch messages at once', async () => {
    const bus = new MemoryBus({ topic: 't', maxPending: 100, maxBatch: 2 });
    await bus.publisher().publish(messages('a', 'b', 'c', 'd', 'e'));
    const sizes: number[] = [];
    const { handler } = recorder();
    const subscriber = bus.subscriber();
    await subscriber.run(async (batch) => { sizes.push(batch.messages.length); await handler(batch); });
    await subscriber.stop();
    expect(sizes).toEqual([2, 2, 1]);
  });

  it('frees capacity only when the subscriber commits', async () => {
    const bus = new MemoryBus({ topic: 't', maxPending: 2 });
    const publisher = bus.publisher();
    await publisher.publish(messages('a', 'b'));
    const delivered: PartitionBatch[] = [];
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    await bus.subscriber().run(async (batch) => {
      delivered.push(batch);
      if (delivered.length === 1) {
        await gate; // hold the first batch without committing it all
        return;
      }
      const last = batch.messages[batch.messages.length - 1];
      if (last !== undefined) await batch.commit(last.offset + 1n);
    });
    await vi.waitFor(() => expect(delivered).toHaveLength(1));
    const first = delivered[0];
    if (first === undefined) throw new Error('no batch');
    expect(first.messages.map((m) => m.value.toString())).toEqual(['a', 'b']);

    // Delivered but not committed: still pending, still full.
    expect(publisher.pending()).toBe(2);
    expect((await rejection(publisher.publish(messages('x')))).code).toBe('TKM_BUS_FULL');
    await first.commit(1n);
    expect(publisher.pending()).toBe(1);
    await publisher.publish(messages('c'));
    expect(publisher.pending()).toBe(2);
    expect((await rejection(publisher.publish(messages('y')))).code).toBe('TKM_BUS_FULL');

    open();
    await vi.waitFor(() => expect(publisher.pending()).toBe(0));
    // The uncommitted rest of the first batch came again, then the new message.
    expect(delivered.flatMap((b) => b.messages.map((m) => m.value.toString())).slice(2)).toEqual(['b', 'c']);
    await bus.subscriber().stop();
  });

  it('stop() drains everything queued before resolving', async () => {
    const bus = new MemoryBus({ topic: 't', maxPending: 1000, maxBatch: 7 });
    const values = Array.from({ length: 50 }, (_, i) => `m${i}`);
    await bus.publisher().publish(messages(...values));
    const { seen, handler } = recorder();
    const subscriber = bus.subscriber();
    await subscriber.run(async (batch) => {
      // A handler that takes time, so stop() is called with batches still queued: that is what it must drain.
      await new Promise((resolve) => setTimeout(resolve, 2));
      await handler(batch);
    });
    await subscriber.stop();
    expect(seen.map((s) => s.value)).toEqual(values);
    expect(bus.publisher().pending()).toBe(0);
  });

  it('stop() resolves at once when idle', async () => {
    const bus = new MemoryBus({ topic: 't', maxPending: 10 });
    const subscriber = bus.subscriber();
    await subscriber.run(recorder().handler);
    await subscriber.stop();
    const neverRun = new MemoryBus({ topic: 't', maxPending: 10 }).subscriber();
    await neverRun.stop();
  });

  it('redelivers the batch after the handler throws, from the first uncommitted offset', async () => {
    const bus = new MemoryBus({ topic: 't', maxPending: 10 });
    await bus.publisher().publish(messages('a', 'b', 'c'));
    const deliveries: string[][] = [];
    const subscriber = bus.subscriber();
    await subscriber.run(async (batch) => {
      deliveries.push(batch.messages.map((m) => m.value.toString()));
      if (deliveries.length === 1) {
        await batch.commit(1n); // 'a' is done, then the handler fails
        throw new Error('sink down');
      }
      const last = batch.messages[batch.messages.length - 1];
      if (last !== undefined) await batch.commit(last.offset + 1n);
    });
    await vi.waitFor(() => expect(deliveries).toHaveLength(2), { timeout: 3000 });
    expect(deliveries).toEqual([['a', 'b', 'c'], ['b', 'c']]);
    await subscriber.stop();
    expect(bus.publisher().pending()).toBe(0);
  });

  it('allows only one subscriber', async () => {
    const bus = new MemoryBus({ topic: 't', maxPending: 10 });
    await bus.subscriber().run(recorder().handler);
    expect(() => bus.subscriber().run(recorder().handler)).toThrow(/one subscriber/);
    await bus.subscriber().stop();
  });
});
