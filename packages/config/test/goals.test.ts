import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@tokumei/errors';
import { loadConfig } from '@tokumei/config';

const GOALS = { 'Example.com': [{ page_path: '/thanks/**', display_name: 'Thanks' }, { event_name: 'signup' }] };

function refusal(value: string): string {
  try {
    loadConfig({ TOKUMEI_GOALS: value });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('loadConfig accepted the goals');
}

describe('TOKUMEI_GOALS', () => {
  it('is empty when unset', () => {
    expect(loadConfig({}).goals.size).toBe(0);
  });

  it('reads inline JSON and a JSON file alike, site keys lower-cased', () => {
    const expected = [{ kind: 'page', name: 'Thanks', path: '/thanks/**' }, { kind: 'event', name: 'signup', event: 'signup' }];
    expect(loadConfig({ TOKUMEI_GOALS: JSON.stringify(GOALS) }).goals.get('example.com')).toEqual(expected);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tokumei-goals-')), 'goals.json');
    fs.writeFileSync(file, JSON.stringify(GOALS));
    expect(loadConfig({ TOKUMEI_GOALS: file }).goals.get('example.com')).toEqual(expected);
    expect([...loadConfig({ TOKUMEI_GOALS: '{"例え.jp": []}' }).goals.keys()]).toEqual(['xn--r8jz45g.jp']);
  });

  it('refuses what the API would refuse, naming the site and field', () => {
    expect(refusal('{"example.com": [{"page_path": "thanks"}]}')).toBe('TOKUMEI_GOALS example.com[0].page_path: must start with /');
    expect(refusal(JSON.stringify({ 'example.com': Array.from({ length: 101 }, (_, i) => ({ event_name: `e${i}` })) })))
      .toBe('TOKUMEI_GOALS example.com: at most 100 goals per site');
    expect(refusal('{"example.com": [')).toBe('TOKUMEI_GOALS is not valid JSON');
    expect(refusal('/nonexistent/goals.json')).toBe('TOKUMEI_GOALS cannot read the goals file (ENOENT)');
    expect(refusal('{"a b": []}')).toMatch(/^TOKUMEI_GOALS a site key/);
  });
});
