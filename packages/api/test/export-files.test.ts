import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { csv, csvCell } from '../src/export/csv.js';
import { zip } from '../src/export/zip.js';
import { parseCsv, unzip } from '../../../test/helpers/unzip.js';

describe('export CSV', () => {
  it('quotes as RFC 4180 does and writes CRLF rows after a header', () => {
    expect(csv(['name', 'visitors'], [['/a', 5], ['/b,c', null], ['say "hi"', 7], ['two\nlines', 1]]))
      .toBe('name,visitors\r\n/a,5\r\n"/b,c",\r\n"say ""hi""",7\r\n"two\nlines",1\r\n');
    expect(parseCsv(csv(['a'], [['x,"y"\r\nz'], ['=1']]))).toEqual([['a'], ['x,"y"\r\nz'], ["'=1"]]);
  });

  it('defuses formulas: a text cell starting with = + - @ tab or CR gets a leading apostrophe; numbers stay numbers', () => {
    expect(['=HYPERLINK("http://x.example")', '+1', '-2+3', '@SUM(A1)', '\tx', '\rx'].map(csvCell))
      .toEqual(['"\'=HYPERLINK(""http://x.example"")"', "'+1", "'-2+3", "'@SUM(A1)", "'\tx", '"\'\rx"']);
    expect(csvCell('/pricing')).toBe('/pricing');
    expect(csvCell('(other)')).toBe('(other)');
    expect(csvCell(-1)).toBe('-1');
    expect(csvCell(12.5)).toBe('12.5');
    expect(csvCell(Number.NaN)).toBe('');
  });
});

describe('export ZIP', () => {
  const entries = [
    { name: 'visitors.csv', data: Buffer.from('date,visitors\r\n2026-03-10,5\r\n') },
    { name: 'pages.csv', data: Buffer.from(`name,visitors\r\n/日本語,6\r\n${'/x,1\r\n'.repeat(500)}`) },
    { name: 'empty.csv', data: Buffer.alloc(0) },
  ];

  it('holds every file with its CRC, UTF-8 names and contents', () => {
    const files = unzip(zip(entries, new Date('2026-03-10T12:34:56Z')));
    expect([...files.keys()]).toEqual(['visitors.csv', 'pages.csv', 'empty.csv']);
    for (const e of entries) expect(files.get(e.name)).toBe(e.data.toString('utf8'));
  });

  it('is read by Info-ZIP unzip, where installed, without warnings', () => {
    let unzipBin: string;
    try {
      unzipBin = execFileSync('which', ['unzip'], { encoding: 'utf8' }).trim();
    } catch {
      return;
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'tokumei-zip-'));
    const file = path.join(dir, 'export.zip');
    writeFileSync(file, zip(entries, new Date('2026-03-10T12:34:56Z')));
    expect(execFileSync(unzipBin, ['-t', file], { encoding: 'utf8' })).toMatch(/No errors detected/);
    expect(execFileSync(unzipBin, ['-p', file, 'visitors.csv'], { encoding: 'utf8' })).toBe('date,visitors\r\n2026-03-10,5\r\n');
    expect(execFileSync(unzipBin, ['-Z', '-T', file], { encoding: 'utf8' })).toContain('20260310.123456');
  });
});
