import { describe, expect, it } from 'vitest';
import { reservedProp } from '@tokumei/privacy';
import { PROPS_MIN_VALUES, RESERVED_MIN_OWNERS, RESERVED_PROPS, propsUniquenessCheck, type ReservedPropMeasure } from '../src/props-uniqueness.js';

const keys = (...k: { site: string; key: string; values: number; singleVisitorValues: number; rows: number }[]) => ({ keys: k, reserved: [] });
const outbound = (judged: ReservedPropMeasure['judged'], values = 30, single = 29): ReservedPropMeasure => ({
  site: 'example.com', event: 'Outbound_Link:_Click', key: 'host', values, singleVisitorValues: single, rows: 40, domains: 20, judged,
});

describe('props uniqueness', () => {
  it('fails for a key whose values mostly belong to one visitor each, naming the key and counts', () => {
    const c = propsUniquenessCheck(keys(
      { site: 'example.com', key: 'plan', values: 3, singleVisitorValues: 0, rows: 40 },
      { site: 'example.com', key: 'user', values: 40, singleVisitorValues: 40, rows: 40 },
      { site: 'example.com', key: 'ref', values: 20, singleVisitorValues: 10, rows: 90 },
    ), 30);
    expect(c.status).toBe('fail');
    expect(c.findings).toHaveLength(1);
    expect(c.findings[0]?.message).toMatch(/key "user" of example\.com: 40 of 40 distinct values \(100\.0 %\)/);
    expect(c.evidence.join('\n')).toContain('example.com ref: 20 distinct values in 90 rows, 10 seen from one visitor only (50.0 %)');
  });

  it('does not judge a key with fewer distinct values than the minimum, and passes without props', () => {
    const small = propsUniquenessCheck(keys({ site: 'example.com', key: 'user', values: PROPS_MIN_VALUES - 1, singleVisitorValues: PROPS_MIN_VALUES - 1, rows: 9 }), 30);
    expect(small.status).toBe('pass');
    expect(small.evidence[0]).toMatch(/not judged/);
    expect(propsUniquenessCheck(undefined, 30).status).toBe('pass');
    expect(propsUniquenessCheck(keys(), 30).evidence).toEqual(['no custom property stored in the window']);
  });

  it('names the same reserved (event, key) pairs as the privacy engine, without importing it', () => {
    for (const r of RESERVED_PROPS) expect(reservedProp(r.event)?.key, r.event).toBe(r.key);
    expect(reservedProp('404')).toBeUndefined();
  });

  it('passes a reserved host key mostly single-visitor as a whole when no domain is judged: browsing', () => {
    const c = propsUniquenessCheck({ keys: [], reserved: [outbound([])] }, 30);
    expect(c.status).toBe('pass');
    expect(c.evidence[0]).toContain('example.com Outbound_Link:_Click host (data-outbound, stored without the allow-list): 30 distinct hosts in 40 rows, 29 seen from one visitor only (96.7 %) under 20 registrable domains; 0 with');
  });

  it('fails a judged domain of single-visitor hosts, naming data-outbound and whether the domain is the site\'s own', () => {
    const c = propsUniquenessCheck({ keys: [], reserved: [outbound([
      { values: 12, singleVisitorValues: 12, owners: RESERVED_MIN_OWNERS, rows: 24, firstParty: true },
      // A judged domain that most visitors share: evidence, no finding.
      { values: 12, singleVisitorValues: 6, owners: RESERVED_MIN_OWNERS, rows: 60, firstParty: false },
    ])] }, 30);
    expect(c.status).toBe('fail');
    expect(c.findings).toHaveLength(1);
    expect(c.findings[0]?.location).toBe('site example.com, event Outbound_Link:_Click, key host');
    expect(c.findings[0]?.message).toContain('in one registrable domain (the site\'s own), 12 of 12 distinct hosts (100.0 %) were seen from one visitor only, by 10 visitor-days');
    expect(c.findings[0]?.message).toContain('remove data-outbound');
    expect(c.findings[0]?.message).not.toContain('remove it from TOKUMEI_PROPS_ALLOWLIST');
    expect(c.evidence).toContain('example.com Outbound_Link:_Click host, one registrable domain (not the site\'s): 12 distinct hosts in 60 rows, 6 seen from one visitor only (50.0 %), owned by 10 visitor-days');
  });

  it('judges a download extension as one key, naming data-downloads', () => {
    const ext = (judged: ReservedPropMeasure['judged']): ReservedPropMeasure => ({ site: 'example.com', event: 'File_Download', key: 'ext', values: 13, singleVisitorValues: 12, rows: 30, domains: 1, judged });
    const pass = propsUniquenessCheck({ keys: [], reserved: [ext([])] }, 30);
    expect(pass.status).toBe('pass');
    expect(pass.evidence[0]).toMatch(/; not at least 10 values and 10 visitor-days owning one, not judged$/);
    const fail = propsUniquenessCheck({ keys: [], reserved: [ext([{ values: 13, singleVisitorValues: 12, owners: 12, rows: 30, firstParty: false }])] }, 30);
    expect(fail.findings[0]?.message).toContain('events.props key "ext" of File_Download (data-downloads) on example.com: in the key, 12 of 13 distinct values (92.3 %)');
    expect(fail.findings[0]?.message).toContain('data-downloads lists');
  });
});
