import type { FastifyPluginAsync } from 'fastify';
import { DIMENSION_SPECS } from '@tokumei/store';

/** What a client needs to offer the breakdowns: the name to ask `/api/stats/breakdown` for, and how to show it. */
const BODY = {
  dimensions: DIMENSION_SPECS.map(({ name, kind, label, title }) => ({ name, kind, label, title })),
};

/**
 * GET /api/dimensions: every breakdown dimension, in the order the dashboard shows them. The list is the one
 * declaration the API validates `dimension` against (packages/store/src/dimensions.ts), so a client that reads it
 * offers exactly what the API answers. Storage details (the events column) stay out of the answer.
 */
export const dimensionsRoutes: FastifyPluginAsync = (app) => {
  app.get('/api/dimensions', () => BODY);
  return Promise.resolve();
};
