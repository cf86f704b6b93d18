import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApiApp, type ApiApp } from '@tokumei/api';
import { Registry } from 'prom-client';
import { captureLogs } from '../../../test/helpers/logs.js';
import { fakeClickHouse, type Call } from './fake-clickhouse.js';

// Shared links' authorisation, as an adversary would try it: a share token reads its one site and nothing else (no
// other site, whether it exists or not; no audit, no goal changes, no link admin), a revoked token stops at once, and
// a password link needs its session cookie, which cannot be forged, moved to another link, or outlive an hour.
// The table is emulated in memory from the store's own inserts; the answers on real chDB are the integration test's.

const TOKEN = 'test-token-0123456789';
const admin = { authorization: `Bearer ${TOKEN}` };
const START = Date.parse('2026-03-10T12:34:56Z');

interface Row { id: string; site: string; name: string; token_hash: string; password_hash: string; created: string; revoked: number; version: number }

/** The three shapes of query SharedLinkStore runs, over rows it inserted; every other query answers no rows. */
function emulate(rows: Row[], call: Call): unknown[] {
  if (!call.query.includes('FROM shared_links')) return [];
  const p = call.query_params;
  const wire = (r: Row) => ({ ...r, created: `${r.created.replace(' ', 'T')}Z`, version: String(r.version) });
  const newest = [...rows].sort((a, b) => b.version - a.version);
  if (call.query.includes('token_hash = {hash:String}')) return newest.filter((r) => r.token_hash === p.hash).slice(0, 1).map(wire);
  if (call.query.includes('AND id = {id:String}')) return newest.filter((r) => r.site === p.site && r.id === p.id).slice(0, 1).map(wire);
  const seen = new Set<string>();
  return newest.filter((r) => r.site === p.site && !seen.has(r.id) && seen.add(r.id)).map(wire);
}

const apps: ApiApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function setup() {
  const rows: Row[] = [];
  let now = START;
  const logs = captureLogs();
  const fake = fakeClickHouse((call) => Promise.resolve(emulate(rows, call)));
  const insert = fake.client.insert.bind(fake.client);
  fake.client.insert = ((params: { table: string; values: Row[] }) => {
    if (params.table === 'shared_links') rows.push(...params.values);
    return insert(params as never);
  }) as typeof fake.client.insert;
  const app = await buildApiApp({
    config: { apiToken: TOKEN, host: '0.0.0.0' }, clickhouse: fake.client, logger: logs.logger, registry: new Registry(), clock: () => now,
  });
  apps.push(app);
  const create = async (site: string, body: Record<string, unknown> = {}) => {
    const res = await app.inject({ method: 'POST', url: `/api/sites/${site}/shared-links`, headers: admin, payload: body });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ id: string; token: string; url: string; site: string; password_protected: boolean }>();
  };
  return { app, rows, calls: fake.calls, logs, create, advance: (ms: number) => { now += ms; } };
}

const code = (res: { json: () => unknown }) => (res.json() as { error?: { code: string } }).error?.code;
const v2 = (site: string) => ({ site_id: site, metrics: ['visitors'], date_range: '7d' });

describe('shared links: admin', () => {
  it('makes a link whose token is shown once and stored only as its SHA-256; lists without tokens; needs the API token', async () => {
    const { app, rows, create } = await setup();
    const made = await create('Example.com', { name: 'Sales team' });
    expect(made.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(made).toMatchObject({ site: 'example.com', url: `/#share=${made.token}`, password_protected: false });
    expect(rows).toHaveLength(1);
    expect(rows[0]?.token_hash).toBe(createHash('sha256').update(made.token).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(made.token);

    const list = await app.inject({ method: 'GET', url: '/api/sites/example.com/shared-links', headers: admin });
    expect(list.json()).toEqual({ site: 'example.com', shared_links: [{ id: made.id, site: 'example.com', name: 'Sales team', password_protected: false, created: '2026-03-10T12:34:56Z' }] });
    expect(list.body).not.toContain(made.token);

    for (const [method, url] of [['GET', '/api/sites/example.com/shared-links'], ['POST', '/api/sites/example.com/shared-links'], ['DELETE', `/api/sites/example.com/shared-links/${made.id}`]] as const) {
      const res = await app.inject({ method, url, payload: method === 'POST' ? {} : undefined });
      expect([res.statusCode, code(res)], `${method} ${url}`).toEqual([401, 'TKM_UNAUTHORIZED']);
    }
  });

  it('stores a password only as a salted scrypt hash, never logs token or password', async () => {
    const { rows, create, logs } = await setup();
    const a = await create('example.com', { password: 'correct horse battery' });
    const b = await create('example.com', { password: 'correct horse battery' });
    expect(a.password_protected).toBe(true);
    const [ha, hb] = rows.map((r) => r.password_hash);
    expect(ha).toMatch(/^scrypt\$15\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(ha).not.toBe(hb);
    expect(JSON.stringify(rows)).not.toContain('correct horse');
    expect(logs.text()).not.toContain('correct horse');
    expect(logs.text()).not.toContain(a.token);
    expect(logs.text()).not.toContain(b.token);
  });

  it('refuses short passwords and unknown fields, and revokes only a live link of that site', async () => {
    const { app, create } = await setup();
    const short = await app.inject({ method: 'POST', url: '/api/sites/example.com/shared-links', headers: admin, payload: { password: 'short' } });
    expect([short.statusCode, code(short)]).toEqual([400, 'TKM_INVALID_QUERY']);
    expect(short.body).not.toContain('short"');
    const made = await create('example.com');
    const wrongSite = await app.inject({ method: 'DELETE', url: `/api/sites/other.example/shared-links/${made.id}`, headers: admin });
    expect([wrongSite.statusCode, code(wrongSite)]).toEqual([404, 'TKM_NOT_FOUND']);
    const revoked = await app.inject({ method: 'DELETE', url: `/api/sites/example.com/shared-links/${made.id}`, headers: admin });
    expect(revoked.json()).toEqual({ id: made.id, site: 'example.com', revoked: true });
    const again = await app.inject({ method: 'DELETE', url: `/api/sites/example.com/shared-links/${made.id}`, headers: admin });
    expect(again.statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/api/sites/example.com/shared-links', headers: admin })).json()).toEqual({ site: 'example.com', shared_links: [] });
  });
});

describe('shared links: what a share token may read', () => {
  it('reads its own site: the link info, dimensions, v2 questions, goals, and a site list of just its site', async () => {
    const { app, create, calls } = await setup();
    const { token } = await create('example.com');
    const share = { 'x-tokumei-share': token };
    expect((await app.inject({ method: 'GET', url: '/api/share', headers: share })).json()).toEqual({ site: 'example.com', name: 'Shared link', password_protected: false });
    expect((await app.inject({ method: 'GET', url: '/api/dimensions', headers: share })).statusCode).toBe(200);
    const query = await app.inject({ method: 'POST', url: '/api/v2/query', headers: share, payload: v2('example.com') });
    expect(query.statusCode, query.body).toBe(200);
    expect(query.headers['cache-control']).toBe('no-store');
    expect((await app.inject({ method: 'GET', url: '/api/sites/example.com/goals', headers: share })).statusCode).toBe(200);
    const before = calls.length;
    const sites = await app.inject({ method: 'GET', url: '/api/stats/sites', headers: share });
    expect(sites.json()).toEqual({ sites: ['example.com'] });
    // Only the token lookup: the site list of the instance is never read for a share.
    expect(calls.slice(before).every((c) => c.query.includes('FROM shared_links'))).toBe(true);
  });

  it('is refused every other site with one 403, whether the site exists or not, in every way of naming it', async () => {
    const { app, create, calls } = await setup();
    const { token } = await create('example.com');
    await create('other.example');
    const share = { 'x-tokumei-share': token };
    const asks = [
      { method: 'GET', url: '/api/stats/summary?site=other.example' },
      { method: 'GET', url: '/api/stats/summary?site=never-made.example' },
      { method: 'GET', url: '/api/stats/summary?site=Example.com' },
      { method: 'GET', url: '/api/stats/summary?site=example.com.' },
      { method: 'GET', url: '/api/stats/timeseries?site=other.example' },
      { method: 'GET', url: '/api/stats/breakdown?site=other.example&dimension=page' },
      { method: 'GET', url: '/api/stats/realtime?site=other.example' },
      { method: 'GET', url: '/api/sites/other.example/goals' },
      { method: 'GET', url: '/api/sites/EXAMPLE.COM/goals' },
      { method: 'POST', url: '/api/v2/query', payload: v2('other.example') },
      { method: 'POST', url: '/api/v2/query', payload: { ...v2('other.example'), dimensions: ['event:goal'], metrics: ['visitors', 'conversion_rate'] } },
      { method: 'POST', url: '/api/v2/query', payload: v2(' example.com') },
      { method: 'POST', url: '/api/v2/conversions', payload: { site_id: 'other.example', date_range: '7d', metrics: ['visitors'], dimensions: ['event:goal'] } },
      { method: 'POST', url: '/api/v2/funnel', payload: { site_id: 'other.example', date_range: '7d', steps: ['a', 'b'] } },
      { method: 'GET', url: '/api/v2/export?site_id=other.example&date_range=7d' },
      { method: 'POST', url: '/api/v2/export', payload: { site_id: 'other.example', date_range: '7d' } },
    ] as const;
    const answers = [];
    for (const ask of asks) {
      const before = calls.length;
      const res = await app.inject({ ...ask, headers: share });
      expect([res.statusCode, code(res)], `${ask.method} ${ask.url} ${JSON.stringify('payload' in ask ? ask.payload : '')}`).toEqual([403, 'TKM_SHARE_FORBIDDEN']);
      answers.push(res.body);
      // Refused before any statistics were read: only the token lookup ran.
      expect(calls.slice(before).every((c) => c.query.includes('FROM shared_links'))).toBe(true);
    }
    expect(new Set(answers).size).toBe(1);
  });

  it('never reaches the audit, goal changes or the link admin, not even with the API token beside it', async () => {
    const { app, create } = await setup();
    const own = await create('example.com');
    const both = { 'x-tokumei-share': own.token, ...admin };
    const asks = [
      { method: 'GET', url: '/api/audit' },
      { method: 'PUT', url: '/api/sites/example.com/goals', payload: { goals: [] } },
      { method: 'GET', url: '/api/sites/example.com/shared-links' },
      { method: 'POST', url: '/api/sites/example.com/shared-links', payload: {} },
      { method: 'DELETE', url: `/api/sites/example.com/shared-links/${own.id}` },
      { method: 'HEAD', url: '/api/stats/summary?site=example.com' },
    ] as const;
    for (const ask of asks) {
      const res = await app.inject({ ...ask, headers: both });
      expect(res.statusCode, `${ask.method} ${ask.url}`).toBe(403);
      if (ask.method !== 'HEAD') expect(code(res)).toBe('TKM_SHARE_FORBIDDEN');
    }
    expect((await app.inject({ method: 'GET', url: '/api/sites/example.com/shared-links', headers: admin })).json<{ shared_links: unknown[] }>().shared_links).toHaveLength(1);
  });

  it('refuses malformed, unknown, repeated and revoked tokens with 401, the revoked one on its very next request', async () => {
    const { app, create } = await setup();
    const made = await create('example.com');
    const ask = (token: string) => app.inject({ method: 'POST', url: '/api/v2/query', headers: { 'x-tokumei-share': token }, payload: v2('example.com') });
    for (const token of ['', 'short', `${made.token}x`, made.token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), `${made.token}, ${made.token}`]) {
      const res = await ask(token);
      expect([res.statusCode, code(res)], token).toEqual([401, 'TKM_SHARE_INVALID']);
    }
    expect((await ask(made.token)).statusCode).toBe(200);
    await app.inject({ method: 'DELETE', url: `/api/sites/example.com/shared-links/${made.id}`, headers: admin });
    const after = await ask(made.token);
    expect([after.statusCode, code(after)]).toEqual([401, 'TKM_SHARE_INVALID']);
  });

  it('answers 401 TKM_UNAUTHORIZED without either token, and /api/share needs a share token', async () => {
    const { app } = await setup();
    const res = await app.inject({ method: 'POST', url: '/api/v2/query', payload: v2('example.com') });
    expect([res.statusCode, code(res)]).toEqual([401, 'TKM_UNAUTHORIZED']);
    const info = await app.inject({ method: 'GET', url: '/api/share', headers: admin });
    expect([info.statusCode, code(info)]).toEqual([401, 'TKM_SHARE_INVALID']);
  });
});

describe('shared links: passwords', () => {
  const COOKIE = /^tokumei_share_([0-9a-f]{16})=(\d{13}\.[A-Za-z0-9_-]{43}); Max-Age=3600; Path=\/api; HttpOnly; SameSite=Strict$/;

  async function unlock(app: ApiApp, token: string, password: string) {
    return app.inject({ method: 'POST', url: '/api/share/session', headers: { 'x-tokumei-share': token }, payload: { password } });
  }

  it('needs the password once: a wrong one is 401, the right one sets an HttpOnly SameSite=Strict cookie that opens the link for an hour', async () => {
    const { app, create, advance } = await setup();
    const made = await create('example.com', { password: 'correct horse battery' });
    const share = { 'x-tokumei-share': made.token };
    for (const url of ['/api/share', '/api/dimensions']) {
      const res = await app.inject({ method: 'GET', url, headers: share });
      expect([res.statusCode, code(res)], url).toEqual([401, 'TKM_SHARE_PASSWORD']);
    }
    const wrong = await unlock(app, made.token, 'Correct horse battery');
    expect([wrong.statusCode, code(wrong)]).toEqual([401, 'TKM_SHARE_PASSWORD']);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const right = await unlock(app, made.token, 'correct horse battery');
    expect(right.statusCode, right.body).toBe(200);
    expect(right.json()).toEqual({ expires: new Date(START + 3_600_000).toISOString() });
    const cookie = String(right.headers['set-cookie']);
    const m = COOKIE.exec(cookie);
    expect(m, cookie).not.toBeNull();
    expect(m?.[1]).toBe(made.id);
    const pair = cookie.split(';')[0] ?? '';
    const opened = await app.inject({ method: 'GET', url: '/api/share', headers: { ...share, cookie: `a=b; ${pair}` } });
    expect(opened.statusCode, opened.body).toBe(200);
    // Still only its own site.
    const other = await app.inject({ method: 'POST', url: '/api/v2/query', headers: { ...share, cookie: pair }, payload: v2('other.example') });
    expect(code(other)).toBe('TKM_SHARE_FORBIDDEN');
    // The cookie is no bearer: without the link's token it opens nothing.
    expect((await app.inject({ method: 'GET', url: '/api/dimensions', headers: { cookie: pair } })).statusCode).toBe(401);
    advance(3_600_000);
    const expired = await app.inject({ method: 'GET', url: '/api/share', headers: { ...share, cookie: pair } });
    expect(code(expired)).toBe('TKM_SHARE_PASSWORD');
  });

  it('a session cannot be forged, stretched, or moved to another link with the same password', async () => {
    const { app, create } = await setup();
    const a = await create('example.com', { password: 'correct horse battery' });
    const b = await create('example.com', { password: 'correct horse battery' });
    const pair = String((await unlock(app, a.token, 'correct horse battery')).headers['set-cookie']).split(';')[0] ?? '';
    const value = pair.split('=')[1] ?? '';
    const [expires, mac] = value.split('.') as [string, string];
    const tries = [
      `tokumei_share_${b.id}=${value}`,
      `tokumei_share_${a.id}=${Number(expires) + 1000}.${mac}`,
      `tokumei_share_${a.id}=${expires}.${mac.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))}`,
      `tokumei_share_${a.id}=9999999999999.${mac}`,
    ];
    const link = (cookie: string) => (cookie.includes(b.id) ? b.token : a.token);
    for (const cookie of tries) {
      const res = await app.inject({ method: 'GET', url: '/api/share', headers: { 'x-tokumei-share': link(cookie), cookie } });
      expect(code(res), cookie).toBe('TKM_SHARE_PASSWORD');
    }
    // Revoking the link ends its sessions.
    await app.inject({ method: 'DELETE', url: `/api/sites/example.com/shared-links/${a.id}`, headers: admin });
    expect(code(await app.inject({ method: 'GET', url: '/api/share', headers: { 'x-tokumei-share': a.token, cookie: pair } }))).toBe('TKM_SHARE_INVALID');
  });

  it('stops guessing: after 10 wrong passwords the link answers 429 with Retry-After, even to the right one, for 15 minutes', async () => {
    const { app, create, advance } = await setup();
    const made = await create('example.com', { password: 'correct horse battery' });
    const other = await create('example.com', { password: 'correct horse battery' });
    for (let i = 0; i < 10; i += 1) expect(code(await unlock(app, made.token, `guess ${i}`))).toBe('TKM_SHARE_PASSWORD');
    const blocked = await unlock(app, made.token, 'correct horse battery');
    expect([blocked.statusCode, code(blocked)]).toEqual([429, 'TKM_SHARE_THROTTLED']);
    expect(blocked.headers['retry-after']).toBe('900');
    expect((await unlock(app, other.token, 'correct horse battery')).statusCode).toBe(200);
    advance(15 * 60_000);
    expect((await unlock(app, made.token, 'correct horse battery')).statusCode).toBe(200);
  }, 60_000);
});
