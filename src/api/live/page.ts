import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { sessionIdParam } from '../../schemas/sessions.js';
import { parseOr400 } from '../validate.js';

/**
 * The page's files are plain browser modules, never compiled: resolved from the project root, so the built
 * server (dist/api/live/) serves the very files in src/api/live/static/.
 */
const STATIC_DIR = fileURLToPath(new URL('../../../src/api/live/static/', import.meta.url));

/**
 * GET /sessions/:id/live, the live attendance page, and its assets under /live/. Public: the page itself holds
 * no data; it reads /api/sessions/:id/live, which needs the API token when one is set, or the session's viewer
 * token (`#view=`, from POST /api/sessions/:id/viewer-link).
 */
export function livePageRoutes(): Router {
  const router = Router();
  router.get('/sessions/:id/live', (req, res) => {
    parseOr400(sessionIdParam, req.params);
    res.sendFile('live.html', { root: STATIC_DIR });
  });
  router.use('/live', express.static(STATIC_DIR, { index: false }));
  return router;
}
