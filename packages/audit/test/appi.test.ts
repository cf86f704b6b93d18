import { describe, expect, it } from 'vitest';
import { appiAssessment, appiStores } from '../src/appi.js';
import { renderMarkdown } from '../src/markdown.js';
import { PROMISES, REPORT_KIND, SCHEMA_VERSION, check, type AuditReport, type CheckId, type CheckResult } from '../src/report.js';
import { uniquenessCheck, withUniquenessThreshold } from '../src/uniqueness.js';

const IDS: CheckId[] = ['inventory', 'content-scan', 'independent-scan', 'uniqueness', 'props-uniqueness', 'canary', 'retention', 'salt-lifecycle', 'salt-exposure', 'journal'];

function result(id: CheckId, failing = false): CheckResult {
  return check({ id, title: id, promise: PROMISES.noIdentification, scope: 's', method: 'm', evidence: [], findings: failing ? [{ message: 'x', table: 'events', column: 'path', pattern: 'token', count: 1, sample: '••••' }] : [] });
}

function report(checks: CheckResult[]): AuditReport {
  return {
    kind: REPORT_KIND, schemaVersion: SCHEMA_VERSION, generatedAt: '2026-12-01T00:00:00.000Z', passed: checks.every((c) => c.status !== 'fail'),
    deployment: { store: 'embedded', bus: 'memory', ranIn: 'command', canary: true }, checks, saltLifecycle: [], inventory: [], cnil: [{ criterion: 'Data kept no longer than 25 months', status: 'met', evidence: 'ttl' }],
    uniqueness: { rows: 100, days: 30, storedPrecision: 'second', quasiIdentifiers: ['ts', 'path', 'browser', 'os', 'country', 'screen'], precisions: [
      { precision: 'second', uniqueRows: 99, share: 0.99, linkableRows: 99 }, { precision: 'minute', uniqueRows: 60, share: 0.6, linkableRows: 60 }, { precision: 'hour', uniqueRows: 10, share: 0.1, linkableRows: 10 }] },
    appi: { requirements: appiAssessment(checks), stores: appiStores({ bus: 'kafka', rawTopic: 'tokumei.raw', saltTopic: 'tokumei.salts' }) },
  };
}

describe('APPI framing', () => {
  it('a requirement is not met when a check behind it fails, and third-party provision is always the operator\'s', () => {
    const failing = appiAssessment(IDS.map((id) => result(id, id === 'salt-exposure')));
    expect(failing.find((r) => r.rule === 'Art. 41(2); Rules Art. 32')?.status).toBe('not met');
    expect(failing.find((r) => r.rule === 'Art. 23')?.status).toBe('not met');
    expect(failing.find((r) => r.rule === 'Rules Art. 31(ii)')?.status).toBe('met');
    expect(failing.find((r) => r.rule === 'Art. 41(6)')?.status).toBe('operator');
  });

  it('puts each store in its category: raw topic personal, events pseudonymous, aggregates statistics, salts deleted descriptions', () => {
    const stores = appiStores({ bus: 'kafka', rawTopic: 'tokumei.raw', saltTopic: 'tokumei.salts' });
    const category = (store: string) => stores.find((s) => s.store === store)?.category;
    expect(category('Kafka topic tokumei.raw')).toBe('personal information');
    expect(category('table events')).toBe('pseudonymously processed information');
    expect(category('table agg_site_hourly')).toBe('statistical information');
    expect(category('Kafka topic tokumei.salts')).toBe('deleted descriptions etc.');
  });

  it('renders in Japanese with the law\'s terms and article numbers, and keeps the CNIL table', () => {
    const md = renderMarkdown(report(IDS.map((id) => result(id, id === 'independent-scan'))), { lang: 'ja' });
    for (const text of ['# Tokumei プライバシー監査報告書', '個人情報の保護に関する法律', '仮名加工情報', '削除情報等', '安全管理措置', '第三者提供の制限',
      '法第41条第2項、規則第32条', '規則第31条第3号', '❌ 不充足', '## 第二の参照基準：CNIL', 'アクセスログには、お客様個人を特定できる情報は含まれません。',
      '（原文：Access logs do not include information which lead to personal identification of the customer.）', '| events.path | token | 1 | `••••` |']) {
      expect(md, text).toContain(text);
    }
    expect(md).not.toContain('Rules Art.');
  });

  it('renders in English with the policy\'s own sentences and the APPI rule per check', () => {
    const md = renderMarkdown(report(IDS.map((id) => result(id))));
    expect(md).toContain('- Access logs do not include information which lead to personal identification of the customer.');
    expect(md).toContain('The access log data will be used solely for statistical analysis');
    expect(md).toContain('APPI: Art. 2(5); Rules Art. 31(i); Rules Art. 31(ii); Rules Art. 31(iii)');
    expect(md).toContain('| second (stored) | 99 | 99.0 % | 99 |');
  });
});

describe('uniqueness', () => {
  const m = report([]).uniqueness;
  it('recommends the coarsest precision needed and fails only above a configured share', () => {
    const plain = uniquenessCheck(m);
    expect(plain.status).toBe('pass');
    expect(plain.evidence.join('\n')).toContain('recommendation: set TOKUMEI_TIME_PRECISION=hour (10.0 % of rows unique at that precision)');
    expect(uniquenessCheck(m, 0.5).status).toBe('fail');
    expect(uniquenessCheck(m, 0.995).status).toBe('pass');
    const applied = withUniquenessThreshold(report([uniquenessCheck(m)]), 0.5);
    expect(applied.passed).toBe(false);
  });
});
