/**
 * The audit report's shape. JSON consumers (compliance tooling, CI) rely on it: add fields freely, but rename or
 * remove one only together with a new SCHEMA_VERSION.
 */
export const SCHEMA_VERSION = 1;
export const REPORT_KIND = 'tokumei.audit-report';

export type CheckId = 'inventory' | 'content-scan' | 'canary' | 'retention' | 'salt-lifecycle' | 'journal';
export type CheckStatus = 'pass' | 'fail' | 'skipped';

/** Something the audit found wrong. Never carries a stored value: at most a masked sample. */
export interface Finding {
  readonly message: string;
  readonly table?: string;
  readonly column?: string;
  readonly pattern?: string;
  readonly count?: number;
  /** The matching text with every letter and digit replaced by `•`. */
  readonly sample?: string;
  /** Where outside ClickHouse: a Kafka topic, a log file, a salt register key. */
  readonly location?: string;
}

export interface CheckResult {
  readonly id: CheckId;
  readonly title: string;
  /** The sentence of the privacy promise this check supports. */
  readonly promise: string;
  readonly status: CheckStatus;
  /** What the check looked at. */
  readonly scope: string;
  /** How it looked. */
  readonly method: string;
  /** Facts an auditor can verify independently. */
  readonly evidence: readonly string[];
  readonly findings: readonly Finding[];
}

export interface SaltLifecycleRow {
  readonly day: string;
  readonly commitment: string;
  readonly created: string;
  readonly destroyed: string | null;
}

export interface InventoryRow {
  readonly table: string;
  readonly field: string;
  readonly purpose: string;
  readonly retention: string;
}

export type CnilStatus = 'met' | 'not met' | 'operator';

export interface CnilCriterion {
  readonly criterion: string;
  readonly status: CnilStatus;
  readonly evidence: string;
}

export interface AuditReport {
  readonly kind: typeof REPORT_KIND;
  readonly schemaVersion: typeof SCHEMA_VERSION;
  readonly generatedAt: string;
  readonly passed: boolean;
  readonly deployment: {
    readonly store: 'embedded' | 'server';
    readonly bus: 'memory' | 'kafka';
    /** `running-instance`: the audit ran inside `tokumei start`; `command`: in the `tokumei audit` process. */
    readonly ranIn: 'running-instance' | 'command';
    readonly canary: boolean;
  };
  readonly checks: readonly CheckResult[];
  readonly saltLifecycle: readonly SaltLifecycleRow[];
  readonly inventory: readonly InventoryRow[];
  readonly cnil: readonly CnilCriterion[];
}

/** The promises, in the words of a typical privacy policy, that the checks give evidence for. */
export const PROMISES = {
  noIdentification: 'Access logs do not include information which leads to personal identification of the customer.',
  statisticsOnly: 'The access log data will be used solely for statistical analysis of customer usage.',
  noIdentifyingCollection: 'We will not collect any information that identifies individual customers.',
  deletion: 'Personal information is deleted when its use is no longer necessary.',
  leakage: 'Necessary and appropriate measures are taken to prevent leakage of personal information.',
} as const;

export function check(base: Omit<CheckResult, 'status'>, skipped = false): CheckResult {
  const status: CheckStatus = skipped ? 'skipped' : base.findings.length === 0 ? 'pass' : 'fail';
  return { ...base, status };
}
