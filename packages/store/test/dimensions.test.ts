import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DIMENSION_SPECS, DIMENSIONS, EVENT_DIMENSIONS, SESSION_DIMENSIONS, isSessionDimension } from '../src/dimensions.js';

// Migrations that ran cannot be regenerated from the declaration, so the tie is this test: every statement that
// fills the breakdown tables is parsed, and its dimensions, columns and empty-value rule must be the declaration's.

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'migrations');
const FILES = fs.readdirSync(DIR).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort();
const statements = FILES.flatMap((file) => fs.readFileSync(path.join(DIR, file), 'utf8')
  .split('\n').filter((line) => !line.trimStart().startsWith('--')).join('\n')
  .split(/;\s*(?:\n|$)/).map((sql) => ({ file, sql: sql.replace(/\s+/g, ' ').trim() })).filter((s) => s.sql !== ''));

/** Top-level items of a SQL list: `'page', 'referrer'` or `path, toString(referrer_host)`. */
const items = (list: string) => list.split(',').map((item) => item.trim());
const unquote = (item: string) => /^'([a-z_]+)'$/.exec(item)?.[1] ?? expect.fail(`not a plain name: ${item}`);
const column = (item: string) => /^(?:toString\((\w+)\)|(\w+))$/.exec(item)?.slice(1).find((c) => c !== undefined) ?? expect.fail(`not a column: ${item}`);

interface Parsed { file: string; pairs: [string, string][]; onlyWithValue: string[] }

function parse(file: string, sql: string): Parsed {
  const join = /ARRAY JOIN \[([^\]]*)\] AS dimension, \[([^\]]*)\] AS value/.exec(sql) ?? expect.fail(`${file}: no ARRAY JOIN of dimension and value in: ${sql.slice(0, 120)}`);
  const names = items(join[1] ?? '').map(unquote);
  const columns = items(join[2] ?? '').map(column);
  expect(columns.length, `${file}: names and values of the ARRAY JOIN pair up`).toBe(names.length);
  const rule = /WHERE event = 'pageview' AND \(value != '' OR dimension NOT IN \(([^)]*)\)\)/.exec(sql) ?? expect.fail(`${file}: no empty-value rule`);
  return { file, pairs: names.map((n, i) => [n, columns[i] ?? '']), onlyWithValue: items(rule[1] ?? '').map(unquote) };
}

// Everything that writes rows into a breakdown table: the backfills and the materialized views.
const fills = statements.filter((s) => /^(INSERT INTO|CREATE MATERIALIZED VIEW IF NOT EXISTS \w+ TO) agg_dimensions_(hourly|daily)\b/.test(s.sql));
const events = DIMENSION_SPECS.filter((d) => d.kind === 'event');

describe('the dimension declaration', () => {
  it('derives the lists the API validates against', () => {
    expect(DIMENSIONS).toEqual(DIMENSION_SPECS.map((d) => d.name));
    expect(new Set(DIMENSIONS).size).toBe(DIMENSIONS.length);
    expect(EVENT_DIMENSIONS).toHaveLength(11);
    expect(SESSION_DIMENSIONS).toEqual(['entry_page', 'exit_page']);
    expect(DIMENSIONS.filter(isSessionDimension)).toEqual(SESSION_DIMENSIONS);
  });

  it('is what every statement that fills agg_dimensions_hourly and agg_dimensions_daily stores', () => {
    // 003 creates both tables with a backfill and a view each, 006 replaces the two views: six statements today.
    expect(fills.map((s) => s.file)).toEqual(['003_stats.sql', '003_stats.sql', '003_stats.sql', '003_stats.sql', '006_salt_domains.sql', '006_salt_domains.sql']);
    for (const { file, sql } of fills) {
      const parsed = parse(file, sql);
      expect(parsed.pairs, file).toEqual(events.map((d) => [d.name, d.column]));
      expect(parsed.onlyWithValue.sort(), file).toEqual(events.filter((d) => d.onlyWithValue).map((d) => d.name).sort());
    }
  });

  it('names columns that exist: events columns for event dimensions, agg_sessions columns for session ones', () => {
    const eventColumns = new Set(statements.flatMap(({ sql }) => [
      ...(/^CREATE TABLE IF NOT EXISTS events \((.*?)\) ENGINE/.exec(sql)?.[1]?.split(',').map((c) => c.trim().split(' ')[0]) ?? []),
      ...(sql.startsWith('ALTER TABLE events ') ? [...sql.matchAll(/ADD COLUMN IF NOT EXISTS (\w+)/g)].map((m) => m[1]) : []),
    ]));
    for (const d of events) expect(eventColumns, d.name).toContain(d.column);
    const sessions = statements.find((s) => s.sql.startsWith('CREATE TABLE IF NOT EXISTS agg_sessions '))?.sql ?? expect.fail('no agg_sessions');
    for (const d of DIMENSION_SPECS.filter((s) => s.kind === 'session')) expect(sessions, d.name).toMatch(new RegExp(`[(,] ${d.column} AggregateFunction\\(arg(Min|Max), String`));
  });

  it('gives every dimension a label and a title to show', () => {
    for (const d of DIMENSION_SPECS) {
      expect(d.label, d.name).toMatch(/^[A-Z][A-Za-z ]+$/);
      expect(d.title, d.name).toMatch(/^[A-Z][A-Za-z ]+$/);
    }
    expect(new Set(DIMENSION_SPECS.map((d) => d.title)).size).toBe(DIMENSION_SPECS.length);
  });
});
