import type { AuditReport, CheckResult, CnilStatus } from './report.js';

const STATUS: Record<CheckResult['status'], string> = { pass: '✅ pass', fail: '❌ FAIL', skipped: '⏭ not run' };
const CNIL: Record<CnilStatus, string> = { met: '✅ met', 'not met': '❌ not met', operator: '👤 operator' };

/** Table cells: a pipe or a line break would end the cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function checkSection(c: CheckResult, n: number): string[] {
  const out = [
    `### ${n}. ${c.title} — ${STATUS[c.status]}`, '',
    `> ${c.promise}`, '',
    `**What was examined:** ${c.scope}.`, '',
    `**How:** ${c.method}`, '',
  ];
  if (c.evidence.length > 0) out.push('**Evidence:**', '', ...c.evidence.map((e) => `- ${e}`), '');
  if (c.findings.length === 0) {
    out.push(c.status === 'skipped' ? '_This check was not run._' : '**Findings:** none.', '');
  } else {
    out.push('**Findings:**', '', '| where | pattern | count | masked sample | finding |', '| --- | --- | --- | --- | --- |');
    for (const f of c.findings) {
      const where = f.table !== undefined ? `${f.table}${f.column !== undefined ? `.${f.column}` : ''}` : (f.location ?? '');
      out.push(`| ${cell(where)} | ${f.pattern ?? ''} | ${f.count ?? ''} | ${f.sample === undefined ? '' : `\`${f.sample}\``} | ${cell(f.message)} |`);
    }
    out.push('');
  }
  return out;
}

/** The report for people: what was promised, what was checked, how, and what was found, in that order. */
export function renderMarkdown(report: AuditReport): string {
  const d = report.deployment;
  const failed = report.checks.filter((c) => c.status === 'fail');
  const out: string[] = [
    '# Tokumei privacy audit', '',
    `Generated ${report.generatedAt} · report schema ${report.kind} v${report.schemaVersion}`, '',
    `**Result: ${report.passed ? '✅ every check passed' : `❌ ${failed.length} check(s) failed: ${failed.map((c) => c.title.toLowerCase()).join('; ')}`}.**`, '',
    `Deployment: ClickHouse ${d.store === 'embedded' ? 'embedded (chDB)' : 'server'}, ${d.bus === 'kafka' ? 'Kafka' : 'in-process'} message bus. ` +
      `The audit ran ${d.ranIn === 'running-instance' ? 'inside the running Tokumei instance' : 'in the `tokumei audit` command'}` +
      `${d.canary ? ', with canary values sent through the pipeline' : ', without canary values (run with `--canary` to include them)'}.`, '',
    'This report checks the data Tokumei actually holds against the promises a privacy policy makes about website ',
    'statistics. Every check says what it examined, how, and the evidence, so it can be repeated independently. ',
    'Values found are never shown: at most a masked sample in which every letter and digit is replaced by `•`.', '',
    '## Summary', '',
    '| check | result | promise it supports |', '| --- | --- | --- |',
    ...report.checks.map((c) => `| ${cell(c.title)} | ${STATUS[c.status]} | ${cell(c.promise)} |`), '',
    '## Checks', '',
    ...report.checks.flatMap((c, i) => checkSection(c, i + 1)),
    '## Salt lifecycle', '',
    'Visitor and session identifiers are keyed hashes under a random salt per day. The salt itself is never stored; ',
    'each one is known here by its commitment (SHA-256), with when it was created and destroyed.', '',
  ];
  if (report.saltLifecycle.length === 0) out.push('_No salts recorded in the period._', '');
  else {
    out.push('| day | commitment (SHA-256) | created (UTC) | destroyed (UTC) |', '| --- | --- | --- | --- |');
    for (const s of report.saltLifecycle) out.push(`| ${s.day} | \`${s.commitment.slice(0, 16)}…\` | ${s.created} | ${s.destroyed ?? 'still in use'} |`);
    out.push('');
  }
  out.push(
    '## Data inventory', '',
    'Everything Tokumei may store, field by field, as declared in its field policy (the inventory check above ',
    'confirms the database holds nothing else).', '',
    '| field | purpose (and how it was made harmless) | retention |', '| --- | --- | --- |',
    ...report.inventory.map((r) => `| \`${r.field}\` | ${cell(r.purpose)} | ${cell(r.retention)} |`), '',
    '## Self-assessment: CNIL criteria for consent-exempt audience measurement', '',
    '| criterion | status | evidence |', '| --- | --- | --- |',
    ...report.cnil.map((c) => `| ${cell(c.criterion)} | ${CNIL[c.status]} | ${cell(c.evidence)} |`), '',
    '"operator" marks what only the site operator can assure; this self-assessment is not legal advice.', '',
  );
  return out.join('\n');
}
