export { runAudit, type AuditEnvironment, type AuditOptions } from './run-audit.js';
export { renderMarkdown } from './markdown.js';
export { saveReport } from './report-store.js';
export { httpCanarySender, canaryCheck, type CanarySender } from './canary.js';
export { newCanaryValues, needles, CANARY_SHAPES, CANARY_SITES, CANARY_PATH_PREFIX, type CanaryValues } from './canary-values.js';
export { detect, DETECTOR_RULES, type Detection, type DetectorKind } from './detector.js';
export { readingsOf, type Reading } from './decode.js';
export { independentScanCheck } from './independent-scan.js';
export { measureUniqueness, uniquenessCheck, withUniquenessThreshold, QUASI_IDENTIFIERS } from './uniqueness.js';
export { measurePropsUniqueness, propsUniquenessCheck, PROPS_MAX_SINGLE_SHARE, PROPS_MIN_VALUES, type PropsKeyMeasure } from './props-uniqueness.js';
export { saltExposureCheck } from './salt-exposure.js';
export { APPI_REQUIREMENTS, appiAssessment } from './appi.js';
export { type Lang } from './markdown-text.js';
export { fileSaltRegisterView, type SaltRegisterView } from './salt-register-view.js';
export { mask } from './mask.js';
export { parseTtl } from './ttl.js';
export { SCAN_PATTERNS, EXPECTED_SHAPES } from './content-scan.js';
export {
  SCHEMA_VERSION, REPORT_KIND, PROMISES,
  type AuditReport, type CheckResult, type CheckId, type CheckStatus, type Finding, type CnilCriterion, type InventoryRow, type SaltLifecycleRow,
  type UniquenessMeasure, type AppiRequirement, type AppiStore,
} from './report.js';
