import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMarkdown, type AuditReport } from '@tokumei/audit';
import { createLogger } from '@tokumei/config';
import { startTokumei, type Running } from '../../apps/tokumei/src/runtime.js';
import { byId } from '../helpers/audit.js';
import { testConfig } from '../helpers/pipeline.js';

/**
 * The props uniqueness check on real chDB: values the scrubber lets through (bare names, places, look-alike digits,
 * pronounceable random ids: the red team's survivors) are stored as the worker would store them, one per visitor,
 * and the audit must name their key from counts alone, without ever printing a value.
 */
const logger = createLogger({ level: 'warn' });
const SITE = 'example.com';
const SURNAMES = ['Tsuchiya', 'Okabe', 'Minagawa', 'Hoshino', 'Kurosawa', 'Nishikawa', 'Shibata', 'Uchida'];
const GIVEN = ['Haruki', 'Setsuko', 'Ryohei', 'Mitsuki', 'Kazuaki'];
/** The kinds no pattern finds, then romanised names to 40: every visitor has their own. */
const USERS = ['山田太郎', '千代田1', 'lOO-OOOl', 'zazut-fokig', '佐々木花子', ...SURNAMES.flatMap((s) => GIVEN.map((g) => `${g} ${s}`))].slice(0, 40);
const PLANS = ['free', 'pro', 'enterprise'];
const SECTIONS = ['docs', 'blog', 'pricing', 'careers', 'about', 'news', 'support', 'events', 'partners', 'press', 'legal', 'status'];

/** 40 visitors today, the first 10 also yesterday under that day's (different) hash with the same user value. */
function rows(now: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const today = Math.floor(now / 1000) - 3600;
  USERS.forEach((user, v) => {
    const props = { user, plan: PLANS[v % PLANS.length] ?? 'free', section: SECTIONS[v % SECTIONS.length] ?? 'docs' };
    const base = { site: SITE, event: 'signup', host: SITE, path: '/signup', browser: 'Chrome', os: 'Windows', country: 'JP', screen: 'desktop', src: 'beacon', props };
    out.push({ ...base, ts: today + v, visitor: String(3_000_000 + v), session: String(4_000_000 + v) });
    out.push({ ...base, event: 'pageview', path: '/welcome', ts: today + v + 30, visitor: String(3_000_000 + v), session: String(4_000_000 + v) });
    if (v < 10) out.push({ ...base, event: 'pageview', path: '/', ts: today - 86_400 + v, visitor: String(5_000_000 + v), session: String(6_000_000 + v) });
    // The red team's shape: 25 identifiers mixed into a categorical key, on an event of their own.
    const ref = v < 25 ? `${user} ref` : PLANS[v % PLANS.length] ?? 'free';
    out.push({ ...base, event: 'share', path: '/share', props: { ref }, ts: today + v + 60, visitor: String(3_000_000 + v), session: String(4_000_000 + v) });
  });
  return out;
}

describe('audit: uniqueness of custom property values', () => {
  let running: Running;
  let report: AuditReport;

  beforeAll(async () => {
    running = await startTokumei(testConfig({ TOKUMEI_PROPS_ALLOWLIST: `${SITE}:user,plan,section,ref` }), logger);
    const client = running.store?.client ?? expect.fail('no store');
    await client.insert({ table: 'events', values: rows(Date.now()), format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: 'audit-props-uniqueness' } });
    report = await (running.audit ?? expect.fail('no audit')).run({ canary: false });
  });
  afterAll(async () => {
    await running.stop();
  });

  it('fails naming the key that holds a value per visitor, with its counts, and passes the categorical keys', () => {
    const check = byId(report, 'props-uniqueness');
    expect(check.status).toBe('fail');
    expect(report.passed).toBe(false);
    expect(check.findings.map((f) => f.location)).toEqual([`site ${SITE}, key ref`, `site ${SITE}, key user`]);
    const [ref, finding] = check.findings;
    // 25 names among the 3 plans the other 15 visitors share: 25 of 28 values.
    expect(ref?.message).toContain(`events.props key "ref" of ${SITE}: 25 of 28 distinct values (89.3 %)`);
    expect(finding?.location).toBe(`site ${SITE}, key user`);
    expect(finding?.count).toBe(40);
    // The returning visitors have two hashes for one value, but never two in one salt domain: still single-visitor.
    expect(finding?.message).toContain(`events.props key "user" of ${SITE}: 40 of 40 distinct values (100.0 %) were seen from one visitor only`);
    const evidence = check.evidence.join('\n');
    expect(evidence).toContain(`${SITE} plan: 3 distinct values in 90 rows, 0 seen from one visitor only (0.0 %); fewer than 10 values, not judged`);
    expect(evidence).toContain(`${SITE} section: 12 distinct values in 90 rows, 0 seen from one visitor only (0.0 %)`);
    expect(report.appi?.requirements.find((r) => r.rule === 'Art. 2(5); Rules Art. 31(i)')?.status).toBe('not met');
  });

  it('what the pattern checks make of the same values: the independent scan reads the map but sees only some', () => {
    const scan = byId(report, 'independent-scan');
    expect(scan.evidence.join('\n')).toContain('events.props');
    const props = scan.findings.filter((f) => f.table === 'events' && f.column === 'props');
    // Bare romanised names hold no digit, @, non-ASCII or long run: not even candidates. Recorded, not required.
    expect(props.reduce((n, f) => n + (f.count ?? 0), 0)).toBeLessThan(USERS.length * 2);
    expect(byId(report, 'content-scan').findings.filter((f) => f.column === 'props')).toEqual([]);
  });

  it('never prints a stored value, in the JSON or the Markdown report, English or Japanese', () => {
    const texts = [JSON.stringify(report), renderMarkdown(report), renderMarkdown(report, { lang: 'ja' })];
    for (const text of texts) {
      // Each ref identifier starts with its user value, so this covers them too.
      for (const user of USERS) expect(text.includes(user), user).toBe(false);
      for (const section of ['careers', 'partners']) expect(text.includes(section), section).toBe(false);
    }
    expect(texts[1]).toContain('key "user"');
    expect(texts[2]).toContain('訪問者ごとの値を持つカスタムプロパティがない');
  });
});
