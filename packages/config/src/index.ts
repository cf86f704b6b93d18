export { loadConfig, type Config, type KafkaConfig, type PrivacyConfig } from './config.js';
export { SETTINGS, SETTING_NAMES, ROLES, renderSettingsTable, type Role, type ConsentPolicy, type Setting, type SettingName } from './settings.js';
export { createLogger, REDACT_PATHS, type Logger, type LoggerOptions } from './logger.js';
export { isProcessAlive } from './process-alive.js';
export { GOAL_LIMITS, GoalError, goalJson, parseGoals, parseGoalsFile, type Goal } from './goals.js';
export { UMAMI_WEBSITES_LIMIT, UmamiWebsitesError, parseUmamiWebsites } from './umami.js';
export { DEFAULT_TIME_ZONE, SITE_TIMEZONES_LIMIT, SiteTimeZonesError, canonicalTimeZone, parseSiteTimeZones } from './timezones.js';
