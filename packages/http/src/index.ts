export { createServer, type ServerOptions, type TokumeiServer } from './server.js';
export { errorsPlugin, errorBody, type ErrorBody } from './errors-plugin.js';
export { healthPlugin, type HealthOptions, type ReadinessCheck } from './health-plugin.js';
export { bearerMatches, requireBearer } from './bearer.js';
