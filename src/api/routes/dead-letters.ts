import { Router } from 'express';
import { z } from 'zod';
import { DEAD_LETTER_LIMIT, listDeadLetters } from '../../db/dead-letters.js';
import type { ApiDeps } from '../deps.js';
import { parseOr400 } from '../validate.js';

const query = z.object({ limit: z.coerce.number().int().min(1).max(DEAD_LETTER_LIMIT).default(50) });

/** GET /api/dead-letters: the newest well-signed webhooks that failed validation, for an operator to inspect. */
export function deadLetterRoutes({ pool }: ApiDeps): Router {
  const router = Router();
  router.get('/dead-letters', async (req, res) => {
    const { limit } = parseOr400(query, req.query);
    res.json({ deadLetters: await listDeadLetters(pool, limit) });
  });
  return router;
}
