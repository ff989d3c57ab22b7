import { Router } from 'express';
import { EmailInUseError, upsertUsers } from '../../db/users.js';
import type { ApiDeps } from '../deps.js';
import { HttpError } from '../http-error.js';
import { upsertUsersSchema } from '../../schemas/users.js';
import { parseOr400 } from '../validate.js';

export function userRoutes({ pool }: ApiDeps): Router {
  const router = Router();

  /** Bulk upsert of the matching directory; all or nothing. */
  router.put('/users', async (req, res) => {
    const users = parseOr400(upsertUsersSchema, req.body);
    try {
      res.json({ upserted: await upsertUsers(pool, users) });
    } catch (error) {
      if (error instanceof EmailInUseError) throw new HttpError(409, error.message);
      throw error;
    }
  });

  return router;
}
