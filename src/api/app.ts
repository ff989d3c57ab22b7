import express from 'express';
import { bearerAuth } from './auth.js';
import type { ApiDeps } from './deps.js';
import { hostCheck, requireJson } from './guards.js';
import { errorHandler } from './http-error.js';
import { livePageRoutes } from './live/page.js';
import { LiveFeeds } from './live/feed.js';
import { liveStreamRoutes } from './live/stream.js';
import { createApiMetrics } from './metrics.js';
import { openApiRoutes } from './openapi.js';
import { analyticsRoutes } from './routes/analytics.js';
import { attendanceRoutes } from './routes/attendance.js';
import { codecRoutes } from './routes/codec.js';
import { deadLetterRoutes } from './routes/dead-letters.js';
import { healthRoutes } from './routes/health.js';
import { reportSyncRoutes } from './routes/report-sync.js';
import { sessionRoutes } from './routes/sessions.js';
import { userRoutes } from './routes/users.js';
import { viewerLinkRoutes } from './routes/viewer-links.js';
import { ViewerLinks } from './viewer-links.js';
import { webhookRoutes } from './routes/webhooks.js';
import { unrelayedCount } from '../db/facts.js';
import { Relay } from '../sessions/relay.js';
import { PresenceSnapshots } from '../sessions/presence.js';

/**
 * The HTTP API, as an express app with no listening socket (tests mount it on a free port), and the relay that
 * brings the facts its webhook routes store to the session workflows (started and stopped by `listen`).
 */
export function createApp(deps: ApiDeps): { app: express.Express; relay: Relay; presence: PresenceSnapshots } {
  const app = express();
  app.disable('x-powered-by');
  // Without API_TOKEN: loopback Host names only (DNS rebinding); webhooks exempt (signed).
  app.use(hostCheck(deps.config.apiToken));
  const viewers = new ViewerLinks(deps.config);
  const metrics = createApiMetrics(deps.logger, () => unrelayedCount(deps.pool));
  const presence = new PresenceSnapshots(deps.temporal, {}, metrics.presenceQuery);
  const relay = new Relay(deps.pool, deps.temporal, deps.config, deps.logger, { timeSignal: metrics.timeSignal });
  app.use(healthRoutes(deps));
  app.get('/metrics', metrics.serve);
  app.use('/webhooks', webhookRoutes(deps, relay, metrics));
  app.use(openApiRoutes());
  app.use(livePageRoutes());
  app.use(codecRoutes(deps));
  // No CORS on /api: a write must be JSON, which no other site can send without a preflight that is never granted.
  app.use(
    '/api',
    bearerAuth(deps.config.apiToken, viewers),
    requireJson,
    express.json({ limit: '5mb' }),
    viewerLinkRoutes(deps, viewers),
    sessionRoutes(deps, presence),
    attendanceRoutes(deps),
    userRoutes(deps),
    liveStreamRoutes(deps, new LiveFeeds(deps, presence, metrics.liveFeedTick)),
  );
  // Behind the same bearer auth and JSON parser: every /api request passes the chain above first.
  app.use('/api', reportSyncRoutes(deps), analyticsRoutes(deps), deadLetterRoutes(deps));
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  app.use(errorHandler(deps.logger));
  return { app, relay, presence };
}
