import { Router } from 'express';
import { z } from 'zod';
import { getDeadLetter, listDeadLetters } from '../../db/dead-letters.js';
import type { ApiDeps } from '../deps.js';
import { NotFound } from '../../domain/errors.js';
import { parseOr400 } from '../validate.js';

const MAX_PAGE = 200;
const page = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(50),
  before: z.coerce.number().int().positive().optional().describe('an id: only older dead letters'),
});
const letterId = z.object({ id: z.coerce.number().int().positive() });

/**
 * GET /api/dead-letters?limit=&before=: the newest well-signed webhooks that failed validation, a page at a time
 * (bodies cut to 4,096 characters; `next` is the next page), and GET /api/dead-letters/:id one whole body.
 */
export function deadLetterRoutes({ pool }: ApiDeps): Router {
  const router = Router();
  router.get('/dead-letters', async (req, res) => {
    const { limit, before } = parseOr400(page, req.query);
    const deadLetters = await listDeadLetters(pool, { limit, before });
    const last = deadLetters.at(-1);
    res.json({
      deadLetters,
      next: deadLetters.length === limit && last ? `/api/dead-letters?limit=${limit}&before=${last.id}` : null,
    });
  });
  router.get('/dead-letters/:id', async (req, res) => {
    const { id } = parseOr400(letterId, req.params);
    const letter = await getDeadLetter(pool, id);
    if (!letter) throw new NotFound(`no dead letter ${id}`);
    res.json(letter);
  });
  return router;
}
