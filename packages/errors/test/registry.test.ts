import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, ERRORS, TokumeiError, isTokumeiError, type ErrorCode } from '@tokumei/errors';

// After fastify's errors test: the registry, its documentation and the code that throws it are held together.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CODES = Object.keys(ERRORS) as ErrorCode[];
const CODE = /TKM_[A-Z][A-Z_]*[A-Z]/g;

function files(dir: string, keep: (name: string) => boolean): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : files(full, keep);
    return keep(entry.name) ? [full] : [];
  });
}

const workspaces = ['packages', 'apps'].flatMap((group) => readdirSync(path.join(ROOT, group)).map((name) => path.join(ROOT, group, name)));
const sources = workspaces.filter((dir) => !dir.endsWith(`${path.sep}errors`))
  .flatMap((dir) => files(path.join(dir, 'src'), (name) => /\.(ts|js)$/.test(name)));
const docs = [path.join(ROOT, 'README.md'), ...workspaces.map((dir) => path.join(dir, 'README.md')), ...files(path.join(ROOT, 'docs'), (name) => name.endsWith('.md'))]
  .flatMap((file) => {
    try {
      return [{ file, text: readFileSync(file, 'utf8') }];
    } catch {
      return [];
    }
  });

/** The README's table: `| \`TKM_X\` | status | when |`. */
function documented(): Map<string, number> {
  const readme = readFileSync(path.join(ROOT, 'packages/errors/README.md'), 'utf8');
  const rows = new Map<string, number>();
  for (const match of readme.matchAll(/^\| `(TKM_[A-Z_]+)` \| (\d{3}) \| .+ \|$/gm)) {
    expect(rows.has(match[1] ?? ''), `${match[1]} documented twice`).toBe(false);
    rows.set(match[1] ?? '', Number(match[2]));
  }
  return rows;
}

describe('the error registry', () => {
  it('documents every code with its status, and nothing else', () => {
    const rows = documented();
    expect(rows.size).toBeGreaterThan(0);
    for (const code of CODES) expect(rows.get(code), `${code} in packages/errors/README.md`).toBe(ERRORS[code].status);
    for (const code of rows.keys()) expect(CODES, `${code} is documented but not in the registry`).toContain(code);
  });

  it('has every code thrown (or mapped to) somewhere in the sources', () => {
    expect(sources.length).toBeGreaterThan(50);
    const used = new Set<string>();
    for (const file of sources) for (const match of readFileSync(file, 'utf8').matchAll(/'(TKM_[A-Z_]+)'/g)) used.add(match[1] ?? '');
    const unused = CODES.filter((code) => !used.has(code));
    expect(unused, 'codes nothing throws: throw them where they belong or remove them').toEqual([]);
    const unknown = [...used].filter((code) => !(code in ERRORS));
    expect(unknown, 'codes used in the sources but not in the registry').toEqual([]);
  });

  it('names only codes that exist wherever the documentation mentions one', () => {
    expect(docs.length).toBeGreaterThan(5);
    for (const { file, text } of docs) {
      for (const [code] of text.matchAll(CODE)) expect(CODES, `${code} in ${path.relative(ROOT, file)}`).toContain(code);
    }
  });

  it('gives every code an HTTP status and a default message', () => {
    for (const code of CODES) {
      const error = new TokumeiError(code);
      expect(error.statusCode).toBeGreaterThanOrEqual(400);
      expect(error.statusCode).toBeLessThan(600);
      expect(error.message).toBe(ERRORS[code].message);
      expect(error.message).not.toMatch(/^\s*$/);
    }
  });
});

describe('TokumeiError', () => {
  it('carries the code, the status, an optional message and a cause', () => {
    const cause = new Error('connect ECONNREFUSED 192.0.2.10:8123');
    const error = new TokumeiError('TKM_STORE_UNAVAILABLE', undefined, { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('TokumeiError');
    expect(error.code).toBe('TKM_STORE_UNAVAILABLE');
    expect(error.statusCode).toBe(503);
    expect(error.cause).toBe(cause);
    expect(new TokumeiError('TKM_INVALID_QUERY', 'from must be before to').message).toBe('from must be before to');
    expect(isTokumeiError(error)).toBe(true);
    expect(isTokumeiError(Object.assign(new Error('x'), { code: 'TKM_INTERNAL', statusCode: 500 }))).toBe(false);
  });

  it('ConfigError names the setting and is TKM_CONFIG', () => {
    const error = new ConfigError('TOKUMEI_PORT', 'must be an integer from 1 to 65535, got "x"');
    expect(error).toBeInstanceOf(TokumeiError);
    expect(error.code).toBe('TKM_CONFIG');
    expect(error.setting).toBe('TOKUMEI_PORT');
    expect(error.message).toBe('TOKUMEI_PORT must be an integer from 1 to 65535, got "x"');
  });
});
