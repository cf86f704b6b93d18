import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify } from '@tokumei/privacy';
import { ENCODINGS, encode, secret } from '../../privacy/test/hostile.js';
import { CANARY_SHAPES, newCanaryValues } from '../src/canary-values.js';
import { readingsOf } from '../src/decode.js';
import { detect } from '../src/detector.js';

const SRC = path.resolve(import.meta.dirname, '../src');

/** Every module a source file imports, transitively, within the audit package; and the packages it names. */
function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const [, spec] of fs.readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)) {
      if (spec === undefined) continue;
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
      else packages.add(spec);
    }
  };
  visit(path.join(SRC, entry));
  return { files, packages };
}

describe('independent detector', () => {
  it('imports nothing from the privacy engine, directly or through another module', () => {
    const { files, packages } = importGraph('independent-scan.ts');
    expect([...files].map((f) => path.basename(f)).sort()).toEqual(['decode.ts', 'detector.ts', 'expected-shapes.ts', 'independent-scan.ts', 'mask.ts', 'report.ts', 'schema.ts']);
    expect([...packages].sort()).toEqual(['@clickhouse/client']);
  });

  it('the props uniqueness check uses no pattern at all: nothing from the privacy engine or the detectors', () => {
    const { files, packages } = importGraph('props-uniqueness.ts');
    expect([...files].map((f) => path.basename(f)).sort()).toEqual(['canary-values.ts', 'props-uniqueness.ts', 'report.ts', 'schema.ts']);
    expect([...packages].sort()).toEqual(['@clickhouse/client', 'node:crypto']);
  });

  it('reads a value every way: percent (repeated, + as space), Shift_JIS, EUC-JP, base64, hex, NFKC, invisible characters removed', () => {
    const texts = (v: string) => readingsOf(v).map((r) => r.text);
    expect(texts('%25E3%2581%2582')).toContain('あ');
    expect(texts('jane+doe%40example.com')).toContain('jane doe@example.com');
    expect(texts('%82%A0')).toContain('あ');
    expect(texts('%A4%A2')).toContain('あ');
    expect(texts(Buffer.from('jane@example.com').toString('base64url'))).toContain('jane@example.com');
    expect(texts(Buffer.from('090-1234-5678').toString('hex'))).toContain('090-1234-5678');
    expect(texts('０９０１２３４')).toContain('0901234');
    expect(texts('a\u200Bb\u200Bc')).toContain('abc');
  });

  it('finds every hostile secret family with digits, @, addresses or tokens in every encoding (the engine\'s own test data)', () => {
    const judged = secret.filter((s) => s.family !== 'address' && s.family !== 'name');
    fc.assert(fc.property(judged, fc.constantFrom(...ENCODINGS), (s, how) => {
      const value = encode(s.text, how);
      // Known limit: random letters of one case, shorter than 24, read like a word to a detector without a language
      // model (the engine scores letter pairs; the audit does not, and says so).
      if (s.family === 'token' && (/^[a-z]{1,23}$/.test(s.text) || (how === 'upper' && /^[A-Za-z]{1,23}$/.test(s.text)))) return;
      // An @ form Shift_JIS or EUC-JP cannot encode (﹫) became `?`: no e-mail address is left to find.
      if (s.family === 'email' && /shift_jis|euc-jp/.test(how) && value.includes('%3F') && !s.text.includes('?')) return;
      expect(detect(value), `${s.family} ${how}: ${value}`).not.toEqual([]);
    }), { seed: 11, numRuns: 3000 });
  });

  it('leaves ordinary stored values alone', () => {
    for (const v of ['/docs/page-1', '/blog/2026/11/25/my-first-post', '/blog/2026-11-25', '/how-to-use-api-v2-in-5-minutes', '/products/iPhone15Pro',
      '/tokumei-canary/ratasuku/reset/:id/:token/:token/:phone', 'utm_source=news&utm_campaign=spring-sale-2026', 'tokumei-audit', 'Chrome', 'Mac OS',
      'ja-jp', 'desktop', ':email', '/ニュース/お知らせ', '/getting-started/Install-Guide', '001_init', 'www.example.org', 'JP']) {
      expect(detect(v), v).toEqual([]);
    }
  });

  it('lowers the bar for a value only one visitor-day produced', () => {
    expect(detect('/order/ab12cd34ef')).toEqual([]);
    expect(detect('/order/ab12cd34ef', true).map((d) => d.kind)).toEqual(['rare-identifier']);
    expect(detect('/docs/page-1', true)).toEqual([]);
  });
});

describe('canary values', () => {
  it('are always of shapes the engine catches, and the run id is always kept (1,000 seeds)', () => {
    for (let i = 0; i < 1000; i++) {
      const v = newCanaryValues(`seed-${i}`);
      for (const shape of CANARY_SHAPES) {
        expect(classify(v[shape.key]), `${shape.key} of seed ${i}`).toBe(shape.placeholder);
        expect(detect(v[shape.key]), `${shape.key} of seed ${i}`).not.toEqual([]);
      }
      expect(classify(v.runId), `run id of seed ${i}`).toBeUndefined();
      expect(detect(`/tokumei-canary/${v.runId}/`, true)).toEqual([]);
    }
  }, 60_000);

  it('are reproducible with a seed and new without one', () => {
    expect(newCanaryValues('a')).toEqual(newCanaryValues('a'));
    expect(newCanaryValues('a').jwt).not.toBe(newCanaryValues('b').jwt);
    expect(newCanaryValues().uuid).not.toBe(newCanaryValues().uuid);
  });
});
