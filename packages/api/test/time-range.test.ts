import { describe, it, expect } from 'vitest';
import { TokumeiError } from '@tokumei/errors';
import { assertSafeBinding, parseRange } from '@tokumei/api';

const NOW = Date.parse('2026-03-10T12:34:56Z');

function iso(range: { from: Date; to: Date }) {
  return { from: range.from.toISOString(), to: range.to.toISOString() };
}

function refusal(query: { from?: string; to?: string }): TokumeiError {
  try {
    parseRange(query, NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(TokumeiError);
    return error as TokumeiError;
  }
  throw new Error(`parseRange accepted ${JSON.stringify(query)}`);
}

describe('parseRange', () => {
  it('defaults to the last 7 days including today, up to now', () => {
    expect(iso(parseRange({}, NOW))).toEqual({ from: '2026-03-04T00:00:00.000Z', to: '2026-03-10T12:34:56.000Z' });
  });

  it('defaults `to` to now when only `from` is given', () => {
    expect(iso(parseRange({ from: '2026-03-01' }, NOW))).toEqual({ from: '2026-03-01T00:00:00.000Z', to: '2026-03-10T12:34:56.000Z' });
  });

  it('reads a date `to` as inclusive: the range ends at the next midnight', () => {
    expect(iso(parseRange({ from: '2026-03-01', to: '2026-03-05' }, NOW)))
      .toEqual({ from: '2026-03-01T00:00:00.000Z', to: '2026-03-06T00:00:00.000Z' });
    expect(iso(parseRange({ from: '2026-03-05', to: '2026-03-05' }, NOW)))
      .toEqual({ from: '2026-03-05T00:00:00.000Z', to: '2026-03-06T00:00:00.000Z' });
  });

  it('crosses month and leap-day ends', () => {
    expect(parseRange({ from: '2028-02-29', to: '2028-02-29' }, NOW).to.toISOString()).toBe('2028-03-01T00:00:00.000Z');
    expect(parseRange({ from: '2026-12-31', to: '2026-12-31' }, NOW).to.toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('reads datetimes exactly, in UTC when no offset is given', () => {
    expect(iso(parseRange({ from: '2026-03-01T10:00:00Z', to: '2026-03-01T11:30:00.250Z' }, NOW)))
      .toEqual({ from: '2026-03-01T10:00:00.000Z', to: '2026-03-01T11:30:00.250Z' });
    expect(parseRange({ from: '2026-03-01T10:00', to: '2026-03-02' }, NOW).from.toISOString()).toBe('2026-03-01T10:00:00.000Z');
    expect(parseRange({ from: '2026-03-01T10:00:00+02:00', to: '2026-03-02' }, NOW).from.toISOString()).toBe('2026-03-01T08:00:00.000Z');
  });

  it.each(['2026-02-30', '2026-13-01', '2026-00-10', '2025-02-29', 'yesterday', '10/03/2026', '2026-3-1', '2026-03-01T25:00Z', '2026-03-01 10:00'])(
    'refuses %j with TKM_INVALID_QUERY naming the parameter', (value) => {
      const fromError = refusal({ from: value, to: '2026-03-05' });
      expect(fromError.code).toBe('TKM_INVALID_QUERY');
      expect(fromError.statusCode).toBe(400);
      expect(fromError.message).toMatch(/^from /);
      expect(refusal({ from: '2026-03-01', to: value }).message).toMatch(/^to /);
    });

  it('refuses from >= to', () => {
    expect(refusal({ from: '2026-03-05T00:00:00Z', to: '2026-03-05T00:00:00Z' }).code).toBe('TKM_INVALID_QUERY');
    expect(refusal({ from: '2026-03-06', to: '2026-03-05' }).code).toBe('TKM_INVALID_QUERY');
    expect(refusal({ from: '2026-03-11' }).code).toBe('TKM_INVALID_QUERY'); // after now
  });

  it('refuses ranges over 800 days', () => {
    // 2024-01-01 through 2026-03-10 is exactly 800 days.
    expect(() => parseRange({ from: '2024-01-01', to: '2026-03-11' }, NOW)).toThrow(/800 days/);
    expect(() => parseRange({ from: '2024-01-01', to: '2026-03-10' }, NOW)).not.toThrow();
  });

  // V8 rolls 2026-02-30 over to 2026-03-02; the API must refuse it as it refuses the plain date.
  it('refuses an impossible date inside a datetime', () => {
    expect(refusal({ from: '2026-02-30T10:00:00Z', to: '2026-03-05' }).code).toBe('TKM_INVALID_QUERY');
  });

  // With a date `to`, the default range is the 7 days ending with that date, as without `to`.
  it('gives 7 days ending with a date `to` when `from` is omitted', () => {
    expect(iso(parseRange({ to: '2026-03-09' }, NOW)).from).toBe('2026-03-03T00:00:00.000Z');
  });
});

describe('assertSafeBinding', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', 'localhost'])('accepts loopback %s without a token', (host) => {
    expect(() => assertSafeBinding({ host, apiToken: undefined })).not.toThrow();
  });

  it.each(['0.0.0.0', '::', '192.168.1.10', 'example.com', '127.0.0.1.example.com'])('refuses %s without a token', (host) => {
    let error: unknown;
    try {
      assertSafeBinding({ host, apiToken: undefined });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TokumeiError);
    expect((error as TokumeiError).code).toBe('TKM_CONFIG');
    expect((error as TokumeiError).message).toContain('TOKUMEI_API_TOKEN');
  });

  it('accepts any host with a token', () => {
    expect(() => assertSafeBinding({ host: '0.0.0.0', apiToken: 'secret' })).not.toThrow();
  });
});
