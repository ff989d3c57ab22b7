import { Router } from 'express';
import { loadRoomAnalytics, loadSessionAnalytics } from '../../db/analytics.js';
import type { ApiDeps } from '../deps.js';
import { NotFound, SessionNotFound } from '../../domain/errors.js';
import { zoomMeetingParam } from '../../schemas/report-sync.js';
import { sessionIdParam } from '../../schemas/sessions.js';
import { parseOr400 } from '../validate.js';

/** Attendance analytics (the session_analytics and room_analytics views): per session, and per Zoom meeting or webinar id. */
export function analyticsRoutes({ pool }: ApiDeps): Router {
  const router = Router();

  router.get('/sessions/:id/analytics', async (req, res) => {
    const { id } = parseOr400(sessionIdParam, req.params);
    const analytics = await loadSessionAnalytics(pool, id);
    if (!analytics) throw new SessionNotFound(id);
    res.json(analytics);
  });

  /** Every instance (session) of a recurring meeting or webinar, and the series as a whole. */
  router.get('/zoom/meetings/:id/analytics', async (req, res) => {
    const { id } = parseOr400(zoomMeetingParam, req.params);
    const analytics = await loadRoomAnalytics(pool, 'zoom', id);
    if (!analytics) throw new NotFound(`no session of Zoom meeting or webinar ${id}`);
    res.json(analytics);
  });

  return router;
}
