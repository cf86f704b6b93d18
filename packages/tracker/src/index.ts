export { buildTracker, TRACKER_GZIP_BUDGET, type TrackerOptions, type TrackerScript } from './build.js';
