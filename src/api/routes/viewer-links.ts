import { Router } from 'express';
import { getSession } from '../../db/sessions.js';
import type { ApiDeps } from '../deps.js';
import { SessionNotFound } from '../../domain/errors.js';
import { sessionIdParam } from '../../schemas/sessions.js';
import { toIso } from '../../time.js';
import { parseOr400 } from '../validate.js';
import type { ViewerLinks } from '../viewer-links.js';

/**
 * POST /api/sessions/:id/viewer-link: a link to the session's live page carrying a signed, expiring, read-only
 * token for that session alone (its live stream and CSV), to hand to a teacher without giving away API_TOKEN.
 * The token travels in the URL fragment, which browsers never send to a server.
 */
export function viewerLinkRoutes({ pool }: ApiDeps, viewers: ViewerLinks): Router {
  const router = Router();
  router.post('/sessions/:id/viewer-link', async (req, res) => {
    const { id } = parseOr400(sessionIdParam, req.params);
    if (!(await getSession(pool, id))) throw new SessionNotFound(id);
    const { token, expiresAt } = viewers.mint(id);
    const path = `/sessions/${encodeURIComponent(id)}/live#view=${token}`;
    res.status(201).json({
      url: `${req.protocol}://${req.get('host') ?? 'localhost'}${path}`,
      path,
      token,
      expiresAt: toIso(expiresAt),
    });
  });
  return router;
}
