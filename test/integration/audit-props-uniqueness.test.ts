import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMarkdown, type AuditReport } from '@tokumei/audit';
import { createLogger } from '@tokumei/config';
import { AUTO_EVENTS, judgeExtension, judgeTargetHost } from '@tokumei/privacy';
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

/**
 * The automatic events' reserved keys, stored without the allow-list. BROWSING: one visitor clicks out to twelve
 * real sites, another to ten hosts of one domain, twelve more each to a site of their own and to one everyone clicks;
 * nobody else saw most of those hosts, and that is browsing. TAGGED: a page that gives each visitor their own subdomain of the site's domain
 * (some split over two labels) and their own file extension, in names the host and extension rules let through.
 */
const BROWSING = 'example.net';
const TAGGED = 'example.org';
const REAL = ['github.com', 'developer.mozilla.org', 'ja.wikipedia.org', 'www.w3.org', 'nodejs.org', 'www.npmjs.com', 'clickhouse.com', 'kafka.apache.org', 'www.typescriptlang.org', 'www.iana.org', 'www.rfc-editor.org', 'www.jpnic.ad.jp'];
const OWN_SITE = ['www.python.org', 'go.dev', 'www.rust-lang.org', 'deno.com', 'bun.sh', 'vitejs.dev', 'eslint.org', 'prettier.io', 'www.postgresql.org', 'redis.io', 'www.debian.org', 'ubuntu.com'];
const ONE_DOMAIN = ['docs', 'blog', 'status', 'support', 'shop', 'news', 'api', 'cdn', 'dev', 'jobs'].map((label) => `${label}.example.com`);
const C = 'bdfghkmnprstvz';
/** Pronounceable per-visitor labels: five letters, no digit, no random run. */
const tag = (v: number, a = 0) => `${C[(v + a) % 14]}a${C[(v + a + 4) % 14]}o${C[(v + a + 9) % 14]}`;
const TAG_HOSTS = Array.from({ length: 12 }, (_, v) => (v % 2 === 0 ? `${tag(v)}.${TAGGED}` : `${tag(v)}.${tag(v, 5)}.${TAGGED}`));
// Real extensions (the reserved ext keeps no other word since the privacy engine's mime-db list), one per visitor.
const TAG_EXTS = ['epub', 'azw', 'djvu', 'cbz', 'cbr', 'cb7', 'oxps', 'chm', 'ipynb', 'djv', 'azw3', 'cbt'];

function autoRow(site: string, event: string, props: Record<string, string>, ts: number, visitor: number): Record<string, unknown> {
  return { site, event, host: site, path: '/', browser: 'Firefox', os: 'Linux', country: 'JP', screen: 'desktop', src: 'beacon', props, ts, visitor: String(visitor), session: String(visitor + 1_000_000) };
}

function automaticRows(today: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const click = (site: string, host: string, ts: number, visitor: number) => out.push(autoRow(site, AUTO_EVENTS.outbound, { host }, ts, visitor));
  REAL.forEach((host, i) => click(BROWSING, host, today + i, 7_000_000));
  ONE_DOMAIN.forEach((host, i) => click(BROWSING, host, today + i, 7_000_001));
  OWN_SITE.forEach((host, i) => {
    click(BROWSING, host, today + i, 7_000_002 + i);
    click(BROWSING, 'github.com', today + i + 40, 7_000_002 + i);
  });
  TAG_HOSTS.forEach((host, v) => {
    for (const ts of [today + v, today + v + 40]) click(TAGGED, host, ts, 8_000_000 + v);
    click(TAGGED, 'github.com', today + v + 80, 8_000_000 + v);
    // The first three return yesterday: another hash, the same tag.
    if (v < 3) click(TAGGED, host, today - 86_400 + v, 9_000_000 + v);
    out.push(autoRow(TAGGED, AUTO_EVENTS.download, { ext: TAG_EXTS[v] ?? 'pdf' }, today + v + 120, 8_000_000 + v));
    out.push(autoRow(TAGGED, AUTO_EVENTS.download, { ext: 'pdf' }, today + v + 160, 8_000_000 + v));
  });
  return out;
}

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
  return [...out, ...automaticRows(today)];
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
    expect(check.findings.map((f) => f.location)).toEqual([
      `site ${SITE}, key ref`, `site ${SITE}, key user`,
      `site ${TAGGED}, event File_Download, key ext`, `site ${TAGGED}, event Outbound_Link:_Click, key host`,
    ]);
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

  it('stores what the worker would: every host and extension of the automatic events passes the reserved judges unchanged', () => {
    for (const host of [...REAL, ...OWN_SITE, ...ONE_DOMAIN, ...TAG_HOSTS]) expect(judgeTargetHost(host), host).toBe(host);
    for (const ext of TAG_EXTS) expect(judgeExtension(ext), ext).toBe(ext);
    expect(new Set(TAG_HOSTS).size).toBe(12);
    expect(new Set(TAG_EXTS).size).toBe(12);
  });

  it('passes a visitor who clicked out to many real sites, or to many hosts of one domain: browsing, not identity', () => {
    const check = byId(report, 'props-uniqueness');
    expect(check.findings.filter((f) => f.location?.includes(BROWSING))).toEqual([]);
    const evidence = check.evidence.join('\n');
    // As a whole the key is what the operator's-key rule fails (33 of 34 hosts single-visitor, 14 visitors owning
    // them), but no domain has ten visitors owning a host of their own there.
    expect(evidence).toContain(`${BROWSING} Outbound_Link:_Click host (data-outbound, stored without the allow-list): 34 distinct hosts in 46 rows, 33 seen from one visitor only (97.1 %) under 25 registrable domains; 0 with at least 10 hosts and 10 visitor-days owning one there, judged`);
    expect(evidence).not.toContain(`${BROWSING} host:`);
  });

  it('fails a host per visitor under the site\'s own domain and an extension per visitor, naming the feature, never a value', () => {
    const check = byId(report, 'props-uniqueness');
    const host = check.findings.find((f) => f.location === `site ${TAGGED}, event Outbound_Link:_Click, key host`);
    // 12 tags (split over one or two labels: one registrable domain), three also yesterday under another hash.
    expect(host?.message).toContain(`events.props key "host" of Outbound_Link:_Click (data-outbound) on ${TAGGED}: in one registrable domain (the site's own), 12 of 12 distinct hosts (100.0 %) were seen from one visitor only, by 15 visitor-days`);
    expect(host?.message).toContain('remove data-outbound from the tracker\'s script tag');
    expect(host?.count).toBe(12);
    const ext = check.findings.find((f) => f.location === `site ${TAGGED}, event File_Download, key ext`);
    expect(ext?.message).toContain('12 of 13 distinct values (92.3 %) were seen from one visitor only, by 12 visitor-days');
    expect(ext?.message).toContain('data-downloads');
    // github.com, clicked by all twelve, is its own domain: not judged, not counted in the tag's domain.
    expect(check.evidence.join('\n')).toContain(`${TAGGED} Outbound_Link:_Click host, one registrable domain (the site's own): 12 distinct hosts in 27 rows, 12 seen from one visitor only (100.0 %), owned by 15 visitor-days`);
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
      for (const value of [...REAL, ...OWN_SITE, ...ONE_DOMAIN, ...TAG_HOSTS, ...TAG_EXTS]) expect(text.includes(value), value).toBe(false);
    }
    expect(texts[1]).toContain('key "user"');
    expect(texts[2]).toContain('訪問者ごとの値を持つカスタムプロパティがない');
  });
});
