import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY_SHAPES } from '@tokumei/audit';
import { createLogger } from '@tokumei/config';
import { startTokumei, type Running } from '../../apps/tokumei/src/runtime.js';
import { byId } from '../helpers/audit.js';
import { BROWSER_UA, postBeacon, testConfig, waitUntil } from '../helpers/pipeline.js';

const logger = createLogger({ level: 'warn' });
const SEEDS = 20;

/**
 * `tokumei audit --canary` on a clean embedded pipeline (20 beacons, then the audit) draws random canary path tokens;
 * a token of a shape the engine does not catch (or one whose random letters the engine scrubs, so the canary page
 * views are never found) fails the audit only for some seeds, which looks like a flake. So the same run goes 20 times
 * with 20 seeds here: every canary passes and the whole audit passes.
 */
describe('canary audit on a clean embedded pipeline, 20 seeds', () => {
  let running: Running;
  beforeAll(async () => {
    running = await startTokumei(testConfig(), logger);
    const ingest = running.urls.ingest ?? expect.fail('no ingest');
    for (let i = 0; i < 20; i++) {
      expect(await postBeacon(ingest, { site: 'example.com', url: `https://example.com/docs/page-${i % 7}?utm_source=news`, sid: `tab-${i}` }, { 'user-agent': BROWSER_UA })).toBe(202);
    }
    const client = running.store?.client ?? expect.fail('no store');
    await waitUntil(async () => (await (await client.query({ query: 'SELECT toString(count()) AS n FROM events', format: 'JSONEachRow' })).json<{ n: string }>())[0]?.n, (n) => n === '20', 10_000);
  });
  afterAll(async () => {
    await running.stop();
  });

  it(`passes for each of ${SEEDS} seeds, and names the shapes it relies on`, async () => {
    const audit = running.audit ?? expect.fail('no audit');
    const failures: string[] = [];
    for (let seed = 1; seed <= SEEDS; seed++) {
      const report = await audit.run({ canary: true, canarySeed: `ci-${seed}` });
      const canary = byId(report, 'canary');
      if (!report.passed) failures.push(`seed ${seed}: ${JSON.stringify(report.checks.filter((c) => c.status === 'fail'))}`);
      expect(canary.evidence.join('\n')).toMatch(/sent 2 beacons .*; 3 page views counted in events/);
      for (const shape of CANARY_SHAPES) expect(canary.method).toContain(`${shape.label}: ${shape.rule} → ${shape.placeholder}`);
    }
    expect(failures).toEqual([]);
  }, 300_000);
});
