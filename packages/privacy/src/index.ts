export {
  Pseudonymizer, pseudonymize, DEFAULT_QUERY_ALLOWLIST,
  type EventRow, type StepResult, type DropReason, type PseudonymizeOptions, type PropsCount,
} from './pseudonymize.js';
export { scrubProps, judgePropValue, allowedKeys, type ScrubbedProps } from './props.js';
export { AUTO_EVENTS, reservedProp, judgeTargetHost, judgeExtension } from './reserved-props.js';
export { forgetKey, hashKey, keyedHash64, type HashKey } from './keyed-hash.js';
export {
  SaltStore, MemorySaltStore, MemoryRegister, commitment, utcDay, RUN_SALT_MAX_MS, saltRegisterRetentionMs,
  type SaltSource, type SaltRegister, type SaltRecord, type SaltStoreOptions, type UtcDay,
} from './salts.js';
export { FileRegister } from './file-register.js';
export { cleanUrl, referrerHost, type CleanUrl, type UrlOptions } from './url.js';
export { PII_PATTERNS, classify, classifyReadings, type PiiPattern, type Placeholder } from './pii-patterns.js';
export { readings, displayForm, matchForm } from './canonical.js';
export { checkSite, normalizeSites, scrubHost, pageHost, type SiteVerdict } from './hosts.js';
export { reduceLang, leadingInteger, scrubEvent } from './fields.js';
export { DEFAULT_PATH_ID_KEYS } from './identity-keys.js';
export { isSpecialPurpose } from './geo.js';
export { UserAgentReducer, type ReducedAgent } from './user-agent.js';
export { loadCountryLookup, NO_GEO, type CountryLookup } from './geo.js';
export { FIELD_POLICY, EVENTS_TABLE, renderFieldPolicy, type TablePolicy, type ColumnPolicy } from './field-policy.js';
