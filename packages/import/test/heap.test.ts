import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { HeapBudget } from '../src/heap.js';

describe('HeapBudget', () => {
  it('collects once the heap in use passes the floor, and then only past a quarter over what was left', () => {
    const budget = new HeapBudget(1024 * 1024);
    // Garbage that survives no reference: what a stored batch leaves behind.
    let garbage: string[] | undefined = Array.from({ length: 200_000 }, (_, i) => `record ${String(i)} ${'x'.repeat(40)}`);
    const before = v8.getHeapStatistics().used_heap_size;
    garbage = undefined;
    budget.check();
    expect(garbage).toBeUndefined();
    expect(budget.collections).toBe(1);
    expect(v8.getHeapStatistics().used_heap_size).toBeLessThan(before - 10 * 1024 * 1024);
    // Right after a collection the heap is at what was left: no second one.
    budget.check();
    expect(budget.collections).toBe(1);
  });

  it('never collects below the floor', () => {
    const budget = new HeapBudget(Number.MAX_SAFE_INTEGER);
    budget.check();
    expect(budget.collections).toBe(0);
  });
});
