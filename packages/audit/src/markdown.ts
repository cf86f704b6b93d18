import { APPI_CATEGORY_JA, APPI_REQUIREMENTS, STORE_WHY_JA, rulesOf } from './appi.js';
import { CHECK_JA, EN, JA, PROMISE_JA, type Lang, type ReportText } from './markdown-text.js';
import { PROMISES, type AuditReport, type CheckResult } from './report.js';

/** Table cells: a pipe or a line break would end the cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function percent(share: number): string {
  return `${(Math.round(share * 1000) / 10).toFixed(1)} %`;
}

interface View {
  readonly t: ReportText;
  readonly lang: Lang;
}

function title(v: View, c: CheckResult): string {
  return v.lang === 'ja' ? CHECK_JA[c.id].title : c.title;
}

function promise(v: View, text: string): string {
  return v.lang === 'ja' ? `${PROMISE_JA[text] ?? ''}（原文：${text}）` : text;
}

function checkSection(v: View, c: CheckResult, n: number): string[] {
  const { t } = v;
  const out = [
    `### ${n}. ${title(v, c)} — ${t.status[c.status]}`, '',
    `> ${promise(v, c.promise)}`, '',
    `${v.lang === 'ja' ? '個人情報保護法' : 'APPI'}: ${rulesOf(c.id, v.lang).join(v.lang === 'ja' ? '、' : '; ') || '—'}`, '',
    `${t.examined} ${c.scope}.`, '',
    `${t.how} ${v.lang === 'ja' ? CHECK_JA[c.id].method : c.method}`, '',
  ];
  if (c.evidence.length > 0) out.push(t.evidence, '', ...c.evidence.map((e) => `- ${e}`), '');
  if (c.findings.length === 0) {
    out.push(c.status === 'skipped' ? t.notRun : t.none, '');
  } else {
    out.push(t.findings, '', t.findingsHeader);
    for (const f of c.findings) {
      const where = f.table !== undefined ? `${f.table}${f.column !== undefined ? `.${f.column}` : ''}` : (f.location ?? '');
      out.push(`| ${cell(where)} | ${f.pattern ?? ''} | ${f.count ?? ''} | ${f.sample === undefined ? '' : `\`${f.sample}\``} | ${cell(f.message)} |`);
    }
    out.push('');
  }
  return out;
}

function header(v: View, report: AuditReport): string[] {
  const { t, lang } = v;
  const d = report.deployment;
  const failed = report.checks.filter((c) => c.status === 'fail');
  const ja = lang === 'ja';
  const store = d.store === 'embedded' ? (ja ? '組み込み（chDB）' : 'embedded (chDB)') : (ja ? 'サーバー' : 'server');
  const bus = d.bus === 'kafka' ? 'Kafka' : (ja ? 'プロセス内' : 'in-process');
  const where = d.ranIn === 'running-instance' ? (ja ? '稼働中の Tokumei インスタンス内' : 'inside the running Tokumei instance') : (ja ? '`tokumei audit` コマンド内' : 'in the `tokumei audit` command');
  const canary = d.canary ? (ja ? '（カナリア値をパイプラインに送信）' : ', with canary values sent through the pipeline') : (ja ? '（カナリア値なし：`--canary` で含める）' : ', without canary values (run with `--canary` to include them)');
  return [
    t.title, '',
    `${t.generated} ${report.generatedAt} · report schema ${report.kind} v${report.schemaVersion}`, '',
    `**${ja ? '結果：' : 'Result: '}${report.passed ? t.allPassed : t.failed(failed.length, failed.map((c) => title(v, c)).join(ja ? '、' : '; '))}${ja ? '。' : '.'}**`, '',
    t.deployment(store, bus, where, canary), '',
    ...t.intro, '',
    t.promisesHeading, '', t.promisesIntro, '',
    ...[PROMISES.noIdentification, PROMISES.statisticsOnly, PROMISES.noIdentifyingCollection, PROMISES.deletion, PROMISES.leakage, PROMISES.thirdParty].map((p) => `- ${promise(v, p)}`), '',
  ];
}

function appiSections(v: View, report: AuditReport): string[] {
  const { t, lang } = v;
  if (report.appi === undefined) return [];
  const out = [t.appiHeading, '', t.appiIntro, '', t.appiHeader];
  for (const r of report.appi.requirements) {
    const ja = APPI_REQUIREMENTS.find((a) => a.rule === r.rule);
    const text = lang === 'ja' ? (ja?.ja ?? r.requirement) : r.requirement;
    out.push(`| ${cell(lang === 'ja' ? (ja?.ruleJa ?? r.rule) : r.rule)} | ${cell(text)} | ${t.cnil[r.status]} | ${r.checks.join(', ')} |`);
  }
  out.push('', t.storesHeading, '', t.storesHeader);
  for (const s of report.appi.stores) out.push(`| ${cell(s.store)} | ${lang === 'ja' ? APPI_CATEGORY_JA[s.category] : s.category} | ${cell(lang === 'ja' ? (STORE_WHY_JA[s.why] ?? s.why) : s.why)} |`);
  out.push('');
  return out;
}

function uniquenessSection(v: View, report: AuditReport): string[] {
  const m = report.uniqueness;
  if (m === undefined) return [];
  const out = [v.t.uniquenessHeading, '', `(${m.quasiIdentifiers.join(', ')}) · ${m.rows} rows · ${m.days} d`, '', v.t.uniquenessHeader];
  for (const p of m.precisions) out.push(`| ${p.precision}${p.precision === m.storedPrecision ? ' (stored)' : ''} | ${p.uniqueRows} | ${percent(p.share)} | ${p.linkableRows} |`);
  out.push('');
  return out;
}

/** The report for people: what was promised, what was checked, how, and what was found, in that order. */
export function renderMarkdown(report: AuditReport, options: { lang?: Lang } = {}): string {
  const lang = options.lang ?? 'en';
  const v: View = { t: lang === 'ja' ? JA : EN, lang };
  const { t } = v;
  const out: string[] = [
    ...header(v, report),
    t.summary, '', t.summaryHeader,
    ...report.checks.map((c) => `| ${cell(title(v, c))} | ${t.status[c.status]} | ${cell(rulesOf(c.id, lang).join(lang === 'ja' ? '、' : '; '))} | ${cell(promise(v, c.promise))} |`), '',
    ...appiSections(v, report),
    t.checksHeading, '',
    ...(t.generatedNote === '' ? [] : [t.generatedNote, '']),
    ...report.checks.flatMap((c, i) => checkSection(v, c, i + 1)),
    ...uniquenessSection(v, report),
    t.saltsHeading, '', t.saltsIntro, '',
  ];
  if (report.saltLifecycle.length === 0) out.push(t.noSalts, '');
  else {
    out.push(t.saltsHeader);
    for (const s of report.saltLifecycle) out.push(`| ${s.day} | \`${s.commitment.slice(0, 16)}…\` | ${s.created} | ${s.destroyed ?? t.stillInUse} |`);
    out.push('');
  }
  out.push(
    t.inventoryHeading, '', t.inventoryIntro, '', t.inventoryHeader,
    ...report.inventory.map((r) => `| \`${r.field}\` | ${cell(r.purpose)} | ${cell(r.retention)} |`), '',
    t.cnilHeading, '', t.cnilHeader,
    ...report.cnil.map((c) => `| ${cell(c.criterion)} | ${t.cnil[c.status]} | ${cell(c.evidence)} |`), '',
    t.cnilNote, '',
  );
  return out.join('\n');
}
