export { ERRORS, TokumeiError, ConfigError, isTokumeiError, type ErrorCode } from './errors.js';
