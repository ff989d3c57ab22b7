import { Router } from 'express';
import { upsertUsers } from '../../db/users.js';
import type { ApiDeps } from '../deps.js';
import { upsertUsersSchema } from '../../schemas/users.js';
import { parseOr400 } from '../validate.js';

export function userRoutes({ pool }: ApiDeps): Router {
  const router = Router();

  /** Bulk upsert of the matching directory; all or nothing. */
  router.put('/users', async (req, res) => {
    const users = parseOr400(upsertUsersSchema, req.body);
    res.json({ upserted: await upsertUsers(pool, users) });
  });

  return router;
}
