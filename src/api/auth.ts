import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from './http-error.js';

/** `Authorization: Bearer <API_TOKEN>` on /api/* when a token is configured; open otherwise. */
export function bearerAuth(token: string | undefined): RequestHandler {
  const expected = token === undefined ? undefined : Buffer.from(token);
  return (req, _res, next) => {
    if (!expected) return next();
    const presented = Buffer.from(/^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '');
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      return next(new HttpError(401, 'missing or wrong bearer token (Authorization: Bearer $API_TOKEN)'));
    }
    next();
  };
}
