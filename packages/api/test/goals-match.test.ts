import { describe, expect, it } from 'vitest';
import { pageRegex } from '../src/goals/match.js';
import { funnelSteps } from '../src/goals/funnel.js';

describe('page goal patterns (Plausible wildcards)', () => {
  const matches = (pattern: string, path: string) => new RegExp(pageRegex(pattern)).test(path);

  it('match the whole path; * stays in one segment, ** crosses segments', () => {
    expect(matches('/thanks', '/thanks')).toBe(true);
    expect(matches('/thanks', '/thanks/more')).toBe(false);
    expect(matches('/blog/*', '/blog/post')).toBe(true);
    expect(matches('/blog/*', '/blog/post/comments')).toBe(false);
    expect(matches('/blog/**', '/blog/post/comments')).toBe(true);
    expect(matches('/blog/**', '/blog')).toBe(false);
    expect(matches('/*/pricing', '/en/pricing')).toBe(true);
    expect(matches('/*/pricing', '/en/us/pricing')).toBe(false);
  });

  it('take every other character literally', () => {
    expect(matches('/a.b', '/axb')).toBe(false);
    expect(matches('/a.b', '/a.b')).toBe(true);
    expect(matches('/(x)+[y]?', '/(x)+[y]?')).toBe(true);
    expect(matches('/price$', '/price$')).toBe(true);
  });
});

describe('funnel steps from per-step counts', () => {
  const goal = (name: string) => ({ kind: 'event' as const, name, event: name });

  it('derive drop-off and rates, and a withheld step withholds what is made from it', () => {
    const steps = funnelSteps([goal('a'), goal('b'), goal('c')], [20, 5, null]);
    expect(steps.map((s) => [s.visitors, s.dropoff, s.dropoff_percentage, s.conversion_rate, s.conversion_rate_step])).toEqual([
      [20, 0, 0, 100, 100], [5, 15, 75, 25, 25], [null, null, null, null, null],
    ]);
  });
});
