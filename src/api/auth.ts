import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from './http-error.js';
import type { ViewerLinks } from './viewer-links.js';

const bearerOf = (header: string | undefined) => /^Bearer (.+)$/i.exec(header ?? '')?.[1] ?? '';

/** Constant-time comparison of a presented bearer token with API_TOKEN. */
export function isApiToken(presented: string, token: string | undefined): boolean {
  if (token === undefined) return false;
  const [a, b] = [Buffer.from(presented), Buffer.from(token)];
  return a.length === b.length && timingSafeEqual(a, b);
}

/** What a viewer token may read (paths relative to /api): one session's live stream and its CSV, by GET. */
const VIEWER_PATH = /^\/sessions\/([^/]+)\/(?:live|attendance\.csv)$/;

function viewerSession(path: string): string | undefined {
  const match = VIEWER_PATH.exec(path);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return undefined;
  }
}

/**
 * /api/*: `Authorization: Bearer <API_TOKEN>` when a token is configured (open otherwise: then the API listens on
 * loopback only and checks the Host header, see guards.ts). A viewer token (a live page's link) is accepted for
 * its own session's live stream and CSV only.
 */
export function bearerAuth(token: string | undefined, viewers?: ViewerLinks): RequestHandler {
  return (req, _res, next) => {
    const presented = bearerOf(req.get('authorization'));
    if (token === undefined || isApiToken(presented, token)) return next();
    const sessionId = req.method === 'GET' ? viewerSession(req.path) : undefined;
    if (sessionId !== undefined && presented && viewers?.verify(presented, sessionId)) return next();
    next(
      new HttpError(
        401,
        'missing or wrong bearer token (Authorization: Bearer $API_TOKEN, or a viewer link for this session)',
      ),
    );
  };
}
