import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { AuditReport } from '@tokumei/audit';
import { KafkaBus } from '@tokumei/bus';
import { createLogger } from '@tokumei/config';
import { startTokumei, type Running } from '../../apps/tokumei/src/runtime.js';
import { byId } from '../helpers/audit.js';
import { spawnTokumei, type TokumeiProcess } from '../helpers/processes.js';
import { BROWSER_UA, getJson, postBeacon, summary, tempDir, testConfig, uniqueName, waitUntil } from '../helpers/pipeline.js';

const logger = createLogger({ level: 'warn' });
const BIN = path.resolve(import.meta.dirname, '../../apps/tokumei/bin/tokumei-dev.js');

/** Runs `tokumei audit` as its own process, as an operator would; resolves with its exit code and output. */
function runAuditCli(env: Record<string, string>, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'audit', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

/** Ordinary traffic first, so a clean audit has real rows to scan. */
async function traffic(ingest: string, api: string): Promise<void> {
  for (let i = 0; i < 5; i++) {
    expect(await postBeacon(ingest, { site: 'example.com', url: `https://example.com/docs/page-${i}?utm_source=news`, sid: `tab-${i}`, referrer: 'https://www.example.org/' },
      { 'user-agent': BROWSER_UA })).toBe(202);
  }
  await waitUntil(() => summary(api, 'example.com'), (s) => s.pageviews >= 5, 10_000);
}

describe('tokumei audit on a clean pipeline', () => {
  const processes: TokumeiProcess[] = [];
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.kill('SIGTERM');
  });

  it('passes with --canary against a running embedded instance, and GET /api/audit serves the report', async () => {
    const dataDir = tempDir();
    const env = { TOKUMEI_DATA_DIR: dataDir, TOKUMEI_LOG_LEVEL: 'info', TOKUMEI_LOG_FILE: path.join(dataDir, 'tokumei.log') };
    const tokumei = await spawnTokumei(env);
    processes.push(tokumei);
    await traffic(tokumei.urls.ingest ?? '', tokumei.urls.api ?? '');

    const result = await runAuditCli(env, ['--canary', '--json']);
    const report = JSON.parse(result.stdout) as AuditReport;
    expect(report.checks.filter((c) => c.status === 'fail'), JSON.stringify(report.checks, null, 1)).toEqual([]);
    expect(result.code).toBe(0);
    expect(report).toMatchObject({ kind: 'tokumei.audit-report', schemaVersion: 1, passed: true, deployment: { ranIn: 'running-instance', bus: 'memory', canary: true } });
    const canary = byId(report, 'canary');
    expect(canary.status).toBe('pass');
    // Two beacons and one access-log line through the importer, all counted.
    expect(canary.evidence.join('\n')).toMatch(/sent 2 beacons .*; 3 page views counted in events/);
    expect(canary.evidence.join('\n')).toMatch(/access-log import: 1 combined-format line .*\(1 page view, 0 bad\)/);
    expect(canary.evidence.join('\n')).toMatch(/service log .*tokumei\.log: \d+ characters/);

    const last = await getJson<AuditReport>(`${tokumei.urls.api}/api/audit`);
    expect(last.generatedAt).toBe(report.generatedAt);
    const markdown = await (await fetch(`${tokumei.urls.api}/api/audit?format=markdown`)).text();
    expect(markdown).toContain('# Tokumei privacy audit');
    expect(tokumei.output()).not.toContain('TokumeiCanary');

    // The same instance, the report in Japanese.
    const ja = await runAuditCli(env, ['--lang', 'ja']);
    expect(ja.code).toBe(0);
    for (const text of ['# Tokumei プライバシー監査報告書', '個人情報の保護に関する法律', '仮名加工情報', '削除情報等', '安全管理措置', '第三者提供の制限', 'CNIL']) expect(ja.stdout).toContain(text);
  });

  it('passes with --canary in Kafka mode, searching the topics other than the raw one', async () => {
    const dataDir = tempDir();
    const env = {
      TOKUMEI_DATA_DIR: dataDir, KAFKA_BROKERS: inject('kafkaBrokers'), TOKUMEI_RAW_TOPIC: uniqueName('raw'), TOKUMEI_CONSUMER_GROUP: uniqueName('workers'),
      TOKUMEI_SALT_TOPIC: uniqueName('salts'), TOKUMEI_KAFKA_SESSION_TIMEOUT_MS: '6000', TOKUMEI_LOG_LEVEL: 'warn', TOKUMEI_LOG_FILE: path.join(dataDir, 'tokumei.log'),
    };
    const tokumei = await spawnTokumei(env);
    processes.push(tokumei);
    await traffic(tokumei.urls.ingest ?? '', tokumei.urls.api ?? '');

    const out = path.join(dataDir, 'report.json');
    const result = await runAuditCli(env, ['--canary', '--json', '--out', out]);
    const report = JSON.parse(fs.readFileSync(out, 'utf8')) as AuditReport;
    expect(report.checks.filter((c) => c.status === 'fail'), JSON.stringify(report.checks, null, 1)).toEqual([]);
    expect(result.code).toBe(0);
    expect(report.deployment).toMatchObject({ bus: 'kafka', canary: true });
    expect(byId(report, 'canary').evidence.join('\n')).toMatch(/Kafka: \d+ messages .* topics other than the raw topic searched/);
    expect(byId(report, 'retention').evidence.join('\n')).toContain(`raw topic ${env.TOKUMEI_RAW_TOPIC}: retention.ms=86400000`);
  });
});

describe('tokumei audit finds planted violations', () => {
  const running: Running[] = [];
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop();
  });

  it('names a raw IP in a table, an undeclared column and an old salt in the register', async () => {
    const config = testConfig();
    const tokumei = await startTokumei(config, logger);
    running.push(tokumei);
    const client = tokumei.store?.client ?? expect.fail('no store');
    await client.insert({ table: 'events', values: [{ site: 'example.com', ts: Math.floor(Date.now() / 1000), event: 'pageview', path: '/from/203.0.113.9/x', src: 'beacon' }], format: 'JSONEachRow' });
    await client.command({ query: 'ALTER TABLE events ADD COLUMN client_address String' });
    const file = path.join(config.dataDir, 'salts.json');
    const salts = JSON.parse(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '{}') as Record<string, string>;
    fs.writeFileSync(file, JSON.stringify({ ...salts, '2020-01-01': Buffer.alloc(40, 1).toString('base64') }), { mode: 0o600 });

    const report = await (tokumei.audit ?? expect.fail('no audit')).run({ canary: false });
    expect(report.passed).toBe(false);
    expect(byId(report, 'content-scan').findings).toContainEqual(expect.objectContaining({ table: 'events', column: 'path', pattern: 'ip', count: 1, sample: '•••.•.•••.•' }));
    expect(byId(report, 'independent-scan').findings).toContainEqual(expect.objectContaining({ table: 'events', column: 'path', pattern: 'ip', count: 1, sample: '•••.•.•••.•' }));
    expect(byId(report, 'inventory').findings).toContainEqual(expect.objectContaining({ table: 'events', column: 'client_address' }));
    expect(byId(report, 'retention').findings).toContainEqual(expect.objectContaining({ location: 'salt register key 2020-01-01' }));
    expect(JSON.stringify(report)).not.toContain('203.0.113.9');
  });

  it('names a raw topic whose retention is longer than configured', async () => {
    const env = { KAFKA_BROKERS: inject('kafkaBrokers'), TOKUMEI_RAW_TOPIC: uniqueName('raw'), TOKUMEI_CONSUMER_GROUP: uniqueName('workers'), TOKUMEI_SALT_TOPIC: uniqueName('salts'), TOKUMEI_KAFKA_SESSION_TIMEOUT_MS: '6000' };
    const config = testConfig(env);
    const tokumei = await startTokumei(config, logger);
    running.push(tokumei);
    // Someone sets the topic to keep raw records for a week, behind Tokumei's back.
    const week = testConfig({ ...env, TOKUMEI_RAW_RETENTION_MS: String(7 * 86_400_000) });
    const other = new KafkaBus(week.kafka ?? expect.fail('no kafka'), week, logger);
    await other.ensureTopics();
    await other.close();

    const report = await (tokumei.audit ?? expect.fail('no audit')).run({ canary: false });
    const retention = byId(report, 'retention');
    expect(retention.status).toBe('fail');
    expect(retention.findings).toContainEqual(expect.objectContaining({ location: `Kafka topic ${config.rawTopic}`, message: expect.stringContaining('7 d') as string }));
  });
});
