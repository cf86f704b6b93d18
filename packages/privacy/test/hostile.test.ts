import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemorySaltStore, Pseudonymizer, loadCountryLookup, type EventRow } from '@tokumei/privacy';
import { ENCODINGS, FIELDS, encoding, hostileRecord, reveals, secret, type Secret } from './hostile.js';

/**
 * The engine's promise on hostile input: personal data of every family, in every field, under every encoding, is
 * readable in no stored value, however the stored value is decoded (hostile.ts decodes independently of the engine).
 */
const NOW = Date.parse('2026-03-10T12:00:00Z');

const STRING_COLUMNS: readonly (keyof EventRow)[] = [
  'site', 'event', 'host', 'path', 'query', 'referrer_host', 'utm_source', 'utm_medium', 'utm_campaign', 'utm_term',
  'utm_content', 'browser', 'browser_version', 'os', 'os_version', 'device', 'screen', 'country', 'lang', 'src',
];

function leaks(row: EventRow, s: Secret): string[] {
  return STRING_COLUMNS.filter((column) => reveals(String(row[column] as string | number), s)).map((column) => `${column}=${JSON.stringify(row[column])}`);
}

const pseudonymizer = new Pseudonymizer(new MemorySaltStore(() => NOW), { consentPolicy: 'ignore' }, loadCountryLookup());

describe('hostile input: personal data in every field, under every encoding', () => {
  it('reveals nothing for three samples of every family × encoding × field (deterministic matrix)', async () => {
    const samples = fc.sample(secret, { numRuns: 400, seed: 20261201 });
    const byFamily = new Map<string, Secret[]>();
    for (const s of samples) byFamily.set(s.family, [...(byFamily.get(s.family) ?? []), s].slice(0, 3));
    expect(byFamily.size).toBe(11);
    const failures: string[] = [];
    let stored = 0;
    for (const group of byFamily.values()) {
      for (const s of group) {
        for (const how of ENCODINGS) {
          for (const field of FIELDS) {
            const result = await pseudonymizer.process(hostileRecord(s, field, how, NOW));
            if (result.kind !== 'ok') continue;
            stored++;
            const found = leaks(result.row, s);
            if (found.length > 0) failures.push(`${s.family} ${JSON.stringify(s.text)} in ${field} (${how}): ${found.join(', ')}`);
          }
        }
      }
    }
    expect(failures.slice(0, 20)).toEqual([]);
    // Most records are stored (with placeholders): the engine removes the data, not the page view.
    expect(stored).toBeGreaterThan(1500);
  }, 120_000);

  it('reveals nothing for random secrets, fields and encodings (property)', async () => {
    await fc.assert(fc.asyncProperty(secret, fc.constantFrom(...FIELDS), encoding, async (s, field, how) => {
      const result = await pseudonymizer.process(hostileRecord(s, field, how, NOW));
      if (result.kind === 'ok') expect(leaks(result.row, s)).toEqual([]);
    }), { numRuns: 3000, seed: 7 });
  }, 120_000);

  it('never stores the IP, the user agent or the sid', async () => {
    await fc.assert(fc.asyncProperty(secret, fc.constantFrom(...FIELDS), encoding, async (s, field, how) => {
      const record = hostileRecord(s, field, how, NOW);
      const result = await pseudonymizer.process(record);
      if (result.kind !== 'ok') return;
      const text = JSON.stringify(result.row);
      expect(text).not.toContain(record.ip);
      expect(text).not.toContain(record.sid);
      expect(text).not.toContain('Mozilla');
    }), { numRuns: 500, seed: 11 });
  }, 60_000);
});
