import { describe, expect, it } from 'vitest';
import { ConfigError } from '@tokumei/errors';
import { loadConfig } from '@tokumei/config';

const allow = (value: string) => loadConfig({ TOKUMEI_PROPS_ALLOWLIST: value }).privacy.propsAllowList;

describe('TOKUMEI_PROPS_ALLOWLIST', () => {
  it('stores no property by default', () => {
    expect(loadConfig({}).privacy.propsAllowList.size).toBe(0);
  });

  it('reads site:key,key;site:key with * for every site, sites in the stored (ASCII, lower-case) form', () => {
    expect(allow(' Example.com: plan, lang ; *:variant; example.com:plan_2 ; 例え.jp:a')).toEqual(new Map([
      ['example.com', new Set(['plan', 'lang', 'plan_2'])], ['*', new Set(['variant'])], ['xn--r8jz45g.jp', new Set(['a'])],
    ]));
  });

  it.each(['example.com', 'example.com:', ':plan', 'example.com:plan-b', 'example.com:1st', `example.com:${'k'.repeat(41)}`])('refuses %j', (value) => {
    expect(() => allow(value)).toThrow(ConfigError);
  });
});
