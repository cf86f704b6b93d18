export {
  Pseudonymizer, pseudonymize, DEFAULT_QUERY_ALLOWLIST,
  type EventRow, type StepResult, type DropReason, type PseudonymizeOptions,
} from './pseudonymize.js';
export { keyedHash64 } from './keyed-hash.js';
export {
  SaltStore, MemorySaltStore, MemoryRegister, commitment, utcDay, RUN_SALT_MAX_MS,
  type SaltSource, type SaltRegister, type SaltRecord, type SaltStoreOptions, type UtcDay,
} from './salts.js';
export { FileRegister } from './file-register.js';
export { cleanUrl, referrerHost, type CleanUrl, type UrlOptions } from './url.js';
export { PII_PATTERNS, classify, type PiiPattern } from './pii-patterns.js';
export { UserAgentReducer, type ReducedAgent } from './user-agent.js';
export { loadCountryLookup, NO_GEO, type CountryLookup } from './geo.js';
export { FIELD_POLICY, EVENTS_TABLE, renderFieldPolicy, type TablePolicy, type ColumnPolicy } from './field-policy.js';
