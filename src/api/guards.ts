import type { RequestHandler } from 'express';
import { isLoopbackHost } from '../config/index.js';
import { HttpError } from './http-error.js';

/** `example.com:3000` / `[::1]:3000` / `localhost` → name and port (undefined when absent). */
function parseHostHeader(header: string): { name: string; port?: number } | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(header.trim());
  if (!match) return undefined;
  return { name: match[1]!, port: match[2] === undefined ? undefined : Number(match[2]) };
}

/**
 * Without API_TOKEN the API is open to whoever can reach it, so it listens on loopback only; a browser on
 * another site can still reach loopback through DNS rebinding (a name of theirs resolving to 127.0.0.1), but
 * its requests then carry that name as Host. So with no token, only loopback names and addresses on the port
 * this server listens on are answered (421 otherwise). Webhooks are exempt: they authenticate by signature
 * and may come through a tunnel under its own name.
 */
export function hostCheck(token: string | undefined): RequestHandler {
  return (req, _res, next) => {
    if (token !== undefined || req.path.startsWith('/webhooks/')) return next();
    const host = parseHostHeader(req.get('host') ?? '');
    const localPort = req.socket.localPort;
    const portOk = host?.port === undefined ? localPort === 80 : host.port === localPort;
    if (host && isLoopbackHost(host.name) && portOk) return next();
    next(
      new HttpError(
        421,
        'Host not allowed: without API_TOKEN the API answers only to localhost, 127.0.0.1 or [::1] on its own port',
      ),
    );
  };
}

/** Methods that change something: a browser can send them cross-site without asking first unless the body is JSON. */
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Writes must say `content-type: application/json`, even with no body. A page on another site can only send
 * `text/plain`, form or multipart bodies (or none) without a CORS preflight, and no preflight is ever granted
 * for /api: so no cross-site request can change anything, with or without a token.
 */
export const requireJson: RequestHandler = (req, _res, next) => {
  if (!WRITES.has(req.method)) return next();
  const type = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return next();
  next(new HttpError(415, 'expected content-type: application/json'));
};
