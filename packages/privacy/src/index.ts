export { pseudonymize, type EventRow, type StepResult, type DropReason, type PseudonymizeOptions } from './pseudonymize.js';
export { keyedHash64 } from './keyed-hash.js';
export { MemorySaltStore, utcDay, liveDays, type SaltStore, type UtcDay } from './salts.js';
