import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AuditReport } from '@tokumei/audit';
import { createLogger } from '@tokumei/config';
import { classify } from '@tokumei/privacy';
import { startTokumei, type Running } from '../../apps/tokumei/src/runtime.js';
import { byId } from '../helpers/audit.js';
import { BROWSER_UA, postBeacon, testConfig, waitUntil } from '../helpers/pipeline.js';

/**
 * The mutation: the privacy engine's token rule is switched off for this whole test process, so the real worker
 * stores what that rule alone would have replaced, exactly as a bug in the rule would. Nothing in the engine has a
 * seam for this; the module itself is replaced. The audit's old content scan confirms candidates with the engine's
 * own classify(), so it shares the blind spot; the independent detector must not.
 */
vi.mock('../../packages/privacy/src/tokens.js', () => ({ hasToken: () => false }));

const logger = createLogger({ level: 'warn' });
// Letters and digits as a session or reset token: the token rule's case (fewer than seven digits, no @, no dots).
const TOKEN = 'Kx7QpLmN2oPqRs9TuVwX';

describe('the independent detector does not share a scrubber rule\'s blind spot', () => {
  let running: Running;
  let report: AuditReport;

  beforeAll(async () => {
    running = await startTokumei(testConfig(), logger);
    const ingest = running.urls.ingest ?? expect.fail('no ingest');
    expect(await postBeacon(ingest, { site: 'example.com', url: `https://example.com/reset/${TOKEN}?utm_campaign=${TOKEN}`, sid: 'tab-1' }, { 'user-agent': BROWSER_UA })).toBe(202);
    expect(await postBeacon(ingest, { site: 'example.com', url: 'https://example.com/pricing', sid: 'tab-2' }, { 'user-agent': BROWSER_UA })).toBe(202);
    const client = running.store?.client ?? expect.fail('no store');
    await waitUntil(async () => (await (await client.query({ query: 'SELECT toString(count()) AS n FROM events', format: 'JSONEachRow' })).json<{ n: string }>())[0]?.n, (n) => n === '2', 10_000);
    report = await (running.audit ?? expect.fail('no audit')).run({ canary: false });
  });
  afterAll(async () => {
    await running.stop();
  });

  it('the mutation is real: the engine no longer catches the token, and the worker stored it', async () => {
    expect(classify(TOKEN)).toBeUndefined();
    const client = running.store?.client ?? expect.fail('no store');
    const rows = await (await client.query({ query: 'SELECT path, utm_campaign FROM events WHERE position(path, {t:String}) > 0', query_params: { t: TOKEN }, format: 'JSONEachRow' })).json<{ path: string; utm_campaign: string }>();
    expect(rows).toEqual([{ path: `/reset/${TOKEN}`, utm_campaign: TOKEN }]);
  });

  it('the content scan built on the engine\'s rules is blind to it (the attack that used to pass)', () => {
    const content = byId(report, 'content-scan');
    expect(content.findings.filter((f) => f.table === 'events' && (f.column === 'path' || f.column === 'utm_campaign'))).toEqual([]);
  });

  it('the independent detector fails the audit, naming the table and column', () => {
    expect(report.passed).toBe(false);
    const independent = byId(report, 'independent-scan');
    expect(independent.status).toBe('fail');
    expect(independent.findings).toContainEqual(expect.objectContaining({ table: 'events', column: 'path', pattern: 'token', count: 1 }));
    expect(independent.findings).toContainEqual(expect.objectContaining({ table: 'events', column: 'utm_campaign', pattern: 'token', count: 1 }));
    // The breakdowns roll the path up too (dimension 'page').
    expect(independent.findings).toContainEqual(expect.objectContaining({ table: 'agg_dimensions_hourly', column: 'value', pattern: 'token' }));
    expect(JSON.stringify(report)).not.toContain(TOKEN);
    expect(report.appi?.requirements.find((r) => r.rule === 'Rules Art. 31(iii)')?.status).toBe('not met');
  });
});
