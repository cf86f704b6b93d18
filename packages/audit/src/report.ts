/**
 * The audit report's shape. JSON consumers (compliance tooling, CI) rely on it: add fields freely, but rename or
 * remove one only together with a new SCHEMA_VERSION.
 */
export const SCHEMA_VERSION = 1;
export const REPORT_KIND = 'tokumei.audit-report';

export type CheckId = 'inventory' | 'content-scan' | 'independent-scan' | 'uniqueness' | 'props-uniqueness' | 'canary' | 'retention' | 'salt-lifecycle' | 'salt-exposure' | 'journal';
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

/** Share of events rows unique on the quasi-identifiers, per time precision. */
export interface UniquenessMeasure {
  readonly rows: number;
  readonly days: number;
  readonly storedPrecision: 'second' | 'minute' | 'hour';
  readonly quasiIdentifiers: readonly string[];
  readonly precisions: readonly {
    readonly precision: 'second' | 'minute' | 'hour';
    readonly uniqueRows: number;
    readonly share: number;
    /** Unique rows that carry a visitor hash: one known page view leads to the visitor's whole day. */
    readonly linkableRows: number;
  }[];
}

/** What the Act on the Protection of Personal Information (APPI) asks, and which checks give evidence for it. */
export interface AppiRequirement {
  readonly rule: string;
  readonly requirement: string;
  readonly checks: readonly CheckId[];
  readonly status: CnilStatus;
}

/** Each store with its category under the APPI. */
export interface AppiStore {
  readonly store: string;
  readonly category: 'personal information' | 'pseudonymously processed information' | 'statistical information' | 'deleted descriptions etc.' | 'operational';
  readonly why: string;
}

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
  /** Absent in reports made before these fields were added. */
  readonly uniqueness?: UniquenessMeasure;
  readonly appi?: { readonly requirements: readonly AppiRequirement[]; readonly stores: readonly AppiStore[] };
}

/** The promises, in the words of a typical privacy policy, that the checks give evidence for. */
export const PROMISES = {
  // The seed company's policy, word for word ("Access logs").
  noIdentification: 'Access logs do not include information which lead to personal identification of the customer.',
  statisticsOnly: 'The access log data will be used solely for statistical analysis of customer usage to improve the services of the Company\u2019s website.',
  noIdentifyingCollection: 'We will not collect any information that identifies individual customers.',
  deletion: 'The Company will endeavor … to delete said personal information when its use is no longer necessary.',
  leakage: 'The Company will take necessary and appropriate measures for the safe management of customers\u2019 personal information including the prevention of leakage, loss, or damage of such information.',
  thirdParty: 'The Company will not disclose customers\u2019 personal information to a third party … unless the customer has given their prior consent or such disclosure is permitted by laws and regulations.',
} as const;

export function check(base: Omit<CheckResult, 'status'>, skipped = false): CheckResult {
  const status: CheckStatus = skipped ? 'skipped' : base.findings.length === 0 ? 'pass' : 'fail';
  return { ...base, status };
}
