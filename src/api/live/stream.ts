import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Router, type Request, type Response } from 'express';
import { getSession } from '../../db/sessions.js';
import type { ApiDeps } from '../deps.js';
import { SessionNotFound } from '../../domain/errors.js';
import { sessionIdParam } from '../../schemas/sessions.js';
import { parseOr400 } from '../validate.js';
import { TICK_MS, type LiveFeeds } from './feed.js';

function write(res: Response, event: string, json: string): void {
  res.write(`event: ${event}\ndata: ${json}\n\n`);
}

/**
 * `server.close()` waits for open responses, and a stream never ends by itself: each stream ends at its next
 * tick once its server has stopped listening, so shutting the API down is not held up by open live pages.
 */
function serverListening(req: Request): boolean {
  return (req.socket as Socket & { server?: Server }).server?.listening ?? true;
}

/**
 * GET /api/sessions/:id/live: the live page's data as Server-Sent Events (`session`, `presence`, `timeline`,
 * `attendance`, and `problem` when a tick failed: no detail, it is logged), each sent when it changed. Under /api,
 * so API_TOKEN applies, or the session's viewer token (POST /api/sessions/:id/viewer-link).
 */
export function liveStreamRoutes(deps: ApiDeps, feeds: LiveFeeds): Router {
  const router = Router();
  router.get('/sessions/:id/live', async (req, res) => {
    const { id } = parseOr400(sessionIdParam, req.params);
    if (!(await getSession(deps.pool, id))) throw new SessionNotFound(id);
    // `connection: close`: the socket goes with the stream, rather than idling on until the keep-alive timeout.
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      connection: 'close',
    });
    const closed = new AbortController();
    res.on('close', () => closed.abort());
    const stop = feeds.watch(id, (message) => write(res, message.event, message.json));
    // The feed writes; this only notices the client leaving or the server shutting down.
    while (!closed.signal.aborted && serverListening(req))
      await sleep(TICK_MS, undefined, { signal: closed.signal }).catch(() => undefined);
    stop();
    res.end();
  });
  return router;
}
