import { expect } from 'vitest';
import type { AuditReport, CheckResult } from '@tokumei/audit';

/** One check of an audit report; fails the test when the report has no such check. */
export function byId(report: AuditReport, id: CheckResult['id']): CheckResult {
  return report.checks.find((c) => c.id === id) ?? expect.fail(`no ${id} check`);
}
