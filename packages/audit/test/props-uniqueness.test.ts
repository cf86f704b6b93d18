import { describe, expect, it } from 'vitest';
import { PROPS_MIN_VALUES, propsUniquenessCheck } from '../src/props-uniqueness.js';

describe('props uniqueness', () => {
  it('fails for a key whose values mostly belong to one visitor each, naming the key and counts', () => {
    const c = propsUniquenessCheck([
      { site: 'example.com', key: 'plan', values: 3, singleVisitorValues: 0, rows: 40 },
      { site: 'example.com', key: 'user', values: 40, singleVisitorValues: 40, rows: 40 },
      { site: 'example.com', key: 'ref', values: 20, singleVisitorValues: 10, rows: 90 },
    ], 30);
    expect(c.status).toBe('fail');
    expect(c.findings).toHaveLength(1);
    expect(c.findings[0]?.message).toMatch(/key "user" of example\.com: 40 of 40 distinct values \(100\.0 %\)/);
    expect(c.evidence.join('\n')).toContain('example.com ref: 20 distinct values in 90 rows, 10 seen from one visitor only (50.0 %)');
  });

  it('does not judge a key with fewer distinct values than the minimum, and passes without props', () => {
    const small = propsUniquenessCheck([{ site: 'example.com', key: 'user', values: PROPS_MIN_VALUES - 1, singleVisitorValues: PROPS_MIN_VALUES - 1, rows: 9 }], 30);
    expect(small.status).toBe('pass');
    expect(small.evidence[0]).toMatch(/not judged/);
    expect(propsUniquenessCheck(undefined, 30).status).toBe('pass');
    expect(propsUniquenessCheck([], 30).evidence).toEqual(['no custom property stored in the window']);
  });
});
