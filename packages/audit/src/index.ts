export { runAudit, type AuditEnvironment, type AuditOptions } from './run-audit.js';
export { renderMarkdown } from './markdown.js';
export { saveReport } from './report-store.js';
export { httpCanarySender, type CanarySender } from './canary.js';
export { fileSaltRegisterView, type SaltRegisterView } from './salt-register-view.js';
export { mask } from './mask.js';
export { parseTtl } from './ttl.js';
export { SCAN_PATTERNS, EXPECTED_SHAPES } from './content-scan.js';
export {
  SCHEMA_VERSION, REPORT_KIND, PROMISES,
  type AuditReport, type CheckResult, type CheckId, type CheckStatus, type Finding, type CnilCriterion, type InventoryRow, type SaltLifecycleRow,
} from './report.js';
